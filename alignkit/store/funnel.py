"""A company's CRM funnel in the workspace: the loaders (the import is :mod:`alignkit.intake.crm`).

Leads live in the ``leads`` table (one row per lead and company, pseudonymous:
the CRM's lead id and the owner's name are replaced by salted HMACs; the owner's
team is kept as the CRM names it), aggregate exports in ``funnel_counts``, and
every import in ``funnel_imports`` next to its raw copy in ``raw/`` (a lead
export's copy without the contacts' names, e-mail, phone and address columns,
unless imported with ``--keep-raw``).

A later lead export of the same company updates the leads it shares with
earlier ones (a CRM export is a snapshot: stages only move forward), so
exporting "all leads" every month and importing each file is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from alignkit.catalog.funnel_formats import FUNNEL_STAGES
from alignkit.store.workspace import Workspace, as_workspace

__all__ = [
    "DATE_COLUMNS",
    "LEAD_FRAME_COLUMNS",
    "FunnelData",
    "FunnelImportRecord",
    "find_funnel_import",
    "load_funnel",
    "load_funnel_counts",
    "load_leads",
]

DATE_COLUMNS = ("created_at", "mql_at", "sal_at", "sql_at", "opportunity_at", "closed_at",
                "first_touch_at")
LEAD_FRAME_COLUMNS = ("lead", "created_at", "source", "mql_at", "sal_at", "sql_at",
                      "opportunity_at", "closed_at", "outcome", "first_touch_at", "owner",
                      "owner_team", "amount", "period")
SOURCES = ("marketing", "sales", "other")


@dataclass(frozen=True)
class FunnelImportRecord:
    """An earlier import of a funnel file."""

    sha256: str
    source: str
    kind: str
    file_name: str
    period: str | None
    rows: int
    imported_at: str




_LEAD_FIELDS = LEAD_FRAME_COLUMNS


def find_funnel_import(workspace: Workspace | str | Path | None, company: str,
                       sha256: str) -> FunnelImportRecord | None:
    """The earlier import of the same file for this company, if any."""
    ws = as_workspace(workspace)
    ws.company(company)
    with ws.connect() as con:
        row = con.execute(
            "SELECT f.sha256, f.source, f.kind, f.file_name, f.period, f.rows, f.imported_at "
            "FROM funnel_imports f JOIN companies c ON c.id = f.company_id "
            "WHERE c.slug = ? AND f.sha256 = ?", (company, sha256)).fetchone()
    return FunnelImportRecord(*row) if row else None


def load_leads(workspace: Workspace | str | Path | None, company: str) -> pd.DataFrame:
    """Every stored lead of a company, oldest first.

    Returns
    -------
    pandas.DataFrame
        :data:`LEAD_FRAME_COLUMNS`: pseudonymous ``lead`` and ``owner``; the
        :data:`DATE_COLUMNS` as datetimes (NaT when not reached; a date without
        a time of day is midnight); ``source`` a categorical of marketing /
        sales / other; ``outcome`` ``"won"``, ``"lost"`` or missing;
        ``amount`` float. Empty (same columns) when none are stored.
    """
    ws = as_workspace(workspace)
    ws.company(company)
    with ws.connect() as con:
        frame = pd.read_sql_query(
            f"SELECT {', '.join('l.' + c for c in LEAD_FRAME_COLUMNS)} FROM leads l "
            "JOIN companies c ON c.id = l.company_id WHERE c.slug = ? "
            "ORDER BY l.created_at, l.id", con, params=(company,))
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    frame["source"] = pd.Categorical(frame["source"], categories=list(SOURCES))
    frame["amount"] = frame["amount"].astype(float)
    for column in ("lead", "outcome", "owner", "owner_team", "period"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def load_funnel_counts(workspace: Workspace | str | Path | None, company: str) -> pd.DataFrame:
    """Stored stage counts of a company: ``period, stage, count``, by period and stage.

    ``stage`` is an ordered categorical (lead, mql, sal, sql, opportunity, won).
    """
    ws = as_workspace(workspace)
    ws.company(company)
    with ws.connect() as con:
        frame = pd.read_sql_query(
            "SELECT f.period, f.stage, f.count FROM funnel_counts f "
            "JOIN companies c ON c.id = f.company_id WHERE c.slug = ?", con, params=(company,))
    frame["stage"] = pd.Categorical(frame["stage"], categories=list(FUNNEL_STAGES), ordered=True)
    frame["count"] = frame["count"].astype(int)
    return frame.sort_values(["period", "stage"], ignore_index=True)


class FunnelData(NamedTuple):
    """A company's stored funnel: ``leads`` and stage ``counts`` (either may be empty)."""

    leads: pd.DataFrame
    counts: pd.DataFrame


def load_funnel(workspace: Workspace | str | Path | None, company: str) -> FunnelData:
    """:func:`load_leads` and :func:`load_funnel_counts` in one call.

    Unpacks straight into :func:`alignkit.analysis.funnel.analyse_funnel`::

        funnel.analyse_funnel(*load_funnel(workspace, "acme"), sla_hours=24)
    """
    ws = as_workspace(workspace)
    return FunnelData(load_leads(ws, company), load_funnel_counts(ws, company))
