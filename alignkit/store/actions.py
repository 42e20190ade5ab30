"""The joint action plan in the workspace: save, load and update actions.

Each company's actions are numbered 1..n in priority order when the plan is
stored; actions added later continue the count. That number is the action's
``id`` everywhere a person sees or types it (reports, workbook, CLI, update
files), so it never changes between reports; the database key stays internal.

Actions are written by the Plan stage and updated by the Execute stage. Every
call is one transaction, checked row by row before anything is written. An
action's stored ``status`` is always that of its latest update by date (on a
day with several updates, the one entered last).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from alignkit.exceptions import StoreError
from alignkit.store.db import company_id
from alignkit.store.workspace import Workspace
from alignkit.text.times import now_iso

__all__ = [
    "ACTION_COLUMNS",
    "STATUSES",
    "UPDATE_COLUMNS",
    "load_action_updates",
    "load_actions",
    "record_action_update",
    "record_action_updates",
    "save_actions",
    "checked_updates",
    "update_action",
    "write_updates",
]

#: Columns of an actions frame, as :func:`load_actions` returns them.
ACTION_COLUMNS = [
    "id", "tactic", "title", "dimension", "sales_owner", "marketing_owner", "due", "kpi",
    "baseline", "target", "priority", "status", "created_at", "updated_at",
]
#: Columns of a frame of status updates, as :func:`record_action_updates` takes them.
UPDATE_COLUMNS = ["action_id", "status", "progress", "note", "updated_on"]
_EDITABLE = ACTION_COLUMNS[1:12]
_REQUIRED_TEXT = ("tactic", "title")
_FIGURES = ("baseline", "target", "priority")
STATUSES = ("planned", "in_progress", "done", "dropped")
_ACTION_DTYPES = {"id": "Int64", "baseline": "float64", "target": "float64",
                  "priority": "float64"}
_UPDATE_DTYPES = {"action_id": "Int64", "progress": "float64"}


# -- checking one cell (ValueError here becomes a StoreError naming the row) ---------------
def _is_missing(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(np.ndim(value) == 0 and pd.isna(value))


def _iso_day(value: Any, column: str) -> str | None:
    """A day as ``YYYY-MM-DD``; None when missing."""
    if _is_missing(value):
        return None
    if isinstance(value, str | date | np.datetime64):
        try:
            return pd.Timestamp(value.strip() if isinstance(value, str) else value) \
                .date().isoformat()
        except (ValueError, TypeError, OverflowError):
            pass
    raise ValueError(f"{column} {value!r} is not a date; write it as YYYY-MM-DD, "
                     "e.g. 2026-07-01")


def _figure(value: Any, column: str) -> float | None:
    """A finite number (numeric text allowed); None when missing."""
    if _is_missing(value):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"{column} {value!r} is not a number; give it as a figure, e.g. 0.8")
    return number


def _status(value: Any) -> str:
    if _is_missing(value):
        return "planned"
    if value not in STATUSES:
        raise ValueError(f"unknown action status {value!r}; use one of {', '.join(STATUSES)}")
    return str(value)


def _cell(column: str, value: Any) -> Any:
    """The value stored for one cell of an action."""
    if column in _REQUIRED_TEXT:
        if _is_missing(value):
            raise ValueError(f"the {column} is empty; every action needs a {column}")
        return str(value)
    if column == "status":
        return _status(value)
    if column == "due":
        return _iso_day(value, "due")
    if column in _FIGURES:
        return _figure(value, column)
    return None if _is_missing(value) and not isinstance(value, str) else value


def _action_rows(actions: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    rows = []
    for number, record in enumerate(actions[columns].to_dict("records"), start=1):
        try:
            rows.append([_cell(c, record[c]) for c in columns])
        except ValueError as err:
            raise StoreError(f"action row {number}: {err}") from None
    return rows


# -- actions ---------------------------------------------------------------------------------
def save_actions(workspace: Workspace, company: str, actions: pd.DataFrame, *,
                 replace: bool = False) -> pd.DataFrame:
    """Store new actions (columns: any of ``tactic … status``; ``tactic`` and ``title`` required).

    A missing status means ``planned``. With ``replace=True`` the company's
    existing actions (and their updates) are deleted first, in the same
    transaction. Returns :func:`load_actions`.

    Raises
    ------
    StoreError
        Naming the (1-based) row and value of an empty title or tactic, an
        unknown status, a due date that is not a date, or a baseline, target
        or priority that is not a number. Nothing is stored then.
    """
    workspace.company(company)
    missing = set(_REQUIRED_TEXT) - set(actions.columns)
    if missing:
        raise StoreError(f"actions need the columns {', '.join(sorted(missing))}")
    columns = [c for c in _EDITABLE if c in actions.columns]
    rows = _action_rows(actions, columns)
    now = now_iso()
    with workspace.connect() as con:
        cid = company_id(con, company)
        if replace:
            con.execute("DELETE FROM actions WHERE company_id = ?", (cid,))
        first = con.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM actions WHERE company_id = ?",
                            (cid,)).fetchone()[0]
        con.executemany(
            f"INSERT INTO actions (company_id, number, {', '.join(columns)}, created_at, "
            f"updated_at) VALUES (?, ?, {', '.join('?' for _ in columns)}, ?, ?)",
            [(cid, first + k, *values, now, now) for k, values in enumerate(rows)],
        )
    return load_actions(workspace, company)


def load_actions(workspace: Workspace, company: str) -> pd.DataFrame:
    """A company's actions in :data:`ACTION_COLUMNS` order, by their number.

    ``id`` is the action's number within the company (1..n in priority order
    when the plan was stored). ``due`` is datetime64, ``id`` Int64 and ``baseline``, ``target`` and
    ``priority`` float64, also when there are no actions or no figures.
    """
    workspace.company(company)
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            f"SELECT a.number AS id, a.{', a.'.join(ACTION_COLUMNS[1:])} FROM actions a "
            "JOIN companies c ON c.id = a.company_id WHERE c.slug = ? ORDER BY a.number",
            con, params=(company,),
        )
    frame["due"] = pd.to_datetime(frame["due"])
    return frame.astype(_ACTION_DTYPES)


def update_action(workspace: Workspace, company: str, action_id: int,
                  changes: Mapping[str, Any]) -> None:
    """Change fields of one stored action (owners, due date, KPI, figures …) in one transaction.

    ``changes`` maps columns of ``tactic … priority`` to new values, checked as
    :func:`save_actions` checks them. The status is not among them: it follows
    the action's updates (:func:`record_action_update`).

    Raises
    ------
    StoreError
        For nothing to change, a column that cannot be changed, a bad value,
        or an action the company does not have. Nothing is changed then.
    """
    editable = [c for c in _EDITABLE if c != "status"]
    wrong = [c for c in changes if c not in editable]
    if wrong or not changes:
        raise StoreError(f"cannot change {', '.join(wrong) or 'nothing'}; an action's "
                         f"{', '.join(editable)} can be changed, its status by an update")
    try:
        values = [_cell(column, value) for column, value in changes.items()]
    except ValueError as err:
        raise StoreError(f"action {action_id}: {err}") from None
    workspace.company(company)
    with workspace.connect() as con:
        keys = _company_actions(con, company)
        if action_id not in keys:
            raise StoreError(_no_such_action(company, action_id))
        con.execute(f"UPDATE actions SET {', '.join(f'{c} = ?' for c in changes)}, "
                    "updated_at = ? WHERE id = ?", (*values, now_iso(), keys[action_id]))


# -- status updates ----------------------------------------------------------------------------
def _progress(value: Any) -> float | None:
    number = _figure(value, "progress")
    if number is not None and not 0 <= number <= 1:
        raise ValueError(f"progress {number:g} must be between 0 and 1")
    return number


def _update_row(record: dict[str, Any]) -> tuple[int, str, str, float | None, str | None]:
    """``(action_id, day, status, progress, note)`` of one update, checked."""
    value = record["action_id"]
    try:
        action = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"action_id {value!r} is not an action number") from None
    if record["status"] not in STATUSES:
        raise ValueError(f"unknown action status {record['status']!r}; use one of "
                         f"{', '.join(STATUSES)}")
    day = _iso_day(record["updated_on"], "updated_on")
    if day is None:
        raise ValueError("updated_on is empty; give the day of the update as YYYY-MM-DD")
    note = record.get("note")
    note = note.strip() if isinstance(note, str) and note.strip() else None
    return action, day, record["status"], _progress(record.get("progress")), note


def _company_actions(con: Any, company: str) -> dict[int, int]:
    """The company's action numbers, each with its database key."""
    return dict(con.execute(
        "SELECT a.number, a.id FROM actions a JOIN companies c ON c.id = a.company_id "
        "WHERE c.slug = ?", (company,)).fetchall())


def _no_such_action(company: str, action_id: int) -> str:
    return (f"company '{company}' has no action {action_id}; "
            f"see `alignkit action list --company {company}`")


def _insert_updates(con: Any, rows: list[tuple]) -> int:
    """Insert updates not stored yet (same action, day, status, progress and note)."""
    added = 0
    for action, day, status, progress, note in rows:
        same = con.execute(
            "SELECT 1 FROM action_updates WHERE action_id = ? AND updated_on = ? AND status = ?"
            " AND progress IS ? AND note IS ?", (action, day, status, progress, note)).fetchone()
        if same is None:
            con.execute("INSERT INTO action_updates (action_id, updated_on, status, progress, "
                        "note) VALUES (?, ?, ?, ?, ?)", (action, day, status, progress, note))
            added += 1
    return added


def _refresh_status(con: Any, action_ids: set[int]) -> None:
    """Set each action's status to that of its latest update by date, then by entry."""
    ids = sorted(action_ids)
    con.execute(
        "UPDATE actions SET status = (SELECT status FROM action_updates u WHERE u.action_id ="
        " actions.id ORDER BY u.updated_on DESC, u.id DESC LIMIT 1), updated_at = ?"
        f" WHERE id IN ({', '.join('?' for _ in ids)})", (now_iso(), *ids))


def record_action_update(workspace: Workspace, company: str, action_id: int, *, status: str,
                         progress: float | None = None, note: str | None = None,
                         updated_on: date | None = None) -> None:
    """Record a status update of one action (default day: today).

    The action's current status becomes that of its latest update by date, so
    an update entered late for an earlier day keeps the history right. An
    update identical to one already stored is not stored twice.
    """
    if status not in STATUSES:
        raise StoreError(f"unknown action status '{status}'; use one of {', '.join(STATUSES)}")
    if progress is not None and not 0 <= progress <= 1:
        raise StoreError(f"progress must be between 0 and 1, not {progress}")
    workspace.company(company)
    row = (action_id, (updated_on or date.today()).isoformat(), status, progress, note)
    with workspace.connect() as con:
        keys = _company_actions(con, company)
        if action_id not in keys:
            raise StoreError(_no_such_action(company, action_id))
        _insert_updates(con, [(keys[action_id], *row[1:])])
        _refresh_status(con, {keys[action_id]})


def record_action_updates(workspace: Workspace, company: str, updates: pd.DataFrame) -> int:
    """Record several status updates in one transaction; returns how many were new.

    Parameters
    ----------
    updates
        :data:`UPDATE_COLUMNS`: ``action_id, status, updated_on`` and optionally
        ``progress`` (0–1) and ``note``. ``updated_on`` is a date or
        ``YYYY-MM-DD`` text.

    An update identical to a stored one (same action, day, status, progress and
    note) is skipped, so recording the same rows twice changes nothing. Each
    touched action's status becomes that of its latest update by date.

    Raises
    ------
    StoreError
        Naming the (1-based) row of the first bad update, including an action
        of another company. Nothing is stored then.
    """
    workspace.company(company)
    missing = [c for c in ("action_id", "status", "updated_on") if c not in updates.columns]
    if missing:
        raise StoreError(f"updates need the columns {', '.join(missing)}")
    rows = checked_updates(updates)
    if not rows:
        return 0
    with workspace.connect() as con:
        return write_updates(con, company, rows)


def checked_updates(updates: pd.DataFrame) -> list[tuple]:
    """Each update of ``updates`` as ``(action number, day, status, progress, note)``, checked.

    Raises
    ------
    StoreError
        Naming the (1-based) row of the first bad update.
    """
    rows = []
    for number, record in enumerate(updates.to_dict("records"), start=1):
        try:
            rows.append(_update_row(record))
        except ValueError as err:
            raise StoreError(f"update row {number}: {err}") from None
    return rows


def write_updates(con: Any, company: str, rows: list[tuple]) -> int:
    """Write checked updates ``(action number, day, status, progress, note)`` inside the
    caller's transaction ``con``; returns how many were new.

    Raises
    ------
    StoreError
        Naming the (1-based) row of an action the company does not have.
    """
    known = _company_actions(con, company)
    for number, row in enumerate(rows, start=1):
        if row[0] not in known:
            raise StoreError(f"update row {number}: {_no_such_action(company, row[0])}")
    keyed = [(known[row[0]], *row[1:]) for row in rows]
    added = _insert_updates(con, keyed)
    _refresh_status(con, {row[0] for row in keyed})
    return added


def load_action_updates(workspace: Workspace, company: str) -> pd.DataFrame:
    """Every status update by date: ``action_id, updated_on, status, progress, note``.

    ``updated_on`` is datetime64, ``action_id`` Int64 and ``progress`` float64,
    also when there are no updates or no progress figures.
    """
    workspace.company(company)
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            "SELECT a.number AS action_id, u.updated_on, u.status, u.progress, u.note "
            "FROM action_updates u JOIN actions a ON a.id = u.action_id "
            "JOIN companies c ON c.id = a.company_id WHERE c.slug = ? "
            "ORDER BY u.updated_on, u.id", con, params=(company,),
        )
    frame["updated_on"] = pd.to_datetime(frame["updated_on"])
    return frame.astype(_UPDATE_DTYPES)
