"""alignkit's own response template (written by ``alignkit instrument export``).

Columns: ``respondent_id, team, role, <item id> …, comment``. Headers may also
be the statements' full text, so a hand-made sheet of the questionnaire works.
"""

from __future__ import annotations

from alignkit.instrument import Instrument
from alignkit.intake.columns import match_columns
from alignkit.intake.responses import ParsedSurvey, build_responses
from alignkit.intake.table import Table

SOURCE = "alignkit"


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the header names a team column and at least one item."""
    try:
        targets, _ = match_columns(table.path, table.header, instrument)
    except Exception:  # a header this importer cannot match is simply not ours
        return False
    values = set(targets.values())
    return "team" in values and any(v not in {"respondent_id", "role", "comment"}
                                    for v in values - {"team"})


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read the canonical template into a :class:`ParsedSurvey`."""
    columns, unmapped = match_columns(table.path, table.header, instrument, mapping)
    return build_responses(table, columns, instrument, source=SOURCE, unmapped=unmapped)
