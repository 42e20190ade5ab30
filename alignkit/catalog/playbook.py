"""The playbook: tactics that close alignment gaps, and the KPIs that show progress.

The playbook is versioned data (``alignkit/data/playbook.v1.yaml``) checked
against a JSON schema and against the instrument when it is loaded: every
dimension a tactic claims to move must exist in the survey, and every KPI a
tactic names must be defined. Adding a tactic is a data change.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import pandas as pd

from alignkit.catalog.instrument import Instrument, load_instrument, read_data_file
from alignkit.exceptions import AlignkitError, InstrumentError

__all__ = ["Kpi", "Playbook", "Tactic", "load_playbook"]


@dataclass(frozen=True)
class Kpi:
    """A figure that shows whether an action works.

    ``unit`` is ``percent`` (a share from 0 to 1) or ``count``; ``source`` is
    ``funnel`` (measured from the CRM export) or ``tracker`` (counted by the
    teams while the plan runs).
    """

    id: str
    name: str
    unit: str
    better: str
    source: str
    target: float
    improve_by: float | None = None

    def target_for(self, baseline: float | None) -> float:
        """The goal for this KPI given today's value (``None``/NaN if unknown).

        With a known baseline and ``improve_by`` the goal is relative (e.g. a
        fifth better than today); otherwise it is the default ``target``. A goal
        is never worse than the baseline, and a share never exceeds 100%.

        Examples
        --------
        >>> Kpi("x", "X", "percent", "higher", "funnel", 0.3, 0.2).target_for(0.2)
        0.24
        >>> Kpi("x", "X", "percent", "higher", "funnel", 0.3, 0.2).target_for(None)
        0.3
        """
        if baseline is None or math.isnan(baseline):
            return self.target
        higher = self.better == "higher"
        if self.improve_by is not None:
            goal = baseline * (1 + self.improve_by if higher else 1 - self.improve_by)
        else:
            goal = self.target
        goal = max(goal, baseline) if higher else min(goal, baseline)
        if self.unit == "percent":
            goal = min(goal, 1.0)
        return round(goal, 4)

    def parse(self, text: str) -> float:
        """Read a value typed by a user: ``"90%"``, ``"0.9"`` or ``"90"`` for a share.

        Raises
        ------
        AlignkitError
            If the text is not a number, a count has a ``%`` or a share exceeds 100%.

        Examples
        --------
        >>> share = Kpi("x", "X", "percent", "higher", "funnel", 0.9)
        >>> share.parse("85%"), share.parse("0.85"), share.parse("85")
        (0.85, 0.85, 0.85)
        """
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*", str(text))
        if not match or (match.group(2) and self.unit != "percent"):
            example = "90% or 0.9" if self.unit == "percent" else "4"
            raise AlignkitError(f"'{text}' is not a value of '{self.name}'; write e.g. {example}")
        value = float(match.group(1))
        if self.unit == "percent" and (match.group(2) or value > 1):
            value /= 100  # "90" for a share means 90%
        if self.unit == "percent" and value > 1:
            raise AlignkitError(f"'{text}' is above 100%, which '{self.name}' cannot exceed")
        return round(value, 6)

    def format(self, value: float | None) -> str:
        """``"42%"`` or ``"4"``; an unknown value reads ``"not measured yet"``."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not measured yet"
        return f"{value:.0%}" if self.unit == "percent" else f"{value:g}"


@dataclass(frozen=True)
class Tactic:
    """One way to close a gap, as the playbook describes it."""

    id: str
    name: str
    dimensions: tuple[str, ...]
    effort: int
    impact: int
    weeks_to_impact: int
    description: str
    first_steps: tuple[str, ...]
    kpis: tuple[str, ...]

    @property
    def headline_kpi(self) -> str:
        """The KPI an action built from this tactic is tracked by (the first one)."""
        return self.kpis[0]


@dataclass(frozen=True)
class Playbook:
    """A validated playbook. Build it with :func:`load_playbook`."""

    id: str
    version: str
    instrument: str
    kpis: tuple[Kpi, ...]
    tactics: tuple[Tactic, ...]

    def tactic(self, tactic_id: str) -> Tactic:
        """The tactic with this id, or raise :class:`InstrumentError`."""
        for tactic in self.tactics:
            if tactic.id == tactic_id:
                return tactic
        raise InstrumentError(f"playbook {self.version} has no tactic '{tactic_id}'; "
                              "see `alignkit plan tactics`")

    def kpi(self, kpi_id: str) -> Kpi:
        """The KPI with this id, or raise :class:`InstrumentError`."""
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise InstrumentError(f"playbook {self.version} has no KPI '{kpi_id}'")

    def tactics_frame(self) -> pd.DataFrame:
        """One row per tactic: ``tactic, name, dimensions, effort, impact,
        weeks_to_impact, kpi, description`` (``dimensions`` joined by commas)."""
        return pd.DataFrame(
            [{"tactic": t.id, "name": t.name, "dimensions": ", ".join(t.dimensions),
              "effort": t.effort, "impact": t.impact, "weeks_to_impact": t.weeks_to_impact,
              "kpi": t.headline_kpi, "description": t.description} for t in self.tactics]
        )

    def to_json(self) -> dict[str, Any]:
        """The public JSON form used by ``alignkit plan tactics --json``."""
        return {
            "id": self.id, "version": self.version, "instrument": self.instrument,
            "kpis": [vars(k) for k in self.kpis],
            "tactics": [{**vars(t), "dimensions": list(t.dimensions),
                         "first_steps": list(t.first_steps), "kpis": list(t.kpis)}
                        for t in self.tactics],
        }


@lru_cache(maxsize=1)
def _validator() -> Any:
    text = resources.files("alignkit").joinpath("data/playbook.schema.json").read_text()
    return fastjsonschema.compile(json.loads(text))


def _duplicates(ids: list[str]) -> list[str]:
    return sorted({i for i in ids if ids.count(i) > 1})


def _check_semantics(raw: dict[str, Any], instrument: Instrument, source: str) -> None:
    if raw["instrument"] != instrument.id:
        raise InstrumentError(f"{source}: written for instrument '{raw['instrument']}', "
                              f"not '{instrument.id}'")
    for what in ("kpis", "tactics"):
        dupes = _duplicates([entry["id"] for entry in raw[what]])
        if dupes:
            raise InstrumentError(f"{source}: {what} ids used twice: {', '.join(dupes)}")
    dimensions = set(instrument.dimension_names())
    kpis = {k["id"] for k in raw["kpis"]}
    for tactic in raw["tactics"]:
        unknown = [d for d in tactic["dimensions"] if d not in dimensions]
        if unknown:
            raise InstrumentError(f"{source}: tactic '{tactic['id']}' names unknown "
                                  f"dimension(s) {', '.join(unknown)}; use ids from "
                                  "`alignkit instrument show`")
        missing = [k for k in tactic["kpis"] if k not in kpis]
        if missing:
            raise InstrumentError(f"{source}: tactic '{tactic['id']}' names undefined "
                                  f"KPI(s) {', '.join(missing)}")


def _build(raw: dict[str, Any]) -> Playbook:
    return Playbook(
        id=raw["id"], version=raw["version"], instrument=raw["instrument"],
        kpis=tuple(Kpi(k["id"], k["name"], k["unit"], k["better"], k["source"],
                       float(k["target"]), k.get("improve_by")) for k in raw["kpis"]),
        tactics=tuple(
            Tactic(t["id"], t["name"], tuple(t["dimensions"]), t["effort"], t["impact"],
                   t["weeks_to_impact"], " ".join(t["description"].split()),
                   tuple(t["first_steps"]), tuple(t["kpis"]))
            for t in raw["tactics"]
        ),
    )


def _read(path: Path | None) -> tuple[Any, str]:
    return read_data_file(path, "playbook.v1.yaml", "playbook")


@lru_cache(maxsize=8)
def _validated(path: Path | None) -> tuple[Playbook, dict[str, Any], str]:
    raw, source = _read(path)
    try:
        _validator()(raw)
    except fastjsonschema.JsonSchemaValueException as err:
        raise InstrumentError(f"{source}: {err.message}") from None
    return _build(raw), raw, source


def load_playbook(path: Path | None = None, instrument: Instrument | None = None) -> Playbook:
    """Load and validate a playbook (the bundled one by default).

    Parameters
    ----------
    path
        A YAML file in the playbook format; ``None`` for the bundled playbook.
    instrument
        The instrument whose dimension ids the tactics must use (the bundled
        one by default).

    Raises
    ------
    InstrumentError
        If the file does not follow the schema, names a dimension the
        instrument does not have, or names an undefined KPI.

    Examples
    --------
    >>> playbook = load_playbook()
    >>> len(playbook.tactics) >= 15
    True
    """
    playbook, raw, source = _validated(path)
    _check_semantics(raw, instrument or load_instrument(), source)
    return playbook
