"""Demo data for the Execute stage: action status updates and KPI figures over time.

Each demo company carries out its stored action plan in its own way:
Northwind finishes most things on time, Bluepeak starts a few actions and
stalls, Corvid moves steadily. The updates and KPI figures are written as the
CSV files a consultant would collect and imported through
:func:`alignkit.intake.action_updates.import_action_updates` and
:func:`alignkit.track.kpis.import_kpis`.

Dates follow the demo calendar (:mod:`alignkit.demo.calendar`): the plan
started seven weeks before the demo is built and nothing is recorded after
that day, so the plan is mid-flight when the reports are read. The KPI figures
are those of the KPIs the Execute report tracks (the plan's and both sides of
the SLA, :func:`alignkit.analysis.metrics.tracked_kpis`), starting from the baselines of
:func:`alignkit.track.summary.load_engagement` and moving towards their targets at the
company's pace.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from alignkit.analysis.metrics import plan_start
from alignkit.demo.calendar import demo_calendar
from alignkit.demo.survey import DemoCompany
from alignkit.intake.action_updates import import_action_updates
from alignkit.intake.kpis import import_kpis
from alignkit.store.actions import load_action_updates, load_actions
from alignkit.store.kpis import load_kpis
from alignkit.store.workspace import Workspace

__all__ = ["EXECUTION", "ExecutionProfile", "plan_start", "populate"]

#: Days between two recorded KPI figures.
KPI_EVERY = timedelta(weeks=2)


@dataclass(frozen=True)
class ExecutionProfile:
    """How a demo company carries out its plan and how its KPIs move.

    ``fates`` are given to the actions in priority order (repeating): ``done``
    (a week early), ``late`` (three weeks after its due date, so still open
    and overdue when that day has not come yet), ``working`` (progressing, not
    finished by the end of the demo), ``stalled`` (one update, then silence),
    ``idle`` (never started) and ``dropped``. ``pace`` is the share of the way
    from baseline to target the KPIs cover over the weeks the demo records.
    """

    fates: tuple[str, ...]
    pace: float
    noise: float
    seed: int


EXECUTION: dict[str, ExecutionProfile] = {
    "northwind-software": ExecutionProfile(
        fates=("done", "done", "late", "working", "done", "working"), pace=0.6, noise=0.01,
        seed=5),
    "bluepeak-logistics": ExecutionProfile(
        fates=("late", "stalled", "idle", "stalled", "dropped", "idle"), pace=0.03, noise=0.01,
        seed=8),
    "corvid-health": ExecutionProfile(
        fates=("done", "working", "late", "done", "working", "done"), pace=0.35, noise=0.008,
        seed=13),
}

_NOTES = {
    "kickoff": "Kick-off held with both owners",
    "draft": "First draft shared with both teams",
    "review": "Reviewed in the weekly pipeline meeting",
    "done": "Signed off by both heads",
    "waiting": "Waiting for input from the other team",
    "dropped": "Put on hold until the next budget round",
}


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
    finish = due - timedelta(weeks=1) if fate == "done" else due + timedelta(weeks=3)
    if fate == "working":  # still going when the demo ends
        finish = max(due, end) + timedelta(weeks=8)
    finish = max(finish, begin + timedelta(weeks=2))
    span = (finish - begin).days
    for k, share in enumerate((0.4, 0.7), start=1):
        day = begin + timedelta(days=round(span * k / 3))
        steps.append((day, "in_progress", share, _NOTES["draft" if k == 1 else "review"]))
    steps.append((finish, "done", 1.0, _NOTES["done"]))
    return [s for s in steps if s[0] <= end]


def _update_rows(actions: pd.DataFrame, profile: ExecutionProfile, start: date,
                 end: date) -> list[dict]:
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


def _kpi_rows(profile: ExecutionProfile, records: pd.DataFrame, start: date,
              end: date) -> list[dict]:
    """Figures every two weeks after ``start`` up to ``end`` for each tracked KPI.

    A KPI with a baseline moves from it towards its target at the company's
    pace; one without (a count the teams keep themselves) is first recorded
    on the plan's start day, at a third of its target.
    """
    rng = np.random.default_rng(profile.seed)
    days = []
    day = start + KPI_EVERY
    while day <= end:
        days.append(day)
        day += KPI_EVERY
    rows = []
    for rec in records.itertuples(index=False):
        if pd.isna(rec.target):
            continue
        share = rec.unit == "share"
        first = float(rec.baseline) if pd.notna(rec.baseline) else float(rec.target) / 3
        points = days if pd.notna(rec.baseline) else [start, *days]
        for k, when in enumerate(points, start=1 if pd.notna(rec.baseline) else 0):
            progress = profile.pace * k / max(1, len(days))
            value = first + (float(rec.target) - first) * progress
            if share:
                value = float(np.clip(value + rng.normal(0, profile.noise), 0, 1))
            else:
                value = float(round(value))
            rows.append({"kpi": rec.id, "observed_on": when.isoformat(),
                         "value": f"{value:.3f}" if share else f"{value:g}",
                         "target": f"{float(rec.target):g}"})
    return rows


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add action progress and KPI figures over time for ``company`` (idempotent).

    Status updates need the stored plan; without one nothing is added. A
    company that already has updates (or KPI figures) is left alone.
    """
    from alignkit.track.summary import load_engagement

    profile = EXECUTION.get(company.slug)
    actions = load_actions(workspace, company.slug)
    if profile is None or actions.empty:
        return
    start, end = plan_start(actions) or demo_calendar().plan_start, demo_calendar().today
    inbox = workspace.root / "inbox"
    if load_action_updates(workspace, company.slug).empty:
        rows = _update_rows(actions, profile, start, end)
        if rows:
            path = _write_csv(inbox / f"{company.slug}-action-updates.csv", rows,
                              ["action_id", "status", "progress", "note", "updated_on"])
            import_action_updates(path, company=company.slug, workspace=workspace)
    if load_kpis(workspace, company.slug).empty:
        records = load_engagement(company.slug, workspace=workspace, as_of=end).kpis
        rows = _kpi_rows(profile, records, start, end)
        if rows:
            path = _write_csv(inbox / f"{company.slug}-kpis.csv", rows,
                              ["kpi", "observed_on", "value", "target"])
            import_kpis(path, company=company.slug, workspace=workspace)
