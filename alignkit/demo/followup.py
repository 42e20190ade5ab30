"""Demo data for the Recap stage: a second survey wave, "followup", per demo company.

The follow-up answers come from the same simulation as the baseline
(:mod:`alignkit.demo.survey`), with each dimension's level raised, and each
sales-versus-marketing gap narrowed, in proportion to how much of the plan
aimed at that dimension was done. How strongly completed work shows in the
answers is the company's profile: Northwind's SLA gap mostly closes, Bluepeak
barely moves, Corvid gains a little. The wave is written as a canonical CSV
into ``<workspace>/inbox/`` and imported like any survey export.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.demo.survey import DemoCompany, _simulate
from alignkit.intake.survey import import_survey
from alignkit.store.actions import load_action_updates, load_actions
from alignkit.store.workspace import Workspace
from alignkit.track.actions import action_status

__all__ = ["FOLLOWUP", "FOLLOWUP_WAVE", "FollowupProfile", "completion_by_dimension",
           "populate", "write_followup_survey"]

FOLLOWUP_WAVE = "followup"


@dataclass(frozen=True)
class FollowupProfile:
    """How the second wave differs from the baseline.

    ``gain`` is the rise (scale points) of a dimension whose actions are all
    done; ``closure`` the share of its perception gap that disappears then.
    ``assumed`` completes the plan's completion per dimension (so the story
    holds without a stored plan). ``process_shift`` moves how people feel
    about the process itself; ``team_sizes`` who answered this time.
    """

    gain: float
    closure: float
    process_shift: float
    team_sizes: dict[str, int]
    assumed: dict[str, float] = field(default_factory=dict)
    seed: int = 0


FOLLOWUP: dict[str, FollowupProfile] = {
    "northwind-software": FollowupProfile(
        gain=0.7, closure=0.85, process_shift=0.1, seed=111,
        team_sizes={"sales": 40, "marketing": 30, "leadership": 8, "other": 10},
        assumed={"sla": 1.0, "handoff": 0.8, "definitions": 0.6}),
    "bluepeak-logistics": FollowupProfile(
        gain=0.1, closure=0.1, process_shift=-0.25, seed=223,
        team_sizes={"sales": 18, "marketing": 13, "leadership": 3, "other": 4}),
    "corvid-health": FollowupProfile(
        gain=0.25, closure=0.45, process_shift=0.1, seed=337,
        team_sizes={"sales": 12, "marketing": 8, "leadership": 5, "other": 4},
        assumed={"shadowing": 0.5, "content": 0.5}),
}


def completion_by_dimension(status: pd.DataFrame) -> dict[str, float]:
    """Share of each dimension's actions that is done (progress counts, dropped is 0)."""
    if status.empty:
        return {}
    done = status["progress"].where(status["status"] != "dropped", 0.0).fillna(0.0)
    return status.assign(done=done).groupby("dimension")["done"].mean().to_dict()


def _followup_company(company: DemoCompany, profile: FollowupProfile,
                      completion: dict[str, float]) -> DemoCompany:
    share = {d: max(completion.get(d, 0.0), profile.assumed.get(d, 0.0))
             for d in set(completion) | set(profile.assumed)}
    dims = dict(company.dimension_shift)
    for dim, done in share.items():
        dims[dim] = dims.get(dim, 0.0) + profile.gain * done
    dims["process"] = dims.get("process", 0.0) + profile.process_shift
    gaps = {(team, dim): shift * (1 - profile.closure * share.get(dim, 0.0))
            for (team, dim), shift in company.gap_shift.items()}
    return replace(company, team_sizes=profile.team_sizes, dimension_shift=dims, gap_shift=gaps,
                   seed=profile.seed)


def write_followup_survey(company: DemoCompany, profile: FollowupProfile,
                          completion: dict[str, float], path: Path,
                          instrument: Instrument | None = None) -> Path:
    """Write the simulated follow-up wave as a canonical CSV (new respondent ids, no comments)."""
    instrument = instrument or load_instrument()
    rows = _simulate(_followup_company(company, profile, completion), instrument)
    columns = ["respondent_id", "team", "role", *[i.id for i in instrument.items], "comment"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"respondent_id": "F" + row["respondent_id"][1:],
                                   "comment": ""})
    return path


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add the second survey wave for ``company`` (idempotent: skipped once it exists)."""
    profile = FOLLOWUP.get(company.slug)
    if profile is None or FOLLOWUP_WAVE in workspace.waves(company.slug):
        return
    actions = load_actions(workspace, company.slug)
    updates = load_action_updates(workspace, company.slug)
    last = updates["updated_on"].max() if len(updates) else pd.NaT
    status = (action_status(actions, updates, as_of=last.date()) if pd.notna(last)
              else actions.assign(progress=0.0))
    path = write_followup_survey(company, profile, completion_by_dimension(status),
                                 workspace.root / "inbox" / f"{company.slug}-{FOLLOWUP_WAVE}.csv")
    import_survey(path, company=company.slug, wave=FOLLOWUP_WAVE, workspace=workspace)
