"""Survey intake: read an export, detect its tool, validate it, return tidy frames.

Each supported export format is one module exposing ``SOURCE`` (its name),
``sniff(table, instrument) -> bool`` and ``parse(table, instrument, mapping)
-> ParsedSurvey``; add a tool by adding a module to :data:`IMPORTERS`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from alignkit.exceptions import IntakeError
from alignkit.instrument import Instrument
from alignkit.intake import canonical
from alignkit.intake.columns import read_mapping
from alignkit.intake.responses import ParsedSurvey
from alignkit.intake.table import Table, read_table

__all__ = ["IMPORTERS", "ParsedSurvey", "Table", "parse_survey", "read_table", "sources"]

#: Importers in the order detection tries them (most specific first).
IMPORTERS: tuple[ModuleType, ...] = (canonical,)


def sources() -> list[str]:
    """Names accepted by ``--source``."""
    return [m.SOURCE for m in IMPORTERS]


def _choose(table: Table, instrument: Instrument, source: str | None,
            mapping: dict[str, str] | None) -> ModuleType:
    if source is not None:
        for module in IMPORTERS:
            if module.SOURCE == source:
                return module
        raise IntakeError(f"unknown source '{source}'; choose one of {', '.join(sources())}")
    for module in IMPORTERS:
        if module.sniff(table, instrument):
            return module
    # Nothing recognised the file: the canonical reader explains what is missing
    # (no team column, no item column, a column used twice).
    return canonical


def parse_survey(
    path: str | Path,
    instrument: Instrument,
    *,
    mapping: str | Path | None = None,
    source: str | None = None,
) -> ParsedSurvey:
    """Read and validate a survey file without touching any store.

    Parameters
    ----------
    path
        The export (CSV or XLSX).
    instrument
        The instrument whose items the columns answer.
    mapping
        Optional ``MAP.csv`` with columns ``column,item`` that completes or
        overrides the automatic column matching.
    source
        Force an export format instead of detecting it.

    Raises
    ------
    IntakeError
        With file, row and column for anything that cannot be imported.
    """
    table = read_table(path)
    columns = read_mapping(mapping, instrument) if mapping else None
    module = _choose(table, instrument, source, columns)
    return module.parse(table, instrument, columns)
