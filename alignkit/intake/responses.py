"""Common rules every importer applies once its columns are matched."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from alignkit.exceptions import IntakeError
from alignkit.instrument import Instrument
from alignkit.intake.table import Table
from alignkit.intake.values import AnswerError, parse_answer, parse_team

__all__ = ["ParsedSurvey", "build_responses"]


@dataclass(frozen=True)
class ParsedSurvey:
    """A survey file read and validated, not yet stored.

    Attributes
    ----------
    source
        The detected (or forced) export format.
    respondents
        One row per accepted response: ``row`` (1-based data row), ``key``
        (respondent id from the file, or ``""``), ``team``, ``role``, ``comment``.
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


def _answers_of(
    table: Table, number: int, cells: tuple[str, ...], items: dict[int, str],
    instrument: Instrument,
) -> list[tuple[int, str, float]]:
    found = []
    for index, item in items.items():
        try:
            value = parse_answer(cells[index], instrument)
        except AnswerError as err:
            raise IntakeError(str(err), file=table.path, row=number,
                              column=table.header[index]) from None
        if value is not None:
            found.append((number, item, value))
    return found


def build_responses(
    table: Table,
    columns: dict[int, str],
    instrument: Instrument,
    *,
    source: str,
    unmapped: list[str],
) -> ParsedSurvey:
    """Apply the shared intake rules to a table whose columns are matched.

    Rules: answers are parsed against the scale (an invalid cell stops the
    import with file, row and column); blank and N/A answers are missing, never
    zero; a row without any scored answer or without a team is skipped; a
    repeated respondent id is counted once (first row kept).
    """
    where = {target: index for index, target in columns.items()}
    items = {i: t for i, t in columns.items() if t not in {"respondent_id", "team", "role", "comment"}}
    if not items:
        raise IntakeError(
            "no column matches a survey item; use the template from `alignkit instrument "
            "export`, or map the columns with --mapping MAP.csv",
            file=table.path, row=0,
        )
    if "team" not in where:
        raise IntakeError(
            "there is no team column; add a 'team' column, or map the team question with "
            "--mapping MAP.csv (a row 'Your question text,team')",
            file=table.path, row=0, column="team",
        )

    def cell(cells: tuple[str, ...], name: str) -> str:
        return cells[where[name]] if name in where else ""

    people, answers, skipped, first_row = [], [], [], {}
    for number, cells in enumerate(table.rows, start=1):
        found = _answers_of(table, number, cells, items, instrument)
        key = cell(cells, "respondent_id")
        team = parse_team(cell(cells, "team"), instrument)
        if not any(v == v for _, _, v in found):  # NaN != NaN: N/A only counts as no answer
            skipped.append({"row": number, "reason": "no answered item (blank or N/A only)"})
        elif team is None:
            skipped.append({"row": number, "reason": "no team given; fill the team cell to keep it"})
        elif key and key in first_row:
            skipped.append({"row": number, "reason": f"duplicate of row {first_row[key]} "
                                                     "(same respondent id)"})
        else:
            if key:
                first_row[key] = number
            people.append((number, key, team, cell(cells, "role"), cell(cells, "comment")))
            answers.extend(found)
    return ParsedSurvey(
        source=source,
        respondents=pd.DataFrame(people, columns=["row", "key", "team", "role", "comment"]),
        answers=pd.DataFrame(answers, columns=["row", "item", "value"]),
        skipped=skipped,
        unmapped=unmapped,
    )
