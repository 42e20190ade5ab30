"""Typeform: the CSV of "Results > Responses > Download all responses".

One header row: ``#`` (the response token), one column per question headed by
its title (an opinion scale answers with its number), then ``Response Type``
(``completed`` or ``partial``), ``Start Date (UTC)``, ``Stage Date (UTC)``,
``Submit Date (UTC)``, ``Network ID`` and ``Tags``. Rows are newest first.
Older exports have no ``Response Type``; a partial response then lacks its
submit date. A multiple-choice "Other" answer is the typed text, either in the
question's column or in an ``Other`` column right after it.
"""

from __future__ import annotations

from collections.abc import Mapping

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.intake.columns import Column, simple_columns
from alignkit.intake.responses import ParsedSurvey, Rules, read_responses
from alignkit.intake.table import Table

SOURCE = "typeform"

_ROLES = {
    "response type": "response_type",
    "start date utc": "known",
    "stage date utc": "known",
    "submit date utc": "submitted",
    "network id": "ip",
    "tags": "known",
}
_MARKERS = frozenset({"response type", "submit date utc", "network id"})


def sniff(table: Table, instrument: Instrument) -> bool:
    """True for a ``#`` token column with Typeform's closing columns."""
    names = {normalise_text(h) for h in table.header}
    return bool(table.header) and table.header[0] == "#" and bool(names & _MARKERS)


def _columns(header: tuple[str, ...]) -> list[Column]:
    columns = []
    for column in simple_columns(header, _ROLES):
        if column.index == 0:
            column = Column(0, "#", ("#",), "respondent_id")
        elif normalise_text(column.name) == "other" and column.index > 1:
            column = Column(column.index, column.name, (), other_of=column.index - 1)
        columns.append(column)
    return columns


def _drop(meta: Mapping[str, str]) -> str | None:
    kind = meta.get("response_type", "").strip().lower()
    if kind == "partial":
        return "incomplete response (Response Type 'partial')"
    if not kind and "submitted" in meta and not meta["submitted"].strip():
        return "incomplete response (no Submit Date)"
    return None


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a Typeform export (one header row, newest response first)."""
    framed = table.framed(1)
    return read_responses(framed, _columns(framed.header), instrument, mapping, source=SOURCE,
                          rules=Rules(newest_first=True, drop=_drop))
