"""The joint action plan in the workspace: save, load and update actions.

Actions are written by the Plan stage and updated by the Execute stage. Every
call is one transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from alignkit.exceptions import StoreError
from alignkit.store import Workspace

__all__ = [
    "ACTION_COLUMNS",
    "STATUSES",
    "load_action_updates",
    "load_actions",
    "record_action_update",
    "save_actions",
]

#: Columns of an actions frame, as :func:`load_actions` returns them.
ACTION_COLUMNS = [
    "id", "tactic", "title", "dimension", "sales_owner", "marketing_owner", "due", "kpi",
    "baseline", "target", "priority", "status", "created_at", "updated_at",
]
_EDITABLE = ACTION_COLUMNS[1:12]
STATUSES = ("planned", "in_progress", "done", "dropped")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _company_id(con: Any, slug: str) -> int:
    return con.execute("SELECT id FROM companies WHERE slug = ?", (slug,)).fetchone()[0]


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def save_actions(workspace: Workspace, company: str, actions: pd.DataFrame, *,
                 replace: bool = False) -> pd.DataFrame:
    """Store new actions (columns: any of ``tactic … status``; ``tactic`` and ``title`` required).

    With ``replace=True`` the company's existing actions (and their updates)
    are deleted first, in the same transaction. Returns :func:`load_actions`.
    """
    workspace.company(company)
    missing = {"tactic", "title"} - set(actions.columns)
    if missing:
        raise StoreError(f"actions need the columns {', '.join(sorted(missing))}")
    bad = set(actions.get("status", pd.Series(dtype=object)).dropna()) - set(STATUSES)
    if bad:
        raise StoreError(f"unknown action status {sorted(bad)}; use one of {', '.join(STATUSES)}")
    cols = [c for c in _EDITABLE if c in actions.columns]
    now = _now()
    with workspace.connect() as con:
        cid = _company_id(con, company)
        if replace:
            con.execute("DELETE FROM actions WHERE company_id = ?", (cid,))
        for rec in actions[cols].to_dict("records"):
            values = [_iso(rec[c]) if c == "due" else (None if pd.isna(rec[c]) else rec[c])
                      for c in cols]
            con.execute(
                f"INSERT INTO actions (company_id, {', '.join(cols)}, created_at, updated_at) "
                f"VALUES (?, {', '.join('?' for _ in cols)}, ?, ?)",
                (cid, *values, now, now),
            )
    return load_actions(workspace, company)


def load_actions(workspace: Workspace, company: str) -> pd.DataFrame:
    """A company's actions in :data:`ACTION_COLUMNS` order; ``due`` as datetime64."""
    workspace.company(company)
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            f"SELECT a.{', a.'.join(ACTION_COLUMNS)} FROM actions a "
            "JOIN companies c ON c.id = a.company_id WHERE c.slug = ? ORDER BY a.id",
            con, params=(company,),
        )
    frame["due"] = pd.to_datetime(frame["due"])
    return frame


def record_action_update(workspace: Workspace, company: str, action_id: int, *, status: str,
                         progress: float | None = None, note: str | None = None,
                         updated_on: date | None = None) -> None:
    """Record a status update of one action and set its current status."""
    if status not in STATUSES:
        raise StoreError(f"unknown action status '{status}'; use one of {', '.join(STATUSES)}")
    if progress is not None and not 0 <= progress <= 1:
        raise StoreError(f"progress must be between 0 and 1, not {progress}")
    workspace.company(company)
    day = (updated_on or date.today()).isoformat()
    with workspace.connect() as con:
        row = con.execute(
            "SELECT a.id FROM actions a JOIN companies c ON c.id = a.company_id "
            "WHERE c.slug = ? AND a.id = ?", (company, action_id),
        ).fetchone()
        if row is None:
            raise StoreError(f"company '{company}' has no action {action_id}; "
                             f"see `alignkit action list --company {company}`")
        con.execute(
            "INSERT INTO action_updates (action_id, updated_on, status, progress, note) "
            "VALUES (?, ?, ?, ?, ?)", (action_id, day, status, progress, note),
        )
        con.execute("UPDATE actions SET status = ?, updated_at = ? WHERE id = ?",
                    (status, _now(), action_id))


def load_action_updates(workspace: Workspace, company: str) -> pd.DataFrame:
    """Every status update: ``action_id, updated_on (datetime64), status, progress, note``."""
    workspace.company(company)
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            "SELECT u.action_id, u.updated_on, u.status, u.progress, u.note "
            "FROM action_updates u JOIN actions a ON a.id = u.action_id "
            "JOIN companies c ON c.id = a.company_id WHERE c.slug = ? "
            "ORDER BY u.updated_on, u.id", con, params=(company,),
        )
    frame["updated_on"] = pd.to_datetime(frame["updated_on"])
    return frame
