"""Qualtrics: "Data & Analysis > Export data" as CSV (UTF-8 with BOM) or TSV (UTF-16).

Three header rows: column ids (``StartDate … ResponseId …, Q1, Q1_4_TEXT,
Q2_1 …``), labels (``Question - Statement``, ``Question - Selected Choice``,
``Question - Other - Text``) and ``{"ImportId": …}`` JSON. Answers are choice
text or numeric values; in a numeric export an N/A choice placed after the
scale is an extra code (``6`` on a 1–5 scale) and team choices are numbers in
the order the questionnaire lists them. ``-99`` marks a question seen but not
answered. ``Finished``/``Progress`` flag partial responses and ``Status``
marks preview, test and spam responses, which are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from alignkit.catalog.instrument import Instrument
from alignkit.intake.columns import Column
from alignkit.intake.responses import ParsedSurvey, Rules, read_responses
from alignkit.intake.table import Table
from alignkit.intake.values import Codes

SOURCE = "qualtrics"

_ROLES = {
    "ResponseId": "respondent_id", "ResponseID": "respondent_id", "IPAddress": "ip",
    "RecipientEmail": "email", "RecipientFirstName": "name", "RecipientLastName": "name",
    "Status": "status", "Finished": "finished", "Progress": "progress",
    "RecordedDate": "submitted",
    # Where the respondent was: left out of the workspace's copy like e-mail and IP.
    "LocationLatitude": "latitude", "LocationLongitude": "longitude",
}
_KNOWN = frozenset({
    "StartDate", "EndDate", "Duration (in seconds)", "ExternalReference",
    "ExternalDataReference", "DistributionChannel",
    "UserLanguage", "ResponseSet",
})
_OTHER_TEXT = re.compile(r"^(?P<base>.+)_\d+_TEXT$")
#: Status values of responses that are not real answers (numeric export codes first).
_NOT_REAL = {"1": "Survey Preview", "2": "Survey Test", "8": "Spam", "9": "Preview Spam"}
_NOT_REAL |= {name.lower(): name for name in _NOT_REAL.values()}
_NOT_FINISHED = frozenset({"false", "0"})
_SEPARATOR = " - "


def sniff(table: Table, instrument: Instrument) -> bool:
    """True for the ``{"ImportId": …}`` header row or ResponseId with Finished."""
    third = table.rows[1] if len(table.rows) > 1 else ()
    if any(cell.startswith('{"ImportId"') for cell in third):
        return True
    return {"ResponseId", "Finished"} <= set(table.header)


def _labels(label: str, column_id: str) -> tuple[str, ...]:
    """The label, its statement and its question part, then the column id."""
    if _SEPARATOR not in label:
        return (label, column_id)
    question, _, statement = label.partition(_SEPARATOR)
    return (label, statement, question, column_id)


def _columns(head: tuple[tuple[str, ...], ...]) -> list[Column]:
    ids, labels = head[0], head[1]
    where = {column_id: index for index, column_id in enumerate(ids)}
    columns = []
    for index, (column_id, label) in enumerate(zip(ids, labels, strict=True)):
        other = _OTHER_TEXT.match(column_id)
        if column_id in _ROLES or column_id in _KNOWN or column_id.startswith("Q_"):
            role = _ROLES.get(column_id, "known")
            columns.append(Column(index, column_id, (column_id,), role))
        elif other and other.group("base") in where:
            columns.append(Column(index, column_id, (), other_of=where[other.group("base")]))
        else:
            columns.append(Column(index, column_id or label, _labels(label, column_id)))
    return columns


def _drop(meta: Mapping[str, str]) -> str | None:
    status = meta.get("status", "").strip()
    if status.lower() in _NOT_REAL:
        return f"not a real response (Status '{_NOT_REAL[status.lower()]}')"
    finished = meta.get("finished", "").strip()
    if finished.lower() in _NOT_FINISHED:
        progress = meta.get("progress", "").strip()
        shown = f", Progress {progress}%" if progress else ""
        return f"incomplete response (Finished = {finished}{shown})"
    return None


def _numeric(table: Table, columns: list[Column]) -> bool:
    """A numeric-values export writes Finished as 1/0 (choice text: True/False)."""
    finished = [c.index for c in columns if c.role == "finished"]
    return bool(finished) and any(row[finished[0]] in {"0", "1"} for row in table.rows)


def parse(table: Table, instrument: Instrument, mapping: dict[str, str] | None) -> ParsedSurvey:
    """Read a Qualtrics export (three header rows)."""
    framed = table.framed(3)
    columns = _columns(framed.head)
    if _numeric(framed, columns):
        codes = Codes(skipped=frozenset({"-99"}),
                      not_applicable=frozenset({str(instrument.scale_max + 1)}), team_numbers=True)
    else:
        codes = Codes(skipped=frozenset({"-99"}))
    return read_responses(framed, columns, instrument, mapping, source=SOURCE,
                          rules=Rules(codes=codes, drop=_drop))
