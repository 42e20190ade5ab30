"""Demo data for the Execute stage: action status updates and monthly KPI history.

Each demo company carries out its stored action plan in its own way:
Northwind finishes almost everything on time, Bluepeak starts a few actions
and stalls, Corvid moves steadily. The updates and KPI observations are
written as the CSV files a consultant would collect and imported through
:func:`alignkit.tracking.import_action_updates` and
:func:`alignkit.kpis.import_kpis`. Every date is counted from the plan's start
(from the stored due dates) or, without a plan, from :data:`DEMO_START`;
nothing depends on today's date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from alignkit.action_store import load_action_updates, load_actions
from alignkit.action_updates import import_action_updates
from alignkit.demo.survey import DemoCompany
from alignkit.exceptions import InstrumentError
from alignkit.kpi_store import import_kpis, load_kpis
from alignkit.playbook import load_playbook
from alignkit.store import Workspace

__all__ = ["DEMO_START", "EXECUTION", "ExecutionProfile", "plan_start", "populate"]

#: The day the demo plans start when no stored plan says otherwise.
DEMO_START = date(2026, 6, 1)
#: How long the demo plans have been running when the last update is recorded.
DEMO_SPAN = timedelta(weeks=22)


@dataclass(frozen=True)
class ExecutionProfile:
    """How a demo company carries out its plan and how its KPIs move.

    ``fates`` are given to the actions in priority order (repeating): ``done``
    (a week early), ``late`` (five weeks late), ``working`` (progressing, not
    finished by the end of the demo),
    ``stalled`` (one update, then silence), ``idle`` (never started) and
    ``dropped``. ``kpis`` maps a KPI id to ``(first, last, target)``: the
    monthly figures move from first to last, with some noise.
    """

    fates: tuple[str, ...]
    kpis: dict[str, tuple[float, float, float]]
    noise: float
    seed: int


EXECUTION: dict[str, ExecutionProfile] = {
    "northwind-software": ExecutionProfile(
        fates=("done", "done", "done", "late", "done", "done"),
        kpis={"first_touch_within_sla": (0.46, 0.91, 0.9), "joint_meetings_held": (1, 4, 4),
              "untouched_mql_share": (0.27, 0.09, 0.05), "mql_to_sql_rate": (0.19, 0.25, 0.24)},
        noise=0.015, seed=5),
    "bluepeak-logistics": ExecutionProfile(
        fates=("late", "stalled", "idle", "stalled", "dropped", "idle"),
        kpis={"first_touch_within_sla": (0.39, 0.41, 0.9), "joint_meetings_held": (2, 1, 4),
              "untouched_mql_share": (0.34, 0.36, 0.05), "mql_to_sql_rate": (0.12, 0.12, 0.144)},
        noise=0.02, seed=8),
    "corvid-health": ExecutionProfile(
        fates=("done", "working", "late", "done", "working", "done"),
        kpis={"first_touch_within_sla": (0.71, 0.84, 0.9), "joint_meetings_held": (3, 4, 4),
              "untouched_mql_share": (0.12, 0.08, 0.05), "mql_to_sql_rate": (0.26, 0.29, 0.31)},
        noise=0.012, seed=13),
}

_NOTES = {
    "kickoff": "Kick-off held with both owners",
    "draft": "First draft shared with both teams",
    "review": "Reviewed in the weekly pipeline meeting",
    "done": "Signed off by both heads",
    "waiting": "Waiting for input from the other team",
    "dropped": "Put on hold until the next budget round",
}


def _weeks_to_impact(tactic: str) -> int:
    try:
        return load_playbook().tactic(tactic).weeks_to_impact
    except InstrumentError:
        return 6


def plan_start(actions: pd.DataFrame) -> date:
    """When a stored plan started: the earliest due date less its tactic's weeks to impact."""
    starts = [due.date() - timedelta(weeks=_weeks_to_impact(t))
              for t, due in zip(actions["tactic"], actions["due"], strict=True) if pd.notna(due)]
    return min(starts) if starts else DEMO_START


def _timeline(fate: str, begin: date, due: date, end: date) -> list[tuple[date, str, float | None,
                                                                            str]]:
    """The updates of one action: ``(day, status, progress, note)``, none after ``end``."""
    if fate == "idle":
        return []
    steps = [(begin, "in_progress", 0.1, _NOTES["kickoff"])]
    if fate == "stalled":
        return steps + [(begin + timedelta(weeks=4), "in_progress", 0.25, _NOTES["waiting"])]
    if fate == "dropped":
        return steps + [(begin + timedelta(weeks=6), "dropped", None, _NOTES["dropped"])]
    finish = due - timedelta(weeks=1) if fate == "done" else due + timedelta(weeks=5)
    if fate == "working":  # still going when the demo ends
        finish = max(due, end) + timedelta(weeks=8)
    finish = max(finish, begin + timedelta(weeks=2))
    span = (finish - begin).days
    for k, share in enumerate((0.4, 0.7), start=1):
        day = begin + timedelta(days=round(span * k / 3))
        steps.append((day, "in_progress", share, _NOTES["draft" if k == 1 else "review"]))
    steps.append((finish, "done", 1.0, _NOTES["done"]))
    return [s for s in steps if s[0] <= end]


def _update_rows(actions: pd.DataFrame, profile: ExecutionProfile, start: date) -> list[dict]:
    end = start + DEMO_SPAN
    rows = []
    for k, action in enumerate(actions.itertuples()):
        fate = profile.fates[k % len(profile.fates)]
        due = action.due.date() if pd.notna(action.due) else end
        begin = start + timedelta(days=3 + 7 * (k % 3))
        for day, status, progress, note in _timeline(fate, begin, max(due, begin), end):
            rows.append({"action_id": int(action.id), "status": status,
                         "progress": "" if progress is None else f"{progress:g}",
                         "note": note, "updated_on": day.isoformat()})
    return sorted(rows, key=lambda r: (r["updated_on"], r["action_id"]))


def _kpi_rows(profile: ExecutionProfile, actions: pd.DataFrame, start: date) -> list[dict]:
    """Six monthly observations per KPI, starting from the plan's baseline where it has one."""
    rng = np.random.default_rng(profile.seed)
    planned = {r.kpi: (r.baseline, r.target) for r in actions.itertuples()
               if pd.notna(r.baseline) and pd.notna(r.target)}
    rows = []
    for kpi, (first, last, target) in profile.kpis.items():
        if kpi in planned:  # the plan's own baseline and target, moved by the same amount
            shift = float(planned[kpi][0]) - first
            first, last, target = first + shift, last + shift, float(planned[kpi][1])
        share = kpi != "joint_meetings_held"
        noise = profile.noise * min(1.0, max(first, last) / 0.3)  # small rates wobble less
        for month in range(6):
            value = first + (last - first) * month / 5
            value += rng.normal(0, noise) if share and 0 < month < 5 else 0.0
            value = float(np.clip(value, 0, 1)) if share else float(round(value))
            rows.append({"kpi": kpi, "observed_on": (pd.Timestamp(start)
                                                     + pd.DateOffset(months=month)).date()
                         .isoformat(), "value": f"{value:.3f}" if share else f"{value:g}",
                         "target": f"{target:g}"})
    return rows


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add action progress and KPI observations over time for ``company`` (idempotent).

    Status updates need the stored plan; without one only the KPIs are added.
    A company that already has updates (or KPI observations) is left alone.
    """
    profile = EXECUTION.get(company.slug)
    if profile is None:
        return
    actions = load_actions(workspace, company.slug)
    start = plan_start(actions)
    inbox = workspace.root / "inbox"
    if len(actions) and load_action_updates(workspace, company.slug).empty:
        rows = _update_rows(actions, profile, start)
        if rows:
            path = _write_csv(inbox / f"{company.slug}-action-updates.csv", rows,
                              ["action_id", "status", "progress", "note", "updated_on"])
            import_action_updates(path, company=company.slug, workspace=workspace)
    if load_kpis(workspace, company.slug).empty:
        path = _write_csv(inbox / f"{company.slug}-kpis.csv", _kpi_rows(profile, actions, start),
                          ["kpi", "observed_on", "value", "target"])
        import_kpis(path, company=company.slug, workspace=workspace)
