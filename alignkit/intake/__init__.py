"""Survey intake: read an export, detect its tool, validate it, return tidy frames.

Each supported export format is one module exposing ``SOURCE`` (its name),
``sniff(table, instrument) -> bool`` and ``parse(table, instrument, mapping)
-> ParsedSurvey``; add a tool by adding a module to :data:`IMPORTERS`. The
rules every tool shares (column matching, answer values, teams, duplicates,
incomplete responses) live in :mod:`~alignkit.intake.columns`,
:mod:`~alignkit.intake.values` and :mod:`~alignkit.intake.responses`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from alignkit.catalog.instrument import Instrument
from alignkit.exceptions import IntakeError
from alignkit.intake import (
    canonical,
    google_forms,
    limesurvey,
    microsoft_forms,
    qualtrics,
    surveymonkey,
    typeform,
)
from alignkit.intake.columns import read_mapping
from alignkit.intake.responses import ParsedSurvey
from alignkit.intake.table import Table, read_raw, read_table

__all__ = ["IMPORTERS", "ParsedSurvey", "Table", "detect", "parse_survey", "read_table", "sources"]

#: Importers in the order detection tries them (most specific first).
IMPORTERS: tuple[ModuleType, ...] = (
    qualtrics, surveymonkey, limesurvey, typeform, microsoft_forms, google_forms, canonical,
)


def sources() -> list[str]:
    """Names accepted by ``--source``."""
    return [m.SOURCE for m in IMPORTERS]


def detect(table: Table, instrument: Instrument, source: str | None = None) -> ModuleType:
    """The importer for a raw table: the one named by ``source``, else the first that sniffs it.

    A file nobody recognises goes to the canonical reader, which explains what
    is missing (no team column, no item column, a column used twice).
    """
    if source is not None:
        for module in IMPORTERS:
            if module.SOURCE == source.strip().lower():
                return module
        raise IntakeError(f"unknown source '{source}'; choose one of {', '.join(sources())}",
                          file=table.path)
    for module in IMPORTERS:
        if module.sniff(table, instrument):
            return module
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
        The export (CSV/TSV in UTF-8 or UTF-16, or XLSX).
    instrument
        The instrument whose items the columns answer.
    mapping
        Optional ``MAP.csv`` with columns ``column,item`` that completes or
        overrides the automatic column matching.
    source
        Force an export format (see :func:`sources`) instead of detecting it.

    Raises
    ------
    IntakeError
        With file, row and column for anything that cannot be imported.
    """
    table = read_raw(path)
    columns = read_mapping(mapping, instrument) if mapping else None
    return detect(table, instrument, source).parse(table, instrument, columns)
