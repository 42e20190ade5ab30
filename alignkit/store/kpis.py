"""KPI observations in the workspace: record one, load them (files: :mod:`alignkit.intake.kpis`).

Each observation is one row of ``kpi_observations``: ``kpi, observed_on,
value, target``. Shares are stored as fractions (0.82 for 82 %). Recording the
same KPI on the same day again with the same figures changes nothing; a
different figure is refused unless ``replace`` is asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from alignkit.catalog.kpis import check_kpi_value, kpi_id
from alignkit.exceptions import StoreError
from alignkit.store.db import company_id
from alignkit.store.workspace import Workspace

__all__ = ["KPI_COLUMNS", "load_kpis", "record_kpi", "write_kpi"]

KPI_COLUMNS = ["kpi", "observed_on", "value", "target"]


# -- store ----------------------------------------------------------------------------
def _stored(con: Any, cid: int, kpi: str, day: str) -> tuple[float, float | None] | None:
    return con.execute("SELECT value, target FROM kpi_observations WHERE company_id = ? AND "
                       "kpi = ? AND observed_on = ?", (cid, kpi, day)).fetchone()


def write_kpi(con: Any, cid: int, row: tuple[str, str, float, float | None], replace: bool) -> str:
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
        outcome = write_kpi(con, company_id(con, company), (key, observed_on.isoformat(), value,
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
