"""The survey instrument: dimensions, items, scale, teams and maturity bands.

The instrument is versioned data (``alignkit/data/instrument.v1.yaml``) checked
against a JSON schema when it is loaded; adding a question is a data change.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema
import yaml

from alignkit.exceptions import InstrumentError

if TYPE_CHECKING:  # pandas loads when a frame is first built, not when a batch is planned
    import pandas as pd

__all__ = [
    "Band",
    "Dimension",
    "Instrument",
    "Item",
    "load_instrument",
    "normalise_text",
]

OUTCOME_DIMENSION = "outcome"


@dataclass(frozen=True)
class Item:
    """One rated statement."""

    id: str
    text: str
    dimension: str


@dataclass(frozen=True)
class Dimension:
    """A group of items measuring one facet of alignment."""

    id: str
    name: str
    description: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Band:
    """A maturity level and the lowest alignment index that reaches it."""

    level: int
    name: str
    min_index: float
    description: str


@dataclass(frozen=True)
class Instrument:
    """A validated survey instrument. Build it with :func:`load_instrument`."""

    id: str
    version: str
    title: str
    intro: str
    scale: tuple[tuple[int, str], ...]
    na_label: str
    na_aliases: tuple[str, ...]
    favourable_min: int
    teams: tuple[tuple[str, str, tuple[str, ...]], ...]
    questions: dict[str, str]
    outcome: Item
    dimensions: tuple[Dimension, ...]
    bands: tuple[Band, ...]

    @property
    def scale_min(self) -> int:
        return min(v for v, _ in self.scale)

    @property
    def scale_max(self) -> int:
        return max(v for v, _ in self.scale)

    @property
    def team_ids(self) -> tuple[str, ...]:
        return tuple(t for t, _, _ in self.teams)

    @property
    def items(self) -> tuple[Item, ...]:
        """Every scored item, dimension items first, the outcome item last."""
        return tuple(i for d in self.dimensions for i in d.items) + (self.outcome,)

    def item(self, item_id: str) -> Item:
        """Return the item with this id, or raise :class:`InstrumentError`."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise InstrumentError(f"instrument {self.version} has no item '{item_id}'")

    def dimension_names(self) -> dict[str, str]:
        """Map dimension id to its display name, in instrument order."""
        return {d.id: d.name for d in self.dimensions}

    def items_frame(self) -> pd.DataFrame:
        """One row per item: ``item``, ``dimension``, ``dimension_name``, ``text``.

        Built once per instrument; each call gets a copy of its own.
        """
        frame = self.__dict__.get("_items_frame")
        if frame is None:
            import pandas as pd

            names = self.dimension_names() | {OUTCOME_DIMENSION: "Overall outcome"}
            frame = pd.DataFrame(
                [
                    {"item": i.id, "dimension": i.dimension,
                     "dimension_name": names[i.dimension], "text": i.text}
                    for i in self.items
                ]
            )
            object.__setattr__(self, "_items_frame", frame)  # frozen: kept beside the fields
        return frame.copy()

    def bands_list(self) -> list[dict[str, Any]]:
        """Maturity bands as plain dicts (for charts and JSON)."""
        return [
            {"level": b.level, "name": b.name, "min_index": b.min_index,
             "description": b.description}
            for b in self.bands
        ]

    def to_json(self) -> dict[str, Any]:
        """The public JSON form used by ``alignkit instrument show --json``."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "scale": [{"value": v, "label": label} for v, label in self.scale],
            "not_applicable": self.na_label,
            "teams": [{"id": t, "label": label} for t, label, _ in self.teams],
            "dimensions": [
                {"id": d.id, "name": d.name, "description": d.description,
                 "items": [{"id": i.id, "text": i.text} for i in d.items]}
                for d in self.dimensions
            ],
            "outcome": {"id": self.outcome.id, "text": self.outcome.text},
            "maturity": self.bands_list(),
        }


def normalise_text(text: str) -> str:
    """Fold text for lenient matching: case, accents, quotes, punctuation, spaces.

    Examples
    --------
    >>> normalise_text("  We agree on what an “MQL” is. ")
    'we agree on what an mql is'
    """
    # Apostrophes vanish ("Marketing's" == "Marketing’s" == "Marketings").
    text = re.sub("['\u2018\u2019\u02bc`\u00b4]", "", str(text))
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^a-z0-9]+", " ", folded.lower())
    return folded.strip()


@lru_cache(maxsize=1)
def _validator() -> Any:
    # fastjsonschema rather than jsonschema: it imports in milliseconds, which
    # matters because every report kernel loads the instrument.
    text = resources.files("alignkit").joinpath("data/instrument.schema.json").read_text()
    return fastjsonschema.compile(json.loads(text))


def _check_semantics(raw: dict[str, Any], source: str) -> None:
    ids = [raw["outcome"]["id"]] + [i["id"] for d in raw["dimensions"] for i in d["items"]]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InstrumentError(f"{source}: item ids used twice: {', '.join(dupes)}")
    dims = [d["id"] for d in raw["dimensions"]]
    if len(set(dims)) != len(dims) or OUTCOME_DIMENSION in dims:
        raise InstrumentError(f"{source}: dimension ids must be unique and not '{OUTCOME_DIMENSION}'")
    values = [s["value"] for s in raw["scale"]]
    if values != list(range(values[0], values[0] + len(values))):
        raise InstrumentError(f"{source}: scale values must be consecutive integers")
    if not values[0] < raw["favourable_min"] <= values[-1]:
        raise InstrumentError(f"{source}: favourable_min must lie inside the scale")
    bands = raw["maturity"]
    levels = [b["level"] for b in bands]
    mins = [b["min_index"] for b in bands]
    if levels != list(range(1, len(levels) + 1)) or mins[0] != 0 or mins != sorted(set(mins)):
        raise InstrumentError(
            f"{source}: maturity bands must be levels 1..n with rising min_index starting at 0"
        )
    team_ids = [t["id"] for t in raw["teams"]]
    if "sales" not in team_ids or "marketing" not in team_ids:
        raise InstrumentError(f"{source}: teams must include 'sales' and 'marketing'")


def _build(raw: dict[str, Any]) -> Instrument:
    dimensions = tuple(
        Dimension(
            id=d["id"],
            name=d["name"],
            description=d.get("description", ""),
            items=tuple(Item(i["id"], i["text"].strip(), d["id"]) for i in d["items"]),
        )
        for d in raw["dimensions"]
    )
    return Instrument(
        id=raw["id"],
        version=raw["version"],
        title=raw["title"],
        intro=raw.get("intro", "").strip(),
        scale=tuple((s["value"], s["label"]) for s in raw["scale"]),
        na_label=raw["not_applicable"]["label"],
        na_aliases=tuple(raw["not_applicable"].get("aliases", [])),
        favourable_min=raw["favourable_min"],
        teams=tuple((t["id"], t["label"], tuple(t.get("aliases", []))) for t in raw["teams"]),
        questions={k: v["text"] for k, v in raw["questions"].items()},
        outcome=Item(raw["outcome"]["id"], raw["outcome"]["text"].strip(), OUTCOME_DIMENSION),
        dimensions=dimensions,
        bands=tuple(
            Band(b["level"], b["name"], float(b["min_index"]), b.get("description", ""))
            for b in raw["maturity"]
        ),
    )


def _parse_yaml(text: str) -> Any:
    """``yaml.safe_load``, with libyaml's parser when PyYAML was built with it (several times faster)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe


def read_data_file(path: Path | None, bundled: str, what: str) -> tuple[Any, str]:
    """Parse a YAML data file: ``path``, or the packaged ``alignkit/data/<bundled>``.

    Returns the parsed content and the file name for messages; an unreadable
    file raises :class:`InstrumentError` naming it and ``what`` it should be.
    """
    if path is None:
        ref = resources.files("alignkit").joinpath(f"data/{bundled}")
        return _parse_yaml(ref.read_text(encoding="utf-8")), bundled
    try:
        return _parse_yaml(Path(path).read_text(encoding="utf-8")), Path(path).name
    except (OSError, yaml.YAMLError) as err:
        raise InstrumentError(f"{Path(path).name}: cannot read {what} ({err})") from None


def _read(path: Path | None) -> tuple[dict[str, Any], str]:
    return read_data_file(path, "instrument.v1.yaml", "instrument")


@lru_cache(maxsize=8)
def load_instrument(path: Path | None = None) -> Instrument:
    """Load and validate an instrument (the bundled one by default).

    Parameters
    ----------
    path
        A YAML file in the instrument format; ``None`` for the bundled instrument.

    Raises
    ------
    InstrumentError
        If the file does not follow the schema or is inconsistent.
    """
    raw, source = _read(path)
    try:
        _validator()(raw)
    except fastjsonschema.JsonSchemaValueException as err:
        raise InstrumentError(f"{source}: {err.message}") from None
    _check_semantics(raw, source)
    return _build(raw)
