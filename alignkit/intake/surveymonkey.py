"""SurveyMonkey: the CSV or XLSX of "Export file > All responses data".

Two header rows. Row 1 holds ``Respondent ID, Collector ID, Start Date,
End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1``
and then each question's text, in the question's first column only. Row 2
says what each column holds: a matrix statement, ``Response``, ``Other
(please specify)`` or ``Open-Ended Response``. Rows are newest first. There
is no completion flag: a partial response is a row whose grid is empty.
"""

from __future__ import annotations

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.intake.columns import Column
from alignkit.intake.responses import ParsedSurvey, Rules, read_responses
from alignkit.intake.table import Table

SOURCE = "surveymonkey"

_ROLES = {
    "respondent id": "respondent_id",
    "collector id": "known",
    "start date": "known",
    "end date": "submitted",
    "ip address": "ip",
    "email address": "email",
    "first name": "name",
    "last name": "name",
}
_WHOLE_ANSWER = frozenset({"response", "open ended response", "open ended", ""})


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the first row names SurveyMonkey's respondent and collector ids."""
    names = {normalise_text(h) for h in table.header}
    return {"respondent id", "collector id"} <= names


def _column(index: int, question: str, first: int, detail: str) -> Column:
    kind = normalise_text(detail)
    if kind in _WHOLE_ANSWER:
        return Column(index, question, (question,))
    if kind.startswith("other"):
        return Column(index, f"{question} [{detail}]", (), other_of=first)
    return Column(index, detail, (detail, f"{question} [{detail}]"))


def _columns(head: tuple[tuple[str, ...], ...]) -> list[Column]:
    questions, details = head[0], head[1]
    columns: list[Column] = []
    question, first = "", 0
    for index, (text, detail) in enumerate(zip(questions, details, strict=True)):
        folded = normalise_text(text)
        if folded in _ROLES or folded.startswith("custom data"):
            columns.append(Column(index, text, (text,), _ROLES.get(folded, "known")))
            continue
        if text:
            question, first = text, index
        elif not detail:
            columns.append(Column(index, "", ()))  # an unnamed column answers nothing
            continue
        columns.append(_column(index, question, first, detail))
    return columns


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a SurveyMonkey export (two header rows, newest response first)."""
    framed = table.framed(2)
    return read_responses(framed, _columns(framed.head), instrument, mapping, source=SOURCE,
                          rules=Rules(newest_first=True))
