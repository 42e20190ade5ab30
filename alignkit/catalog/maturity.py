"""Published maturity frameworks of the sales and marketing relationship.

A framework is versioned data (``alignkit/data/maturity.hbr2006.v1.yaml``): its
score scale and its levels, each with the lowest score that reaches it, what it
looks like and what the next level asks for. It is checked when loaded. The
alignment index and its own bands in the instrument are separate and unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alignkit.catalog.instrument import read_data_file
from alignkit.exceptions import InstrumentError

__all__ = ["MaturityFramework", "MaturityLevel", "load_maturity_framework"]


@dataclass(frozen=True)
class MaturityLevel:
    """One level of a framework and the lowest score that reaches it."""

    level: int
    name: str
    min_score: float
    looks_like: str
    next_step: str


@dataclass(frozen=True)
class MaturityFramework:
    """A validated framework. Build it with :func:`load_maturity_framework`."""

    id: str
    version: str
    framework: str
    source: str
    scale_min: float
    scale_max: float
    levels: tuple[MaturityLevel, ...]

    def level_of(self, score: float) -> MaturityLevel | None:
        """The level a score on :attr:`scale_min`–:attr:`scale_max` falls in (``None`` for NaN)."""
        if score != score:  # NaN
            return None
        score = round(float(score), 9)  # 59.99999999999999 is a score of 60
        reached = [lvl for lvl in self.levels if score >= lvl.min_score]
        return reached[-1] if reached else self.levels[0]


def _text(raw: dict[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(f"{source}: '{key}' must be a non-empty text")
    return " ".join(value.split())


def _build(raw: Any, source: str) -> MaturityFramework:
    if not isinstance(raw, dict) or not isinstance(raw.get("levels"), list) or not raw["levels"]:
        raise InstrumentError(f"{source}: a maturity framework needs a list of 'levels'")
    scale = raw.get("scale")
    if not isinstance(scale, dict) or not all(isinstance(scale.get(k), int | float)
                                              for k in ("min", "max")):
        raise InstrumentError(f"{source}: 'scale' needs numbers 'min' and 'max'")
    levels = []
    for n, entry in enumerate(raw["levels"], start=1):
        if not isinstance(entry, dict) or entry.get("level") != n \
                or not isinstance(entry.get("min_score"), int | float):
            raise InstrumentError(f"{source}: level {n} needs 'level: {n}' and a 'min_score'")
        levels.append(MaturityLevel(n, _text(entry, "name", source), float(entry["min_score"]),
                                    _text(entry, "looks_like", source),
                                    _text(entry, "next_step", source)))
    mins = [lvl.min_score for lvl in levels]
    if mins[0] != scale["min"] or mins != sorted(set(mins)) or mins[-1] >= scale["max"]:
        raise InstrumentError(f"{source}: min_score must rise from the scale's min, below its max")
    return MaturityFramework(_text(raw, "id", source), str(raw.get("version", "")),
                             _text(raw, "framework", source), _text(raw, "source", source),
                             float(scale["min"]), float(scale["max"]), tuple(levels))


@lru_cache(maxsize=8)
def load_maturity_framework(path: Path | None = None) -> MaturityFramework:
    """Load and check a maturity framework (the bundled HBR 2006 levels by default).

    Raises
    ------
    InstrumentError
        If the file cannot be read or its levels are inconsistent.
    """
    raw, source = read_data_file(path, "maturity.hbr2006.v1.yaml", "maturity framework")
    return _build(raw, source)
