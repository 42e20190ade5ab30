"""Demo data for the joint action plan.

Each demo company's plan is built from its baseline survey exactly as
``alignkit plan build`` would, then given named owners (fictional first names,
one in sales and one in marketing per action) as a consultant would record
them after the planning workshop. The plan starts on the demo calendar's
plan start (:func:`alignkit.demo.calendar.demo_calendar`), seven weeks before
the demo is built, so reports rendered that day find it mid-flight.
"""

from __future__ import annotations

from alignkit.analysis.drivers import load_drivers
from alignkit.analysis.wave import load_wave, score_wave
from alignkit.demo.calendar import demo_calendar
from alignkit.demo.survey import DemoCompany
from alignkit.plan.actions import build_action_plan, store_plan
from alignkit.plan.scenarios import load_funnel_snapshot
from alignkit.store.actions import load_actions
from alignkit.store.workspace import Workspace

__all__ = ["DEMO_OWNERS", "populate"]

#: Point people per demo company: (sales names, marketing names), assigned in turn.
DEMO_OWNERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "northwind-software": (("Priya", "Tomás", "Henrik"), ("Lena", "Marcus", "Aiko")),
    "bluepeak-logistics": (("Dmitri", "Grace", "Kofi"), ("Sofia", "Ravi", "Ines")),
    "corvid-health": (("Hannah", "Mateo", "Yusuf"), ("Clara", "Jonas", "Mei")),
}


def populate(workspace: Workspace, company: DemoCompany, *, wave: str = "baseline") -> None:
    """Build, store and staff the plan of ``company`` unless it already has actions."""
    if len(load_actions(workspace, company.slug)):
        return
    scores = score_wave(load_wave(company.slug, wave, workspace=workspace))
    baselines = load_funnel_snapshot(workspace, company.slug).kpi_baselines()
    drivers = load_drivers(company.slug, wave, workspace=workspace, resamples=0)
    plan = build_action_plan(scores, start=demo_calendar().plan_start, kpi_baselines=baselines,
                             drivers=drivers)
    sales, marketing = DEMO_OWNERS.get(company.slug, (("Alex",), ("Sam",)))
    plan = plan.assign(sales_owner=[sales[k % len(sales)] for k in range(len(plan))],
                       marketing_owner=[marketing[k % len(marketing)] for k in range(len(plan))])
    store_plan(workspace, company.slug, plan)
