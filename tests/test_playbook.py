"""The playbook: versioned tactics tied to the instrument's dimensions, with KPIs."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest
import yaml

from alignkit.catalog.instrument import load_instrument
from alignkit.catalog.playbook import Kpi, load_playbook
from alignkit.exceptions import AlignkitError, InstrumentError

RAW = yaml.safe_load(resources.files("alignkit").joinpath("data/playbook.v1.yaml").read_text())


def write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_bundled_playbook_has_at_least_fifteen_complete_tactics() -> None:
    book = load_playbook()
    assert len(book.tactics) >= 15
    for tactic in book.tactics:
        assert 1 <= tactic.effort <= 5 and 1 <= tactic.impact <= 5
        assert tactic.weeks_to_impact >= 1
        assert tactic.description and tactic.first_steps and tactic.kpis
        assert len(tactic.name) <= 70


def test_every_tactic_moves_real_dimensions_and_every_dimension_has_a_tactic() -> None:
    book, instrument = load_playbook(), load_instrument()
    dimensions = set(instrument.dimension_names())
    moved = {d for t in book.tactics for d in t.dimensions}
    assert moved <= dimensions
    assert moved == dimensions  # no facet of the survey is left without a remedy


def test_tactics_named_in_the_brief_are_there() -> None:
    ids = {t.id for t in load_playbook().tactics}
    assert {"shared_smart_goals", "lead_definitions_workshop", "two_way_sla",
            "weekly_pipeline_meeting", "shared_channel", "shared_space", "shadowing_rotation",
            "content_collaboration", "executive_sponsor", "joint_plan_point_people",
            "shared_celebrations", "closed_loop_reporting", "crm_integration", "shared_comp",
            "handoff_checklist", "recap_ritual"} <= ids


def test_every_kpi_a_tactic_names_is_defined_once() -> None:
    book = load_playbook()
    kpi_ids = [k.id for k in book.kpis]
    assert len(kpi_ids) == len(set(kpi_ids))
    assert {k for t in book.tactics for k in t.kpis} <= set(kpi_ids)


def test_tactics_frame_and_json_carry_every_tactic() -> None:
    book = load_playbook()
    frame = book.tactics_frame()
    assert list(frame["tactic"]) == [t.id for t in book.tactics]
    payload = book.to_json()
    assert len(payload["tactics"]) == len(book.tactics)
    assert payload["tactics"][0]["dimensions"] == list(book.tactics[0].dimensions)


def _broken(change: str) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(RAW))
    tactic, kpi = raw["tactics"][0], raw["kpis"][0]
    if change == "unknown dimension":
        tactic["dimensions"] = ["goals", "telepathy"]
    elif change == "undefined kpi":
        tactic["kpis"] = ["happiness_index"]
    elif change == "duplicate tactic":
        raw["tactics"].append(dict(tactic))
    elif change == "effort above 5":
        tactic["effort"] = 6
    elif change == "missing first steps":
        del tactic["first_steps"]
    elif change == "other instrument":
        raw["instrument"] = "another-survey"
    elif change == "bad kpi unit":
        kpi["unit"] = "euros"
    return raw


@pytest.mark.parametrize(("change", "message"), [
    ("unknown dimension", "telepathy"),
    ("undefined kpi", "happiness_index"),
    ("duplicate tactic", "used twice"),
    ("effort above 5", "effort"),
    ("missing first steps", "first_steps"),
    ("other instrument", "another-survey"),
    ("bad kpi unit", "unit"),
])
def test_a_broken_playbook_is_refused_with_a_reason(tmp_path: Path, change: str,
                                                     message: str) -> None:
    with pytest.raises(InstrumentError, match=message):
        load_playbook(write(tmp_path, _broken(change)))


def test_unreadable_playbook_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("tactics: [unclosed", encoding="utf-8")
    with pytest.raises(InstrumentError, match="broken.yaml"):
        load_playbook(path)


def test_unknown_tactic_and_kpi_lookups_raise() -> None:
    book = load_playbook()
    with pytest.raises(InstrumentError, match="no tactic"):
        book.tactic("nope")
    with pytest.raises(InstrumentError, match="no KPI"):
        book.kpi("nope")


SHARE_UP = Kpi("a", "A", "percent", "higher", "funnel", 0.3, 0.2)
SHARE_FIXED = Kpi("b", "B", "percent", "higher", "tracker", 0.9)
SHARE_DOWN = Kpi("c", "C", "percent", "lower", "funnel", 0.05)
COUNT = Kpi("d", "D", "count", "higher", "tracker", 4)


@pytest.mark.parametrize(("kpi", "baseline", "expected"), [
    (SHARE_UP, None, 0.3),             # unknown baseline: the default target
    (SHARE_UP, float("nan"), 0.3),
    (SHARE_UP, 0.2, 0.24),             # 0.2 x 1.2
    (SHARE_UP, 0.9, 1.0),              # 0.9 x 1.2 = 1.08, capped at 100%
    (SHARE_FIXED, 0.5, 0.9),           # no improve_by: the fixed target
    (SHARE_FIXED, 0.95, 0.95),         # never a goal below today
    (SHARE_DOWN, 0.3, 0.05),           # lower is better
    (SHARE_DOWN, 0.01, 0.01),          # already better than the target: hold
    (COUNT, 1, 4),
    (COUNT, 6, 6),
])
def test_target_for(kpi: Kpi, baseline: float | None, expected: float) -> None:
    assert kpi.target_for(baseline) == pytest.approx(expected)


@pytest.mark.parametrize(("kpi", "text", "expected"), [
    (SHARE_FIXED, "85%", 0.85), (SHARE_FIXED, "0.85", 0.85), (SHARE_FIXED, "85", 0.85),
    (SHARE_FIXED, " 100 % ", 1.0), (COUNT, "4", 4.0), (COUNT, "2.5", 2.5),
])
def test_parse_reads_what_people_type(kpi: Kpi, text: str, expected: float) -> None:
    assert kpi.parse(text) == pytest.approx(expected)


@pytest.mark.parametrize(("kpi", "text"), [
    (SHARE_FIXED, "lots"), (SHARE_FIXED, "120%"), (SHARE_FIXED, "-5%"), (COUNT, "50%"),
    (COUNT, ""),
])
def test_parse_refuses_nonsense(kpi: Kpi, text: str) -> None:
    with pytest.raises(AlignkitError):
        kpi.parse(text)


def test_format() -> None:
    assert SHARE_FIXED.format(0.456) == "46%"
    assert COUNT.format(4.0) == "4"
    assert SHARE_FIXED.format(math.nan) == "not measured yet"
    assert COUNT.format(None) == "not measured yet"
