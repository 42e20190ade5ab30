"""Read a survey file into a table of strings, exactly as the tool wrote it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from alignkit.exceptions import IntakeError

__all__ = ["Table", "read_table"]

MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Table:
    """Header and data rows of a file; every cell is a string ("" when empty).

    ``rows[i]`` is data row ``i + 1`` in messages (the header is row 0).
    """

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def read_table(path: str | Path) -> Table:
    """Read a CSV (UTF-8, ``,`` or ``;``) or XLSX file.

    Raises
    ------
    IntakeError
        When the file is missing, empty, not readable as text or a workbook,
        or has rows longer than its header.
    """
    path = Path(path)
    if not path.is_file():
        raise IntakeError("file not found; check the path", file=path)
    size = path.stat().st_size
    if size == 0:
        raise IntakeError("the file is empty; export the responses again", file=path)
    if size > MAX_BYTES:
        raise IntakeError("the file is larger than 200 MB; split it by wave", file=path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        header, rows = _read_xlsx(path)
    else:
        header, rows = _read_csv(path)
    return _finish(path, header, rows)


def _finish(path: Path, header: list[str], rows: list[list[str]]) -> Table:
    header = [h.strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    if not any(header):
        raise IntakeError("the first row holds no column headers", file=path, row=0)
    width = len(header)
    kept: list[tuple[str, ...]] = []
    for number, row in enumerate(rows, start=1):
        cells = list(row)
        while len(cells) > width and cells[-1].strip() == "":
            cells.pop()
        if len(cells) > width:
            raise IntakeError(
                f"has {len(cells)} cells but the header has {width}; check for an unquoted "
                "comma or a missing header",
                file=path, row=number,
            )
        kept.append(tuple(c.strip() for c in cells) + ("",) * (width - len(cells)))
    while kept and not any(kept[-1]):
        kept.pop()
    return Table(path, tuple(header), tuple(kept))


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise IntakeError(
            "this is not a UTF-8 text file (it looks binary or UTF-16); save it as 'CSV UTF-8'",
            file=path,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n")
        raise IntakeError(
            "is not valid UTF-8 text; save the file as 'CSV UTF-8' and import it again",
            file=path, row=line if line else None,
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as err:
        raise IntakeError(f"is not well-formed CSV ({err}); export it again", file=path) from None
    if not records:
        raise IntakeError("the file is empty; export the responses again", file=path)
    return records[0], records[1:]


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


def _read_xlsx(path: Path) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged workbook can fail while opening or while its rows are read;
    # XML parse errors surface as SyntaxError.
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
                  SyntaxError, EOFError)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book["Responses"] if "Responses" in book.sheetnames else book.worksheets[0]
            records = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    except unreadable as err:
        raise IntakeError(
            f"cannot be opened as an Excel workbook ({type(err).__name__}); save it as .xlsx",
            file=path,
        ) from None
    if not records:
        raise IntakeError("the first sheet is empty; export the responses again", file=path)
    return records[0], records[1:]
