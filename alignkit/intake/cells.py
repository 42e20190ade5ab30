"""Reading the cells of the small tracking files (KPI observations, action status updates).

:func:`parse_day` reads a date cell; :func:`header_positions` checks a header row.
"""

from __future__ import annotations

from datetime import date

from alignkit.exceptions import IntakeError
from alignkit.intake.table import Table

__all__ = ["header_positions", "parse_day"]


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
