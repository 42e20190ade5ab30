"""Turn a file's bytes into records (lists of cell strings), as the tool wrote them.

Text files may be UTF-8 (with or without a byte-order mark) or UTF-16 (the
Qualtrics TSV download), separated by ``,``, ``;`` or tabs. Workbooks are read
with openpyxl. Nothing here raises for a problem inside the data: a cell that is
not valid UTF-8 or a broken quote is returned as a :class:`Defect` so that the
caller can name the data row and column once it knows how many header rows the
tool writes.

Limits (see :mod:`~alignkit.intake.limits`) are checked before parsing where
the file allows it: the unpacked size of a workbook before openpyxl opens it,
the declared sheet size before its rows are read, and rows and columns while
records are read, so that an oversized file stops early.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from alignkit.exceptions import IntakeError
from alignkit.intake.limits import LIMITS, limit_error

__all__ = ["Defect", "Records", "read_records"]

_DELIMITERS = (",", ";", "\t")
_SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True)
class Defect:
    """A problem found at one record (0 = first record, spreadsheet row 1) and maybe one cell."""

    record: int
    cell: int | None
    message: str


@dataclass(frozen=True)
class Records:
    """Every record of a file, its format and the first defect found (if any)."""

    records: tuple[tuple[str, ...], ...]
    kind: str
    defect: Defect | None = None


def read_records(path: Path) -> Records:
    """Read a CSV/TSV text file or an XLSX workbook into records."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    return _read_text(path, path.read_bytes())


# -- text ----------------------------------------------------------------------


def _decode(path: Path, data: bytes) -> str:
    """Decode UTF-8 or UTF-16; undecodable UTF-8 bytes survive as surrogates."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IntakeError("is damaged UTF-16 text; export the file again", file=path) from None
    if b"\x00" in data[:4096]:
        raise IntakeError(
            "is not UTF-8 or UTF-16 text (it holds binary data); export the responses again "
            "as CSV UTF-8 or Excel",
            file=path,
        )
    return data.decode("utf-8-sig", errors="surrogateescape")


def _delimiter(text: str) -> str:
    """The separator that splits the first record (quotes respected) into most cells."""
    sample = text[:_SNIFF_CHARS]

    def width(delimiter: str) -> int:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True)
        try:
            return len(next(reader, []))
        except csv.Error:
            return 0

    widths = {d: width(d) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: (widths[d], -_DELIMITERS.index(d)))


_SURROGATE = re.compile("[\udc80-\udcff]")


def _undecodable(records: list[list[str]]) -> Defect | None:
    for number, record in enumerate(records):
        for index, cell in enumerate(record):
            bad = _SURROGATE.search(cell)
            if bad is not None:
                byte = ord(bad.group()) - 0xDC00
                return Defect(number, index, f"holds the byte 0x{byte:02X}, which is not UTF-8 text; "
                                             "save the file as 'CSV UTF-8' and import it again")
    return None


def _read_text(path: Path, data: bytes) -> Records:
    text = _decode(path, data)
    delimiter = _delimiter(text)
    most_rows, most_columns = LIMITS["rows"].allowed(path), LIMITS["columns"].allowed(path)
    cells_left = LIMITS["cells"].allowed(path)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    defect = None
    try:
        for record in reader:
            cells_left -= len(record)
            if len(records) >= most_rows or len(record) > most_columns or cells_left < 0:
                _check_size(path, len(records) + 1, len(record), more=True)
                raise _too_many_cells(path)
            records.append(record)
    except csv.Error as err:
        defect = Defect(len(records), None, f"is not well-formed CSV ({err}); check the quotes in "
                                            "this row or export the file again")
    if _SURROGATE.search(text):
        defect = _undecodable(records) or defect
    kind = "tsv" if delimiter == "\t" else "csv"
    return Records(tuple(map(tuple, records)), kind, defect)


# -- xlsx ----------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _unpacked(path: Path) -> bool:
    """Check the workbook's unpacked size before openpyxl reads it; True if it holds formulas."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        size = sum(info.file_size for info in members)
        if size > LIMITS["xlsx"].allowed(path):
            raise limit_error("xlsx", f"unpacks to {size / 2**20:,.0f} MB", path,
                              advice="save only the responses sheet, or export the responses "
                                     "as CSV")
        sheets = [m for m in members if m.filename.startswith("xl/worksheets/")]
        return any(_has_formula(archive, member) for member in sheets)


def _has_formula(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if _FORMULA_TAG.search(tail + block):
                return True
            tail = block[-16:]
    return False


def _too_many_cells(path: Path) -> IntakeError:
    return limit_error("cells", None, path,
                       advice="leave out the columns alignkit does not need, or split the file")


def _check_size(path: Path, rows: int | None, columns: int | None, *, more: bool = False) -> None:
    """Refuse a sheet over the row or column limit; ``more``: ``rows`` is the row being read."""
    if rows is not None and rows > LIMITS["rows"].allowed(path):
        raise limit_error("rows", None if more else f"has {rows:,} rows", path)
    if columns is not None and columns > LIMITS["columns"].allowed(path):
        raise limit_error("columns", f"has {columns:,} columns", path, row=rows if more else None,
                          advice="leave out the columns alignkit does not need")


def _sheet_rows(path: Path, *, formulas: bool) -> tuple[tuple[object, ...], ...]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=not formulas)
    try:
        sheet = book["Responses"] if "Responses" in book.sheetnames else book.worksheets[0]
        _check_size(path, sheet.max_row, sheet.max_column)  # the size the sheet declares
        if (sheet.max_row or 0) * (sheet.max_column or 0) > LIMITS["cells"].allowed(path):
            raise _too_many_cells(path)
        if formulas:
            return tuple(tuple(c.data_type == "f" for c in row) for row in sheet.iter_rows())
        most_rows, most_columns = LIMITS["rows"].allowed(path), LIMITS["columns"].allowed(path)
        cells_left = LIMITS["cells"].allowed(path)
        rows: list[tuple[object, ...]] = []
        for row in sheet.iter_rows(values_only=True):  # a sheet may understate its size
            cells_left -= len(row)
            if len(rows) >= most_rows or len(row) > most_columns or cells_left < 0:
                _check_size(path, len(rows) + 1, len(row), more=True)
                raise _too_many_cells(path)
            rows.append(row)
        return tuple(rows)
    finally:
        book.close()


def _uncomputed(values: tuple[tuple[object, ...], ...],
                formulas: tuple[tuple[bool, ...], ...]) -> Defect | None:
    """The first formula cell whose result was never saved (it would read as blank)."""
    for number, (row, flags) in enumerate(zip(values, formulas, strict=False)):
        for index, (value, flag) in enumerate(zip(row, flags, strict=False)):
            if flag and value is None:
                return Defect(number, index, "holds a formula whose result was never saved; open "
                                             "the workbook in Excel, save it and import it again")
    return None


def _read_xlsx(path: Path) -> Records:
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged workbook can fail while opening or while its rows are read;
    # XML parse errors surface as SyntaxError.
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
                  SyntaxError, EOFError, TypeError, AttributeError, IndexError, zlib.error)
    try:
        has_formulas = _unpacked(path)
        values = _sheet_rows(path, formulas=False)
        formulas = _sheet_rows(path, formulas=True) if has_formulas else ()
    except unreadable as err:
        raise IntakeError(
            f"cannot be opened as an Excel workbook ({type(err).__name__}); save it as .xlsx",
            file=path,
        ) from None
    records = tuple(tuple(_cell(v) for v in row) for row in values)
    return Records(records, "xlsx", _uncomputed(values, formulas) if formulas else None)
