"""Reading and importing KPI files (columns ``kpi,observed_on,value,target``).

A file import is one transaction, and the file is kept unchanged under ``raw/``;
storing one observation is :mod:`alignkit.store.kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alignkit.catalog.kpis import check_kpi_value, kpi_id
from alignkit.exceptions import IntakeError
from alignkit.intake.cells import header_positions, parse_day
from alignkit.intake.table import read_table
from alignkit.store.db import company_id
from alignkit.store.files import raw_name
from alignkit.store.kpis import KPI_COLUMNS, write_kpi
from alignkit.store.workspace import Workspace, file_sha256

__all__ = ["KpiImport", "import_kpis", "read_kpi_file"]


def _number(cell: str, kpi: str, what: str) -> float:
    text = cell.strip().replace("\u2009", "").replace(" ", "")
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").replace(",", "."))
    except ValueError:
        raise ValueError(f"{cell!r} is not a number; write e.g. 0.82 or 82%") from None
    return check_kpi_value(kpi, value / 100 if percent else value, what)


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
    raw = workspace.raw_dir / raw_name(file_sha256(path), path.suffix)
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    # The copy takes its name only once the rows are committed (same as survey imports).
    with workspace.keeping_raw(raw, source_file=path) as con:
        cid = company_id(con, company)
        for number, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            target = None if pd.isna(row.target) else float(row.target)
            outcome = write_kpi(con, cid, (row.kpi, row.observed_on, float(row.value), target),
                             replace)
            if outcome == "conflict":
                raise IntakeError(f"{row.kpi} already has a different figure on "
                                  f"{row.observed_on}; correct the row or import with "
                                  "--replace", file=path, row=number, column="value")
            counts[outcome] += 1
    return KpiImport(path.name, len(frame), **counts)
