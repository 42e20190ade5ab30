"""alignkit's own response template (written by ``alignkit instrument export``).

Columns: ``respondent_id, team, role, <item id> …, comment``. Headers may also
be the statements' full text (or ``Question [Statement]``), so a hand-made
sheet of the questionnaire works too.
"""

from __future__ import annotations

from alignkit.catalog.instrument import Instrument
from alignkit.exceptions import IntakeError
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


_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def restore_text(text: str) -> str:
    """Undo the quote alignkit puts before formula-like text when it writes a template.

    Examples
    --------
    >>> restore_text("'- more meetings")
    '- more meetings'
    >>> restore_text("'quoted' on purpose")
    "'quoted' on purpose"
    """
    return text[1:] if text.startswith(_NEUTRALISED) else text


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read the canonical template (one header row) into a :class:`ParsedSurvey`."""
    framed = table.framed(1)
    parsed = read_responses(framed, simple_columns(framed.header), instrument, mapping,
                            source=SOURCE)
    for column in ("role", "comment"):
        parsed.respondents[column] = parsed.respondents[column].map(restore_text)
    return parsed
