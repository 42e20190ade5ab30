"""Turn a file's bytes into records (lists of cell strings), as the tool wrote them.

Text files may be UTF-8 (with or without a byte-order mark) or UTF-16 (the
Qualtrics TSV download), separated by ``,``, ``;`` or tabs. Workbooks are read
with openpyxl. Nothing here raises for a problem inside the data: a cell that is
not valid UTF-8 or a broken quote is returned as a :class:`Defect` so that the
caller can name the data row and column once it knows how many header rows the
tool writes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from alignkit.exceptions import IntakeError

__all__ = ["Defect", "Records", "read_records"]

_DELIMITERS = (",", ";", "\t")
_SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True)
class Defect:
    """A problem found at one record (0 = first line) and, if known, one cell."""

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


def _undecodable(records: list[list[str]]) -> Defect | None:
    for number, record in enumerate(records):
        for index, cell in enumerate(record):
            bad = next((ch for ch in cell if "\udc80" <= ch <= "\udcff"), None)
            if bad is not None:
                byte = ord(bad) - 0xDC00
                return Defect(number, index, f"holds the byte 0x{byte:02X}, which is not UTF-8 text; "
                                             "save the file as 'CSV UTF-8' and import it again")
    return None


def _read_text(path: Path, data: bytes) -> Records:
    text = _decode(path, data)
    delimiter = _delimiter(text)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    defect = None
    try:
        for record in reader:
            records.append(record)
    except csv.Error as err:
        defect = Defect(len(records), None, f"is not well-formed CSV ({err}); check the quotes in "
                                            "this row or export the file again")
    defect = _undecodable(records) or defect
    kind = "tsv" if delimiter == "\t" else "csv"
    return Records(tuple(tuple(r) for r in records), kind, defect)


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


def _sheet_rows(path: Path, *, formulas: bool) -> tuple[tuple[object, ...], ...]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=not formulas)
    try:
        sheet = book["Responses"] if "Responses" in book.sheetnames else book.worksheets[0]
        if formulas:
            return tuple(tuple(c.data_type == "f" for c in row) for row in sheet.iter_rows())
        return tuple(tuple(row) for row in sheet.iter_rows(values_only=True))
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
        values = _sheet_rows(path, formulas=False)
        formulas = _sheet_rows(path, formulas=True)
    except unreadable as err:
        raise IntakeError(
            f"cannot be opened as an Excel workbook ({type(err).__name__}); save it as .xlsx",
            file=path,
        ) from None
    records = tuple(tuple(_cell(v) for v in row) for row in values)
    return Records(records, "xlsx", _uncomputed(values, formulas))
