"""Microsoft Forms: the workbook of "Open results in Excel".

The sheet starts with ``ID, Start time, Completion time, Email, Name`` (newer
forms add ``Last modified time``); times are real date-time cells. Each
statement of a Likert question is its own column, headed by the statement
alone; "Other" answers arrive as the typed text. ``Email`` reads
``anonymous`` when the form does not record who answered. Quizzes add
``Total points``, ``Quiz feedback`` and ``Points - …``/``Feedback - …`` columns.
"""

from __future__ import annotations

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.intake.columns import Column, simple_columns
from alignkit.intake.responses import ParsedSurvey, read_responses
from alignkit.intake.table import Table

SOURCE = "microsoft-forms"

_LEADING = ("id", "start time", "completion time", "email", "name")
_ROLES = {
    "id": "respondent_id",
    "start time": "known",
    "completion time": "submitted",
    "last modified time": "known",
    "email": "email",
    "name": "name",
    "total points": "known",
    "quiz feedback": "known",
}


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the first columns are the ones Forms fills for every response."""
    return tuple(normalise_text(h) for h in table.header[:5]) == _LEADING


def _columns(header: tuple[str, ...]) -> list[Column]:
    columns = simple_columns(header, _ROLES)
    quiz = ("Points - ", "Feedback - ")
    return [Column(c.index, c.name, c.labels, "known") if c.name.startswith(quiz) else c
            for c in columns]


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a Microsoft Forms workbook (one header row)."""
    framed = table.framed(1)
    return read_responses(framed, _columns(framed.header), instrument, mapping, source=SOURCE)
