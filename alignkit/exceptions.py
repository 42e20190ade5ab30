"""The one place where alignkit's errors live.

Every error a user can cause is an :class:`AlignkitError`. The CLI turns it into
a single readable line (``str(err)``) and a non-zero exit status, so messages
name the file, row and column when there is one and say what to do next.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AlignkitError",
    "InstrumentError",
    "IntakeError",
    "StoreError",
    "UnknownCompanyError",
    "ReportError",
]


class AlignkitError(Exception):
    """Base class of every error alignkit raises on purpose."""


class InstrumentError(AlignkitError):
    """The survey instrument (dimensions, items, scale) is invalid."""


class IntakeError(AlignkitError):
    """A survey file cannot be imported as it is.

    Parameters
    ----------
    message
        What is wrong and what to do about it.
    file
        The file being read.
    row
        The row as a spreadsheet shows it (the first line of the file is row 1,
        so under one header row the first response is row 2), if the problem
        is in one row.
    column
        The column header, if the problem is in one column.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(Path(self.file).name)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class StoreError(AlignkitError):
    """The workspace store cannot do what was asked."""


class UnknownCompanyError(StoreError):
    """A command named a company that is not registered in the workspace."""

    def __init__(self, slug: str, known: list[str]) -> None:
        hint = f" Known companies: {', '.join(known)}." if known else ""
        super().__init__(
            f"unknown company '{slug}'. Register it first with "
            f"`alignkit company add {slug} --name \"…\"`.{hint}"
        )
        self.slug = slug


class ReportError(AlignkitError):
    """A report could not be executed or rendered."""
