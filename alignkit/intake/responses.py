"""Common rules every importer applies once its columns are matched.

The same for every tool: answers are read against the scale (a bad cell stops
the import naming file, data row and column); blank, skipped and N/A answers
are missing, never zero; a row the tool marks as a preview or as unfinished,
a row without any scored answer and a row without a team are dropped; a
duplicate submission (same response id, same e-mail, or same network address
with identical answers) counts once, the earliest submission being kept. Every
dropped row is reported in ``skipped`` with its data row and the reason.
E-mails, names and network addresses only serve to find duplicates: the key
handed on is the tool's response id, else one derived from the e-mail (the
store keeps only a salted hash of it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from alignkit.exceptions import IntakeError
from alignkit.instrument import Instrument
from alignkit.intake.columns import Column, Matched, match_columns
from alignkit.intake.table import Table
from alignkit.intake.values import PLAIN, AnswerError, Codes, parse_answer, parse_team

__all__ = ["ParsedSurvey", "Rules", "build_responses", "read_responses"]

#: ``drop(meta)`` returns why a row must be left out (preview, unfinished …) or ``None``.
DropRule = Callable[[Mapping[str, str]], str | None]


@dataclass(frozen=True)
class ParsedSurvey:
    """A survey file read and validated, not yet stored.

    Attributes
    ----------
    source
        The detected (or forced) export format.
    respondents
        One row per accepted response: ``row`` (1-based data row), ``key``
        (the tool's response id, ``email:<address>`` when only an e-mail is
        known, else ``""``), ``team``, ``role``, ``comment``.
    answers
        Long format: ``row``, ``item``, ``value`` (NaN for an explicit N/A).
    skipped
        ``{"row": n, "reason": "…"}`` for every data row that was left out.
    unmapped
        Column headers that answer no item and were ignored.
    """

    source: str
    respondents: pd.DataFrame
    answers: pd.DataFrame
    skipped: list[dict[str, object]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """What one tool adds to the common rules.

    Attributes
    ----------
    codes
        Extra answer codes (skipped, numeric N/A, numbered teams).
    newest_first
        The tool lists the latest submission first.
    drop
        The tool's own flags (preview rows, unfinished responses).
    """

    codes: Codes = PLAIN
    newest_first: bool = False
    drop: DropRule | None = None


@dataclass
class _Collector:
    """Accepted and skipped rows while a file is read, plus what finds duplicates."""

    people: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    answers: list[tuple[int, str, float]] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)
    seen: dict[tuple[str, object], int] = field(default_factory=dict)

    def skip(self, row: int, reason: str) -> None:
        self.skipped.append({"row": row, "reason": reason})

    def duplicate_of(self, marks: list[tuple[str, object]]) -> str | None:
        for mark in marks:
            if mark in self.seen:
                what = {"id": "same respondent id", "email": "same e-mail address",
                        "ip": "same network address and identical answers"}[mark[0]]
                return f"duplicate of row {self.seen[mark]} ({what})"
        return None


def _email(cell: str) -> str:
    text = cell.strip().lower()
    return text if "@" in text and " " not in text else ""


class _RowReader:
    """Reads one data row with the matched columns."""

    def __init__(self, table: Table, matched: Matched, instrument: Instrument, rules: Rules):
        self.table, self.names, self.instrument, self.rules = table, matched.names, instrument, rules
        item_ids = {item.id for item in instrument.items}
        self.items = {i: t for i, t in matched.targets.items() if t in item_ids}
        self.fields = {t: i for i, t in sorted(matched.targets.items(), reverse=True)
                       if t not in self.items.values()}

    def text(self, cells: tuple[str, ...], name: str) -> str:
        value = cells[self.fields[name]] if name in self.fields else ""
        return "" if value in self.rules.codes.skipped else value

    def answers(self, number: int, cells: tuple[str, ...]) -> list[tuple[int, str, float]]:
        found = []
        for index, item in self.items.items():
            try:
                value = parse_answer(cells[index], self.instrument, self.rules.codes)
            except AnswerError as err:
                raise IntakeError(str(err), file=self.table.path, row=number,
                                  column=self.names[index]) from None
            if value is not None:
                found.append((number, item, value))
        return found

    def team(self, cells: tuple[str, ...]) -> str | None:
        team = parse_team(self.text(cells, "team"), self.instrument, self.rules.codes)
        if team is None and self.text(cells, "team_other").strip():
            return "other"
        return team

    def marks(self, cells: tuple[str, ...], team: str | None,
              found: list[tuple[int, str, float]]) -> list[tuple[str, object]]:
        """What makes this row a duplicate of an earlier one."""
        marks: list[tuple[str, object]] = []
        if key := self.text(cells, "respondent_id").strip():
            marks.append(("id", key))
        if email := _email(self.text(cells, "email")):
            marks.append(("email", email))
        if ip := self.text(cells, "ip").strip():
            answers = tuple(sorted((item, repr(value)) for _, item, value in found))
            marks.append(("ip", (ip, team, answers, self.text(cells, "comment").strip())))
        return marks


def _require(table: Table, reader: _RowReader, unmapped: list[str]) -> None:
    if not reader.items:
        shown = ", ".join(f"'{name[:60]}'" for name in unmapped[:3])
        seen = f" (unmatched columns: {shown}{', …' if len(unmapped) > 3 else ''})" if shown else ""
        raise IntakeError(
            f"no column matches a survey item{seen}; use the template from `alignkit instrument "
            "export`, or map the columns with --mapping MAP.csv",
            file=table.path,
        )
    if "team" not in reader.fields:
        raise IntakeError(
            "there is no team column; add a 'team' column, or map the team question with "
            "--mapping MAP.csv (a row 'Your question text,team')",
            file=table.path, column="team",
        )


def _read_row(reader: _RowReader, out: _Collector, number: int, cells: tuple[str, ...]) -> None:
    meta = {name: reader.text(cells, name) for name in reader.fields}
    dropped = reader.rules.drop(meta) if reader.rules.drop else None
    if dropped:
        out.skip(number, dropped)
        return
    found = reader.answers(number, cells)
    team = reader.team(cells)
    if not any(v == v for _, _, v in found):  # NaN != NaN: N/A only counts as no answer
        out.skip(number, "no answered item (blank or N/A only)")
        return
    if team is None:
        out.skip(number, "no team given; fill the team cell to keep it")
        return
    marks = reader.marks(cells, team, found)
    if duplicate := out.duplicate_of(marks):
        out.skip(number, duplicate)
        return
    out.seen.update({mark: number for mark in marks})
    key = meta.get("respondent_id", "").strip()
    email = _email(meta.get("email", ""))
    key = key or (f"email:{email}" if email else "")
    out.people.append((number, key, team, reader.text(cells, "role"), reader.text(cells, "comment")))
    out.answers.extend(found)


def build_responses(
    table: Table,
    matched: Matched,
    instrument: Instrument,
    *,
    source: str,
    rules: Rules = Rules(),
) -> ParsedSurvey:
    """Apply the common intake rules to a framed table whose columns are matched.

    Raises
    ------
    IntakeError
        When no column answers an item, there is no team column, or a cell is
        not an answer on the scale (naming data row and column).
    """
    reader = _RowReader(table, matched, instrument, rules)
    _require(table, reader, matched.unmapped)
    out = _Collector()
    numbered = list(enumerate(table.rows, start=1))
    for number, cells in reversed(numbered) if rules.newest_first else numbered:
        _read_row(reader, out, number, cells)
    people = sorted(out.people)
    answers = sorted(out.answers, key=lambda a: a[0])
    return ParsedSurvey(
        source=source,
        respondents=pd.DataFrame(people, columns=["row", "key", "team", "role", "comment"]),
        answers=pd.DataFrame(answers, columns=["row", "item", "value"]),
        skipped=sorted(out.skipped, key=lambda s: s["row"]),
        unmapped=matched.unmapped,
    )


def read_responses(
    table: Table,
    columns: list[Column],
    instrument: Instrument,
    mapping: dict[str, str] | None,
    *,
    source: str,
    rules: Rules = Rules(),
) -> ParsedSurvey:
    """Match ``columns`` (with the mapping) and apply the common rules to ``table``."""
    matched = match_columns(table.path, columns, instrument, mapping)
    return build_responses(table, matched, instrument, source=source, rules=rules)
