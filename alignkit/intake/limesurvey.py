"""LimeSurvey: "Responses > Export > CSV".

Written with a UTF-8 byte-order mark, every value quoted (a NULL, i.e. a
question never shown, is an empty unquoted cell; an empty answer is ``""``),
CRLF line ends and a configurable separator (``,`` or ``;``). Headings are
either question codes (``id, submitdate, lastpage …, G01Q01, G01Q01[other],
G02Q01[SQ001]``), full question text (``Response ID, Date submitted, Last
page …, Question, Question [Other], Question [Statement]``) or both
(``G02Q01[SQ001]. Question [Statement]``). ``Date submitted`` is empty for an
incomplete response, which is dropped. Sub-question codes that spell an item
id without its underscore (``goals1``) match that item; other codes need
``--mapping``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.intake.columns import Column, grid_parts
from alignkit.intake.responses import ParsedSurvey, Rules, read_responses
from alignkit.intake.table import Table

SOURCE = "limesurvey"

_ROLES = {
    "response id": "respondent_id", "id": "respondent_id",
    "date submitted": "submitted", "submitdate": "submitted",
    "ip address": "ip", "ipaddr": "ip",
    "email address": "email", "email": "email",
    "first name": "name", "firstname": "name", "last name": "name", "lastname": "name",
}
_KNOWN = frozenset({
    "last page", "lastpage", "start language", "startlanguage", "seed", "date started",
    "startdate", "date last action", "datestamp", "referrer url", "refurl", "token",
    "total time", "interviewtime",
})
_CODE_AND_TEXT = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9_]*(?:\[[^\]]*\])?)\.\s+(?P<text>.+)$",
                            re.DOTALL)


def sniff(table: Table, instrument: Instrument) -> bool:
    """True when the header holds LimeSurvey's response id and submit date."""
    names = {normalise_text(h) for h in table.header}
    return {"response id", "date submitted"} <= names or {"id", "submitdate"} <= names


def _texts(header: str) -> tuple[str, ...]:
    """The heading, its question text without the code, and their statements."""
    match = _CODE_AND_TEXT.match(header)
    texts = (match.group("text"), match.group("code")) if match else (header,)
    labels: list[str] = []
    for text in texts:
        parts = grid_parts(text)
        labels += [text, parts[1]] if parts else [text]
    return tuple(labels)


def _columns(header: tuple[str, ...]) -> list[Column]:
    questions = {_texts(name)[0]: index for index, name in enumerate(header)}
    columns = []
    for index, name in enumerate(header):
        folded = normalise_text(name)
        texts = _texts(name)
        parts = grid_parts(texts[0])
        if folded in _ROLES or folded in _KNOWN or folded.startswith("grouptime"):
            columns.append(Column(index, name, (name,), _ROLES.get(folded, "known")))
        elif parts and parts[1].strip().lower() == "other" and parts[0] in questions:
            columns.append(Column(index, name, (), other_of=questions[parts[0]]))
        else:
            columns.append(Column(index, name, texts))
    return columns


def _drop(meta: Mapping[str, str]) -> str | None:
    if "submitted" in meta and not meta["submitted"].strip():
        return "incomplete response (no 'Date submitted')"
    return None


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a LimeSurvey export (one header row)."""
    framed = table.framed(1)
    return read_responses(framed, _columns(framed.header), instrument, mapping, source=SOURCE,
                          rules=Rules(drop=_drop))
