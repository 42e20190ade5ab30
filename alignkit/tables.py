"""Small table helpers shared by the Execute and Recap stages.

Two read the small tracking files (KPI observations, action status updates):
:func:`parse_day` and :func:`header_positions`. One shapes a display table for a
client report: :func:`report_table`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.exceptions import IntakeError
from alignkit.intake.table import Table

__all__ = ["header_positions", "parse_day", "report_table"]

#: Columns of a report table whose dates should never wrap.
_DATE_COLUMNS = ("Due", "Last update", "First", "Latest")


def parse_day(cell: str) -> date:
    """Read a ``YYYY-MM-DD`` date; raise ``ValueError`` with a readable message.

    Examples
    --------
    >>> parse_day(" 2026-03-31 ")
    datetime.date(2026, 3, 31)
    """
    try:
        return date.fromisoformat(cell.strip())
    except ValueError:
        raise ValueError(f"{cell!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31") \
            from None


def header_positions(table: Table, required: list[str], optional: list[str]) -> dict[str, int]:
    """Column positions by (lower-cased) name; refuse missing or unknown columns.

    Raises
    ------
    IntakeError
        On the header row (row 1): naming the missing columns, or the first
        unknown column.
    """
    names = [h.strip().lower() for h in table.header]
    missing = [c for c in required if c not in names]
    if missing:
        raise IntakeError(f"the column(s) {', '.join(missing)} are missing; the header must be "
                          f"{','.join(required + optional)}", file=table.path, row=1)
    unknown = [h for h in names if h not in required + optional]
    if unknown:
        raise IntakeError(f"unknown column; the header must be {','.join(required + optional)}",
                          file=table.path, row=1, column=unknown[0])
    return {name: names.index(name) for name in required + optional if name in names}


def report_table(frame: pd.DataFrame, name: str) -> Styler:
    """A display table for a client report: no index column, every cell left-aligned.

    ``name`` makes the table's HTML id (stable, so a report rendered twice is identical).
    Cells and headers are HTML-escaped: a ``Styler`` writes text into the page as it
    is, so an owner or a note typed as markup would otherwise run in the reader's browser.
    """
    cells = [{"selector": s, "props": "text-align: left; vertical-align: top;"}
             for s in ("th", "td")]
    if frame.empty:  # no rows: show nothing rather than a header over an empty table
        frame = pd.DataFrame()
    dates = [c for c in frame.columns if c in _DATE_COLUMNS]
    return (frame.style.hide(axis="index").set_uuid(name).set_table_styles(cells)
            .format(escape="html").format_index(escape="html", axis=1)
            .set_properties(subset=dates, **{"white-space": "nowrap"}))
