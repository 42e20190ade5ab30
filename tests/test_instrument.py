"""The bundled instrument and the checks that reject broken instrument files."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import pytest
import yaml

from alignkit.catalog.instrument import OUTCOME_DIMENSION, load_instrument, normalise_text
from alignkit.exceptions import InstrumentError


# -- the bundled instrument -----------------------------------------------------
def test_bundled_instrument_has_enough_dimensions_and_items(instrument):
    assert len(instrument.dimensions) >= 12
    for dim in instrument.dimensions:
        assert len(dim.items) >= 3, dim.id
        assert all(item.dimension == dim.id for item in dim.items)


def test_item_and_dimension_ids_are_unique(instrument):
    item_ids = [i.id for i in instrument.items]
    dim_ids = [d.id for d in instrument.dimensions]
    assert len(item_ids) == len(set(item_ids))
    assert len(dim_ids) == len(set(dim_ids))
    assert OUTCOME_DIMENSION not in dim_ids


def test_items_lists_dimension_items_then_the_outcome(instrument):
    items = instrument.items
    assert items[-1] == instrument.outcome
    assert items[-1].dimension == OUTCOME_DIMENSION
    assert len(items) == sum(len(d.items) for d in instrument.dimensions) + 1
    assert instrument.item(items[0].id) is items[0]
    with pytest.raises(InstrumentError, match="no item 'nope_1'"):
        instrument.item("nope_1")


def test_scale_is_one_to_five_with_not_applicable(instrument):
    assert [v for v, _ in instrument.scale] == [1, 2, 3, 4, 5]
    assert (instrument.scale_min, instrument.scale_max) == (1, 5)
    assert all(label.strip() for _, label in instrument.scale)
    assert instrument.na_label == "N/A"
    assert instrument.scale_min < instrument.favourable_min <= instrument.scale_max


def test_teams_include_sales_and_marketing(instrument):
    assert {"sales", "marketing"} <= set(instrument.team_ids)


def test_maturity_bands_rise_from_zero(instrument):
    bands = instrument.bands
    assert len(bands) >= 2
    assert [b.level for b in bands] == list(range(1, len(bands) + 1))
    mins = [b.min_index for b in bands]
    assert mins[0] == 0
    assert all(lo < hi for lo, hi in zip(mins, mins[1:], strict=False))
    assert mins[-1] < 100


def test_to_json_shape(instrument):
    data = instrument.to_json()
    assert {"version", "scale", "dimensions"} <= set(data)
    assert data["version"] == instrument.version
    assert [s["value"] for s in data["scale"]] == [1, 2, 3, 4, 5]
    assert [d["id"] for d in data["dimensions"]] == [d.id for d in instrument.dimensions]
    for dim_json, dim in zip(data["dimensions"], instrument.dimensions, strict=True):
        assert dim_json["items"] == [{"id": i.id, "text": i.text} for i in dim.items]
    assert data["outcome"]["id"] == instrument.outcome.id


def test_items_frame_has_one_row_per_item(instrument):
    frame = instrument.items_frame()
    assert list(frame["item"]) == [i.id for i in instrument.items]
    assert frame["dimension_name"].notna().all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  We agree on what an “MQL” is. ", "we agree on what an mql is"),
        ("Zoë:  TEAM!! (sales)", "zoe team sales"),
        ("", ""),
    ],
)
def test_normalise_text(text, expected):
    assert normalise_text(text) == expected


# -- broken instrument files ------------------------------------------------------
def _bundled_raw() -> dict:
    text = resources.files("alignkit").joinpath("data/instrument.v1.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _two_items(raw):
    raw["dimensions"][0]["items"] = raw["dimensions"][0]["items"][:2]


def _duplicate_item(raw):
    raw["dimensions"][1]["items"][0]["id"] = raw["dimensions"][0]["items"][0]["id"]


def _bands_from_five(raw):
    raw["maturity"][0]["min_index"] = 5


def _bands_not_rising(raw):
    raw["maturity"][2]["min_index"] = raw["maturity"][1]["min_index"]


def _missing_scale(raw):
    del raw["scale"]


def _scale_gap(raw):
    raw["scale"][2]["value"] = 7


def _favourable_outside(raw):
    raw["favourable_min"] = 9


def _no_marketing_team(raw):
    raw["teams"] = [t for t in raw["teams"] if t["id"] != "marketing"]


def _outcome_dimension(raw):
    raw["dimensions"][0]["id"] = OUTCOME_DIMENSION


@pytest.mark.parametrize(
    ("breaker", "fragment"),
    [
        (_two_items, "at least 3"),
        (_duplicate_item, "used twice"),
        (_bands_from_five, "starting at 0"),
        (_bands_not_rising, "rising"),
        (_missing_scale, "scale"),
        (_scale_gap, "consecutive"),
        (_favourable_outside, "favourable_min"),
        (_no_marketing_team, "marketing"),
        (_outcome_dimension, OUTCOME_DIMENSION),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_broken_instrument_raises_naming_the_file(tmp_path, breaker, fragment):
    raw = copy.deepcopy(_bundled_raw())
    breaker(raw)
    path = tmp_path / f"broken{breaker.__name__}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    message = str(info.value)
    assert message.startswith(f"{path.name}: ")
    assert fragment in message


def test_unbroken_copy_loads_like_the_bundled_one(tmp_path, instrument):
    # Guards the test above: the copy/dump round trip alone must not break the file.
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(_bundled_raw(), sort_keys=False, allow_unicode=True), "utf-8")
    assert load_instrument(path) == instrument


@pytest.mark.parametrize(
    "content", ["dimensions: [unclosed\n", "\x00\x01 not: [yaml"], ids=["yaml", "binary"]
)
def test_unreadable_instrument_file(tmp_path, content):
    path = tmp_path / "garbled.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"^garbled\.yaml: "):
        load_instrument(path)


def test_missing_instrument_file(tmp_path):
    with pytest.raises(InstrumentError, match=r"^absent\.yaml: "):
        load_instrument(Path(tmp_path / "absent.yaml"))
