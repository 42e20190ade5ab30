"""Status updates of the action plan from a file: read, check and store them.

A file (CSV or XLSX) has the columns ``action_id,status,updated_on`` and
optionally ``progress,note``. It is checked row by row before anything is
stored; the updates then go in as
:func:`alignkit.store.actions.record_action_updates` stores them, in one
transaction, and the file is kept unchanged under ``raw/`` (named by its
SHA-256) once that transaction has committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alignkit.exceptions import IntakeError
from alignkit.intake.cells import header_positions, parse_day
from alignkit.intake.table import read_table
from alignkit.store.actions import (
    STATUSES,
    UPDATE_COLUMNS,
    checked_updates,
    load_actions,
    record_action_updates,
    write_updates,
)
from alignkit.store.files import raw_name
from alignkit.store.workspace import Workspace, file_sha256

__all__ = [
    "UPDATE_COLUMNS",
    "UpdateImport",
    "import_action_updates",
    "read_action_update_file",
    "store_action_updates",
]

_STATUS_ALIASES = {"not_started": "planned", "todo": "planned", "to_do": "planned",
                   "started": "in_progress", "ongoing": "in_progress", "complete": "done",
                   "completed": "done", "cancelled": "dropped", "canceled": "dropped"}


@dataclass(frozen=True)
class UpdateImport:
    """What :func:`import_action_updates` did with a file."""

    file: str
    rows: int
    added: int
    unchanged: int


def _status(cell: str) -> str:
    key = cell.strip().lower().replace(" ", "_").replace("-", "_")
    key = _STATUS_ALIASES.get(key, key)
    if key not in STATUSES:
        raise ValueError(f"{cell!r} is not a status; use one of {', '.join(STATUSES)}")
    return key


def _progress(cell: str, status: str) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        value = float(text.rstrip("%").replace(",", ".")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise ValueError(f"{cell!r} is not a number; write progress as 0.4 or 40%") from None
    if not 0 <= value <= 1:
        raise ValueError(f"{cell!r} is out of range; progress is 0 to 1 (0.4) or 0% to 100%")
    if status == "done" and value < 1:
        raise ValueError(f"a done action has progress 100%, not {cell}; leave it empty")
    return value


def _action_id(cell: str, known: set[int], company: str) -> int:
    try:
        number = int(cell.strip())
    except ValueError:
        raise ValueError(f"{cell!r} is not an action number; see `alignkit action list`") \
            from None
    if number not in known:
        raise ValueError(f"company '{company}' has no action {number}; see "
                         f"`alignkit action list --company {company}`")
    return number


def read_action_update_file(path: str | Path, *, known: set[int], company: str) -> pd.DataFrame:
    """Read and check a file of status updates without storing anything.

    Rows are numbered as a spreadsheet shows them (the header is row 1).

    Raises
    ------
    IntakeError
        Naming file, row and column of the first bad cell.
    """
    table = read_table(path)
    cols = header_positions(table, ["action_id", "status", "updated_on"], ["progress", "note"])
    rows = []
    for number, cells in table.numbered():
        column = "action_id"
        try:
            action = _action_id(cells[cols["action_id"]], known, company)
            column = "status"
            status = _status(cells[cols["status"]])
            column = "progress"
            progress = _progress(cells[cols["progress"]] if "progress" in cols else "", status)
            column = "updated_on"
            day = parse_day(cells[cols["updated_on"]])
        except ValueError as err:
            raise IntakeError(str(err), file=table.path, row=number, column=column) from None
        note = cells[cols["note"]].strip() if "note" in cols else ""
        rows.append((action, status, progress, note or None, day))
    if not rows:
        raise IntakeError("the file has a header but no updates", file=table.path)
    return pd.DataFrame(rows, columns=UPDATE_COLUMNS)


def store_action_updates(workspace: Workspace, company: str, updates: pd.DataFrame) -> int:
    """Store checked updates in one transaction; returns how many were new.

    The same as :func:`alignkit.store.actions.record_action_updates`: an update
    identical to a stored one is skipped, so importing a file twice changes
    nothing, and each touched action's current status becomes that of its
    latest update by date.
    """
    return record_action_updates(workspace, company, updates)


def import_action_updates(path: str | Path, *, company: str,
                          workspace: Workspace) -> UpdateImport:
    """Check a status-update file and store it in one transaction.

    The file is kept unchanged under ``raw/`` (named by its SHA-256). Nothing
    is stored if any row is wrong.
    """
    path = Path(path)
    known = set(load_actions(workspace, company)["id"].astype(int))
    frame = read_action_update_file(path, known=known, company=company)
    raw = workspace.raw_dir / raw_name(file_sha256(path), path.suffix)
    rows = checked_updates(frame)
    # The copy takes its name only once the updates are committed (same as survey imports).
    with workspace.keeping_raw(raw, source_file=path) as con:
        added = write_updates(con, company, rows)
    return UpdateImport(path.name, len(frame), added, len(frame) - added)
