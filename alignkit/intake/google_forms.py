"""Google Forms: the CSV of "Download responses" (or of the linked sheet).

Every field is quoted. The first column is ``Timestamp``; ``Email Address``
follows when the form collects e-mails. A multiple-choice grid becomes one
column per row, headed ``Question [Row]``. An "Other:" answer arrives as the
text the respondent typed, in the question's own column. Only submitted
responses are exported, so there is no completion flag. The timestamp is the
submission time: without e-mail addresses it tells two identical responses
apart, and recognises a response imported before.
"""

from __future__ import annotations

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.intake.columns import simple_columns
from alignkit.intake.responses import ParsedSurvey, read_responses
from alignkit.intake.table import Table

SOURCE = "google-forms"

#: First-column names of the export (the form's language decides it).
_TIMESTAMPS = frozenset({"timestamp", "marca temporal", "horodateur", "zeitstempel",
                         "informazioni cronologiche", "carimbo de data hora", "tijdstempel"})
_ROLES = {
    "timestamp": "submitted",
    "email address": "email",
    "username": "email",
    "score": "known",
}


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the first column is the form's timestamp."""
    return len(table.header) > 1 and normalise_text(table.header[0]) in _TIMESTAMPS


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a Google Forms export (one header row)."""
    framed = table.framed(1)
    roles = _ROLES | {normalise_text(framed.header[0]): "submitted"}
    return read_responses(framed, simple_columns(framed.header, roles), instrument, mapping,
                          source=SOURCE)
