"""alignkit's own response template (written by ``alignkit instrument export``).

Columns: ``respondent_id, team, role, <item id> …, comment``. Headers may also
be the statements' full text (or ``Question [Statement]``), so a hand-made
sheet of the questionnaire works too.
"""

from __future__ import annotations

from alignkit.exceptions import IntakeError
from alignkit.instrument import Instrument
from alignkit.intake.columns import match_columns, simple_columns
from alignkit.intake.responses import ParsedSurvey, read_responses
from alignkit.intake.table import Table

SOURCE = "alignkit"


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the first row names a team column and at least one item."""
    try:
        matched = match_columns(table.path, simple_columns(table.header), instrument)
    except IntakeError:  # a header this importer cannot match is simply not ours
        return False
    items = {i.id for i in instrument.items}
    values = set(matched.targets.values())
    return "team" in values and bool(values & items)


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read the canonical template (one header row) into a :class:`ParsedSurvey`."""
    framed = table.framed(1)
    return read_responses(framed, simple_columns(framed.header), instrument, mapping,
                          source=SOURCE)
