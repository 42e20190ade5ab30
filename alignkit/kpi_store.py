"""KPI observations in the workspace: record one, import a file of them, load them.

Each observation is one row of ``kpi_observations``: ``kpi, observed_on,
value, target``. Shares are stored as fractions (0.82 for 82 %). Recording the
same KPI on the same day again with the same figures changes nothing; a
different figure is refused unless ``replace`` is asked for. A file import is
one transaction, and the file is kept unchanged under ``raw/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from alignkit.exceptions import IntakeError, StoreError
from alignkit.intake.table import read_table
from alignkit.kpi_definitions import check_kpi_value, kpi_id
from alignkit.store import Workspace, file_sha256
from alignkit.tables import header_positions, parse_day

__all__ = [
    "KPI_COLUMNS",
    "KpiImport",
    "import_kpis",
    "load_kpis",
    "read_kpi_file",
    "record_kpi",
]

KPI_COLUMNS = ["kpi", "observed_on", "value", "target"]


def _number(cell: str, kpi: str, what: str) -> float:
    text = cell.strip().replace("\u2009", "").replace(" ", "")
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").replace(",", "."))
    except ValueError:
        raise ValueError(f"{cell!r} is not a number; write e.g. 0.82 or 82%") from None
    return check_kpi_value(kpi, value / 100 if percent else value, what)


# -- store ----------------------------------------------------------------------------
def _stored(con: Any, cid: int, kpi: str, day: str) -> tuple[float, float | None] | None:
    return con.execute("SELECT value, target FROM kpi_observations WHERE company_id = ? AND "
                       "kpi = ? AND observed_on = ?", (cid, kpi, day)).fetchone()


def _write(con: Any, cid: int, row: tuple[str, str, float, float | None], replace: bool) -> str:
    """Insert one observation; ``added``, ``unchanged`` or ``replaced``; ``conflict`` if refused."""
    kpi, day, value, target = row
    old = _stored(con, cid, kpi, day)
    if old is not None and (old[0], old[1]) == (value, target):
        return "unchanged"
    if old is not None and not replace:
        return "conflict"
    con.execute("INSERT INTO kpi_observations (company_id, kpi, observed_on, value, target) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (company_id, kpi, observed_on) DO UPDATE "
                "SET value = excluded.value, target = excluded.target", (cid, *row))
    return "added" if old is None else "replaced"


def _company_id(con: Any, company: str) -> int:
    return con.execute("SELECT id FROM companies WHERE slug = ?", (company,)).fetchone()[0]


def record_kpi(workspace: Workspace, company: str, kpi: str, observed_on: date, value: float,
               target: float | None = None, *, replace: bool = False) -> str:
    """Store one observation; returns ``"added"``, ``"unchanged"`` or ``"replaced"``.

    Raises
    ------
    StoreError
        If the value is out of range, or the day already holds a different
        figure and ``replace`` is false.
    """
    workspace.company(company)
    try:
        key = kpi_id(kpi)
        value = check_kpi_value(key, float(value), "value")
        target = None if target is None else check_kpi_value(key, float(target), "target")
    except ValueError as err:
        raise StoreError(str(err)) from None
    with workspace.connect() as con:
        outcome = _write(con, _company_id(con, company), (key, observed_on.isoformat(), value,
                                                           target), replace)
    if outcome == "conflict":
        raise StoreError(f"{key} already has a different figure on {observed_on.isoformat()}; "
                         "pass --replace to overwrite it")
    return outcome


def load_kpis(workspace: Workspace, company: str, *, until: date | None = None) -> pd.DataFrame:
    """A company's observations: ``kpi, observed_on (datetime64), value, target``, by date.

    ``until`` leaves out observations after that day (a report written for a day).
    """
    workspace.company(company)
    last = (until or date.max).isoformat()
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            "SELECT k.kpi, k.observed_on, k.value, k.target FROM kpi_observations k "
            "JOIN companies c ON c.id = k.company_id WHERE c.slug = ? AND k.observed_on <= ? "
            "ORDER BY k.kpi, k.observed_on", con, params=(company, last))
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    return frame.astype({"value": float, "target": float})


# -- import -----------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiImport:
    """What :func:`import_kpis` did with a file."""

    file: str
    rows: int
    added: int
    replaced: int
    unchanged: int


def read_kpi_file(path: str | Path) -> pd.DataFrame:
    """Read and check a KPI file (columns ``kpi,observed_on,value,target``) without storing it.

    The frame's index is each observation's spreadsheet row (the header is row 1).

    Raises
    ------
    IntakeError
        Naming file, row and column of the first bad cell.
    """
    table = read_table(path)
    cols = header_positions(table, ["kpi", "observed_on", "value"], ["target"])
    rows, seen, numbers = [], {}, []
    for number, cells in table.numbered():
        column = "kpi"
        try:
            if not cells[cols["kpi"]].strip():
                raise ValueError("the KPI name is empty; name the KPI, e.g. joint_meetings_held")
            key = kpi_id(cells[cols["kpi"]])
            column = "observed_on"
            day = parse_day(cells[cols["observed_on"]]).isoformat()
            if (key, day) in seen:
                raise ValueError(f"{key} on {day} is already given in row {seen[key, day]}")
            column = "value"
            value = _number(cells[cols["value"]], key, "value")
            column = "target"
            cell = cells[cols["target"]] if "target" in cols else ""
            target = _number(cell, key, "target") if cell.strip() else None
        except ValueError as err:
            raise IntakeError(str(err), file=table.path, row=number, column=column) from None
        seen[key, day] = number
        rows.append((key, day, value, target))
        numbers.append(number)
    if not rows:
        raise IntakeError("the file has a header but no observations", file=table.path)
    return pd.DataFrame(rows, columns=KPI_COLUMNS, index=pd.Index(numbers, name="row"))


def import_kpis(path: str | Path, *, company: str, workspace: Workspace,
                replace: bool = False) -> KpiImport:
    """Import a KPI file in one transaction and keep the file unchanged under ``raw/``.

    Importing the same file again changes nothing. A row whose day already holds
    a different figure stops the import (nothing is written) unless ``replace``.
    """
    workspace.company(company)
    path = Path(path)
    frame = read_kpi_file(path)
    raw = workspace.raw_dir / f"{file_sha256(path)}{path.suffix.lower()}"
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    # The copy takes its name only once the rows are committed (same as survey imports).
    with workspace.keeping_raw(raw, source_file=path) as con:
        cid = _company_id(con, company)
        for number, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            target = None if pd.isna(row.target) else float(row.target)
            outcome = _write(con, cid, (row.kpi, row.observed_on, float(row.value), target),
                             replace)
            if outcome == "conflict":
                raise IntakeError(f"{row.kpi} already has a different figure on "
                                  f"{row.observed_on}; correct the row or import with "
                                  "--replace", file=path, row=number, column="value")
            counts[outcome] += 1
    return KpiImport(path.name, len(frame), **counts)
