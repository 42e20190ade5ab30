"""Common rules every importer applies once its columns are matched.

The same for every tool: answers are read against the scale (a bad cell stops
the import naming file, row and column); blank, skipped and N/A answers are
missing, never zero; a row the tool marks as a preview or as unfinished, a row
without any scored answer and a row without a team are dropped; a duplicate
submission (same response id, same e-mail, same network address with identical
answers, or, without id and e-mail, the same submission time, team, role,
comment and answers) counts once, the earliest submission being kept. Every
dropped row is reported in ``skipped`` with its spreadsheet row (the header is
row 1) and the reason. A file in which no row is left is refused.

E-mails, names and network addresses only serve to find duplicates: the key
handed on is the tool's response id, else one derived from the e-mail, else one
derived from the whole response (see :func:`content_key`); the store keeps only
a salted hash of it. Identical rows without id, e-mail and submission time may
be different people (a paper form typed in twice looks the same as two people
who agree): each is kept, numbered, so that importing them again, in any order,
still finds them stored.

Cells are read column-wise, not cell by cell: each distinct cell text of the
answer columns is parsed once and the results are spread back with numpy, so a
file of a million answers costs a few dozen parses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alignkit.catalog.instrument import Instrument
from alignkit.exceptions import IntakeError
from alignkit.intake.columns import Column, Matched, match_columns
from alignkit.intake.table import Table
from alignkit.intake.values import PLAIN, AnswerError, Codes, parse_answer, parse_team

__all__ = ["IDENTITY_FIELDS", "ParsedSurvey", "Rules", "build_responses", "read_responses"]

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
        One row per accepted response: ``row`` (spreadsheet row, the header
        being row 1), ``key`` (the tool's response id, ``email:<address>``
        when only an e-mail is known, else ``answers:<digest>`` from
        :func:`content_key`), ``team``, ``role``, ``comment``.
    answers
        Long format: ``row``, ``item`` (categorical), ``value`` (NaN for an
        explicit N/A).
    skipped
        ``{"row": n, "reason": "…"}`` for every data row that was left out.
    unmapped
        Column headers that answer no item and were ignored.
    identity_columns
        Positions (0-based) of the columns that name or locate a person
        (:data:`IDENTITY_FIELDS`): read to find duplicates, never stored.
    """

    source: str
    respondents: pd.DataFrame
    answers: pd.DataFrame
    skipped: list[dict[str, object]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    identity_columns: tuple[int, ...] = ()


#: Column targets that name or locate a person (see :attr:`ParsedSurvey.identity_columns`).
IDENTITY_FIELDS = frozenset({"email", "name", "ip", "latitude", "longitude"})


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
    kept: list[int] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)
    seen: dict[tuple[str, object], int] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)

    def skip(self, row: int, reason: str) -> None:
        self.skipped.append({"row": row, "reason": reason})

    def duplicate_of(self, marks: list[tuple[str, object]]) -> str | None:
        for mark in marks:
            if mark in self.seen:
                return f"duplicate of row {self.seen[mark]} ({_SAME[mark[0]]})"
        return None


_SAME = {"id": "same respondent id", "email": "same e-mail address",
         "ip": "same network address and identical answers",
         "content": "no respondent id; same submission time, team, role, comment and answers"}


def _email(cell: str) -> str:
    text = cell.strip().lower()
    return text if "@" in text and " " not in text else ""


def content_key(team: str, role: str, comment: str, submitted: str, answers: bytes) -> str:
    """A key for a response without id or e-mail: the same response gives the same key.

    Two rows are the same response when team, role, comment, submission time
    and every answer agree. Without a submission time identical rows may be
    different people, so the caller numbers them (``…:1``, ``…:2``).
    """
    digest = hashlib.sha256()
    for part in (team, role, comment, submitted):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x1f")
    digest.update(answers)
    return f"answers:{digest.hexdigest()}"


class _Grid:
    """Every answer cell of a file read at once: each distinct cell text is parsed once.

    ``values[r, k]`` is the answer of data row ``r`` to the ``k``-th item
    column (NaN for N/A) and ``blank[r, k]`` marks a blank or skipped cell.
    ``signature(r)`` is the same for rows with the same answers to the same
    items, whatever the order of the file's columns.
    """

    def __init__(self, table: Table, items: dict[int, str], instrument: Instrument,
                 codes: Codes):
        columns = list(items)
        cells = np.array(table.rows, dtype=object).reshape(len(table.rows), -1)[:, columns]
        codes_of, distinct = pd.factorize(cells.ravel())
        parsed = [_try_answer(text, instrument, codes) for text in distinct]
        self.errors = {k: p for k, p in enumerate(parsed) if isinstance(p, str)}
        numbers = np.array([p if isinstance(p, float) else np.nan for p in parsed], dtype=float)
        blank = np.array([p is None for p in parsed], dtype=bool)
        shape = cells.shape
        self.codes = codes_of.reshape(shape)
        self.values = numbers[self.codes] if len(parsed) else np.full(shape, np.nan)
        self.blank = blank[self.codes] if len(parsed) else np.ones(shape, dtype=bool)
        self.scored = (~self.blank & ~np.isnan(self.values)).any(axis=1)
        # A row's answers as bytes, in item id order: blank -1, N/A -2.
        order = sorted(range(len(columns)), key=lambda k: items[columns[k]])
        self._answers = np.where(self.blank, -1.0, np.nan_to_num(self.values, nan=-2.0))[:, order]
        self._items = ",".join(items[columns[k]] for k in order).encode() + b"\x1e"

    def signature(self, row: int) -> bytes:
        return self._items + self._answers[row].tobytes()

    def first_error(self, checked: np.ndarray) -> tuple[int, int, str] | None:
        """``(data row index, item column index, message)`` of the first bad cell checked."""
        if not self.errors:
            return None
        bad = np.isin(self.codes, list(self.errors)) & checked[:, None]
        if not bad.any():
            return None
        row, column = np.argwhere(bad)[0]
        return int(row), int(column), self.errors[int(self.codes[row, column])]


def _try_answer(text: str, instrument: Instrument, codes: Codes) -> float | None | str:
    """The cell's value, or the message of the error it causes."""
    try:
        return parse_answer(text, instrument, codes)
    except AnswerError as err:
        return str(err)


class _RowReader:
    """The matched columns of a table and the common rules to read its rows with."""

    def __init__(self, table: Table, matched: Matched, instrument: Instrument, rules: Rules):
        self.table, self.names, self.instrument, self.rules = table, matched.names, instrument, rules
        item_ids = {item.id for item in instrument.items}
        self.items = {i: t for i, t in matched.targets.items() if t in item_ids}
        self.fields = {t: i for i, t in sorted(matched.targets.items(), reverse=True)
                       if t not in self.items.values()}
        columns = list(zip(*table.rows, strict=True)) or [()] * len(table.header)
        skipped = rules.codes.skipped
        self.columns = {
            name: [("" if v in skipped else v) for v in columns[index]] if skipped else columns[index]
            for name, index in self.fields.items()
        }

    def text(self, name: str, row: int) -> str:
        column = self.columns.get(name)
        return column[row] if column is not None else ""

    def teams(self) -> list[str | None]:
        """The team of every data row (``None`` when none is given)."""
        cells = self.columns.get("team", [""] * len(self.table.rows))
        known = {text: parse_team(text, self.instrument, self.rules.codes) for text in set(cells)}
        teams = [known[text] for text in cells]
        other = self.columns.get("team_other")
        if other is not None:
            teams = [team if team is not None or not extra.strip() else "other"
                     for team, extra in zip(teams, other, strict=True)]
        return teams

    def dropped(self) -> list[str | None]:
        """Why each row must be left out by the tool's own flags, else ``None``."""
        if not self.rules.drop:
            return [None] * len(self.table.rows)
        names = list(self.fields)
        return [self.rules.drop(dict(zip(names, meta, strict=True)))
                for meta in zip(*(self.columns[n] for n in names), strict=True)]

    def marks(self, row: int, team: str, answers: bytes) -> list[tuple[str, object]]:
        """What makes this row a duplicate of an earlier one."""
        marks: list[tuple[str, object]] = []
        if key := self.text("respondent_id", row).strip():
            marks.append(("id", key))
        if email := _email(self.text("email", row)):
            marks.append(("email", email))
        if ip := self.text("ip", row).strip():
            marks.append(("ip", (ip, team, answers, self.text("comment", row).strip())))
        if not marks or marks[0][0] == "ip":
            marks.append(("content", self.content(row, team, answers)))
        return marks

    def content(self, row: int, team: str, answers: bytes) -> str:
        return content_key(team, self.text("role", row), self.text("comment", row),
                           self.text("submitted", row), answers)


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


def _check_answers(table: Table, reader: _RowReader, grid: _Grid, dropped: list) -> None:
    """Stop at the first cell that is not an answer, in rows the tool does not drop."""
    checked = np.array([reason is None for reason in dropped], dtype=bool)
    found = grid.first_error(checked)
    if found is not None:
        row, column, message = found
        index = list(reader.items)[column]
        raise IntakeError(message, file=table.path, row=table.first_row + row,
                          column=reader.names[index])


def _read_rows(table: Table, reader: _RowReader, grid: _Grid, dropped: list) -> _Collector:
    out = _Collector()
    teams = reader.teams()
    order = range(len(table.rows))
    for index in reversed(order) if reader.rules.newest_first else order:
        number = table.first_row + index
        team = teams[index]
        if dropped[index]:
            out.skip(number, dropped[index])
        elif not grid.scored[index]:  # N/A only counts as no answer
            out.skip(number, "no answered item (blank or N/A only)")
        elif team is None:
            out.skip(number, "no team given; fill the team cell to keep it")
        else:
            _accept(reader, out, index, number, team, grid.signature(index))
    return out


def _accept(reader: _RowReader, out: _Collector, index: int, number: int, team: str,
            answers: bytes) -> None:
    marks = reader.marks(index, team, answers)
    timed = bool(reader.text("submitted", index).strip())
    # Without a submission time, two identical rows may well be two people: both
    # count, and the k-th of them gets the k-th key, so a re-import still matches.
    checked = marks if timed else [m for m in marks if m[0] != "content"]
    if duplicate := out.duplicate_of(checked):
        out.skip(number, duplicate)
        return
    out.seen.update({mark: number for mark in checked})
    key = reader.text("respondent_id", index).strip()
    email = _email(reader.text("email", index))
    if not key and not email:
        content = str(marks[-1][1])
        out.repeats[content] = out.repeats.get(content, 0) + 1
        key = content if timed else f"{content}:{out.repeats[content]}"
    key = key or f"email:{email}"
    out.people.append((number, key, team, reader.text("role", index),
                       reader.text("comment", index)))
    out.kept.append(index)


def _no_usable_rows(table: Table, out: _Collector) -> IntakeError:
    if not table.rows:
        return IntakeError("has a header but no responses; export the responses again",
                           file=table.path)
    first = min(out.skipped, key=lambda s: s["row"])
    count = len(out.skipped)
    return IntakeError(
        f"holds no response that can be imported: all {count} rows are left out (the first, "
        f"row {first['row']}: {first['reason']}); fix the rows, or export the responses again",
        file=table.path,
    )


def _answers_frame(table: Table, reader: _RowReader, grid: _Grid, kept: list[int]) -> pd.DataFrame:
    """Long answers (``row, item, value``) of the kept rows, by row then column."""
    rows = np.sort(np.asarray(kept, dtype=np.intp))
    answered = ~grid.blank[rows]
    items = list(reader.items.values())
    per_row = answered.sum(axis=1)
    item_codes = np.broadcast_to(np.arange(len(items)), answered.shape)[answered]
    return pd.DataFrame({
        "row": np.repeat(rows + table.first_row, per_row).astype(np.int64),
        "item": pd.Categorical.from_codes(item_codes, categories=pd.Index(items, dtype=object)),
        "value": grid.values[rows][answered],
    })


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
        When no column answers an item, there is no team column, a cell is
        not an answer on the scale (naming row and column), or no row at all
        can be imported.
    """
    reader = _RowReader(table, matched, instrument, rules)
    _require(table, reader, matched.unmapped)
    if not table.rows:
        raise _no_usable_rows(table, _Collector())
    grid = _Grid(table, reader.items, instrument, rules.codes)
    dropped = reader.dropped()
    _check_answers(table, reader, grid, dropped)
    out = _read_rows(table, reader, grid, dropped)
    if not out.people:
        raise _no_usable_rows(table, out)
    return ParsedSurvey(
        source=source,
        respondents=pd.DataFrame(sorted(out.people),
                                 columns=["row", "key", "team", "role", "comment"]),
        answers=_answers_frame(table, reader, grid, out.kept),
        skipped=sorted(out.skipped, key=lambda s: s["row"]),
        unmapped=matched.unmapped,
        identity_columns=tuple(sorted(i for i, t in matched.targets.items()
                                      if t in IDENTITY_FIELDS)),
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
