"""Read a survey file into a table of strings, exactly as the tool wrote it.

:func:`read_raw` reads every record without judging it, so that each importer
can look at the top of the file and decide how many header rows its tool
writes; :meth:`Table.framed` then splits header rows from data rows and checks
the data. :func:`read_table` does both for files with one header row.

Row numbers in messages and results are the ones a spreadsheet shows: the
file's first line is row 1, so with one header row the first data row is row 2
(and a CSV cell holding a line break still counts as one row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alignkit.exceptions import IntakeError
from alignkit.intake.limits import LIMITS, limit_error
from alignkit.intake.readers import Defect, read_records

__all__ = ["Table", "read_raw", "read_table"]

#: Records after the first that :func:`read_raw` keeps for detecting the tool.
_PEEK = 4


@dataclass(frozen=True)
class Table:
    """Header and data rows of a file; every cell is a stripped string ("" when empty).

    ``rows[i]`` is spreadsheet row ``first_row + i`` (see :meth:`numbered`).
    ``head`` holds every header row (``head[0] == header``); ``kind`` is
    ``csv``, ``tsv`` or ``xlsx``.
    """

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    head: tuple[tuple[str, ...], ...] = ()
    kind: str = "csv"
    records: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)
    defect: Defect | None = field(default=None, repr=False, compare=False)
    first_row: int = 2

    def numbered(self) -> enumerate[tuple[str, ...]]:
        """``(spreadsheet row, cells)`` for every data row."""
        return enumerate(self.rows, start=self.first_row)

    def framed(self, header_rows: int = 1) -> Table:
        """This file with ``header_rows`` header rows and checked data rows.

        Raises
        ------
        IntakeError
            For a cell that is not UTF-8 or broken CSV (naming data row and
            column), a file that ends inside its header, or a data row with
            more cells than the header.
        """
        if self.defect is not None and self.defect.record < header_rows:
            raise IntakeError(f"the header {self.defect.message}", file=self.path)
        if len(self.records) < header_rows:
            raise IntakeError(f"ends inside its header (this export has {header_rows} header "
                              "rows); export the responses again", file=self.path)
        head = [_trimmed(r) for r in self.records[:header_rows]]
        width = max(len(r) for r in head)
        if width == 0:
            raise IntakeError("the first row holds no column headers", file=self.path)
        head_rows = tuple(tuple(r) + ("",) * (width - len(r)) for r in head)
        if self.defect is not None:
            raise self._defect_error(self.defect, head_rows)
        rows = self._data_rows(header_rows, width)
        return Table(self.path, head_rows[0], rows, head_rows, self.kind, self.records,
                     first_row=header_rows + 1)

    def _data_rows(self, header_rows: int, width: int) -> tuple[tuple[str, ...], ...]:
        rows = []
        for number, record in enumerate(self.records[header_rows:], start=header_rows + 1):
            cells = list(map(str.strip, record))
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > width:
                raise IntakeError(
                    f"has {len(cells)} cells but the header has {width}; check for an unquoted "
                    "separator or a missing header",
                    file=self.path, row=number,
                )
            rows.append(tuple(cells) + ("",) * (width - len(cells)))
        while rows and not any(rows[-1]):
            rows.pop()
        return tuple(rows)

    def _defect_error(self, defect: Defect, head: tuple[tuple[str, ...], ...]) -> IntakeError:
        column = None
        if defect.cell is not None and defect.cell < len(head[0]):
            names = [r[defect.cell] for r in head if r[defect.cell]]
            column = names[-1] if names else f"column {defect.cell + 1}"
        return IntakeError(defect.message, file=self.path, row=defect.record + 1, column=column)


def _trimmed(record: tuple[str, ...]) -> list[str]:
    cells = [c.strip() for c in record]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def read_raw(path: str | Path) -> Table:
    """Read every record of a CSV/TSV (UTF-8 or UTF-16) or XLSX file, unjudged.

    ``header`` is the first record and ``rows`` the few records after it (enough
    to tell which tool wrote the file), padded to one width; call
    :meth:`Table.framed` for the data rows.

    Raises
    ------
    IntakeError
        When the file is missing, empty, over a size limit (see
        :mod:`~alignkit.intake.limits`) or not a text file or workbook.
    """
    path = Path(path)
    if not path.is_file():
        raise IntakeError("file not found; check the path", file=path)
    size = path.stat().st_size
    if size == 0:
        raise IntakeError("the file is empty; export the responses again", file=path)
    if size > LIMITS["file"].allowed(path):
        raise limit_error("file", f"the file is {size / 2**20:,.0f} MB", path,
                          advice="split it (for example by wave or by period)")
    found = read_records(path)
    records = found.records
    if not any(c.strip() for r in records for c in r) and found.defect is None:
        raise IntakeError("the file holds no data; export the responses again", file=path)
    loose = [_trimmed(r) for r in records[:_PEEK + 1]] or [[]]
    width = max(len(r) for r in loose)
    padded = tuple(tuple(r) + ("",) * (width - len(r)) for r in loose)
    return Table(path, padded[0], padded[1:], padded[:1], found.kind, records, found.defect)


def read_table(path: str | Path) -> Table:
    """Read a file with one header row (see :func:`read_raw` and :meth:`Table.framed`)."""
    return read_raw(path).framed(1)
