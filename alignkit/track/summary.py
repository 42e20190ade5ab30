"""The engagement's key figures, computed once: what every report and export reads.

:func:`load_engagement` gathers one company's settings, survey scores, CRM
measures, service level agreement, action plan and KPI records as of one day.
The four stage notebooks, the workbook (``plan export``), ``plan sla`` and
``alignkit summary`` all start from it, so a figure that appears in two of
them is the same computation and cannot disagree. :meth:`Engagement.to_json`
is the machine-readable form (``alignkit summary --json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.store.settings import EngagementSettings, load_settings, override, with_report_date
from alignkit.store.workspace import Company, Workspace, as_workspace
from alignkit.text.money import format_money

__all__ = ["Engagement", "load_engagement", "notes_markdown", "summary_text"]


@dataclass(frozen=True)
class Engagement:
    """One company's engagement as of one day (see :func:`load_engagement`).

    ``plan`` is the stored plan explained (or a draft when none is stored,
    ``plan.attrs["source"]``), ``status`` the same actions as they stood on
    ``as_of``, ``kpis`` the records of :func:`alignkit.analysis.metrics.kpi_records`
    and ``series`` their figures over time from the baseline on. ``drivers`` is the
    wave's driver view the plan was ranked with (:mod:`alignkit.analysis.drivers`,
    without intervals; ``None`` without a wave).

    Everything is read from the store when the engagement is loaded; ``status``,
    ``kpis``, ``series`` and ``baseline_on`` are worked out from what was read
    the first time one is asked for and kept, so a report that shows none of
    them (Identify) does not pay for them and one that shows them all computes
    each once.
    """

    company: Company
    wave: str
    as_of: date
    settings: EngagementSettings
    notes: tuple[str, ...]
    data: Any
    scores: Any
    snapshot: Any
    goal: Any
    origin: dict[str, str]
    agreement: Any
    plan: pd.DataFrame
    updates: pd.DataFrame
    observations: pd.DataFrame
    drivers: Any = None

    @cached_property
    def status(self) -> pd.DataFrame:
        """The plan's actions as they stood at the end of :attr:`as_of`."""
        from alignkit.track.actions import action_status

        return action_status(self.plan, self.updates, as_of=self.as_of)

    @cached_property
    def baseline_on(self) -> date:
        """The day the plan starts (its KPI baselines are read then); :attr:`as_of` without one."""
        from alignkit.analysis.metrics import plan_start

        return plan_start(self.plan) or self.as_of

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Each tracked KPI's baseline, target and latest figure (``kpi_records``)."""
        from alignkit.analysis.metrics import kpi_records

        return kpi_records(self.plan, self.observations,
                           funnel_kpis=self.snapshot.kpi_baselines(),
                           sla_targets={"mqls_delivered": float(self.agreement.needed("mql")),
                                        "follow_up_attempts": float(self.settings.attempts)},
                           as_of=self.as_of, baseline_on=self.baseline_on)

    @cached_property
    def series(self) -> pd.DataFrame:
        """The tracked KPIs' figures over time from :attr:`baseline_on` to :attr:`as_of`."""
        from alignkit.analysis.metrics import tracked_series

        return tracked_series(self.kpis, self.observations, baseline_on=self.baseline_on,
                              as_of=self.as_of)

    @property
    def currency(self) -> str:
        """The engagement's ISO currency code."""
        return self.settings.currency

    def money(self, value: float, *, compact: bool = False) -> str:
        """An amount in the engagement's currency (:func:`alignkit.text.money.format_money`)."""
        return format_money(value, self.currency, compact=compact)

    def owner_names(self) -> list[str]:
        """The named sales and marketing owners of the plan's actions (masked in comments)."""
        names = []
        for column in ("sales_owner", "marketing_owner"):
            if column in self.plan:
                names += [str(n) for n in self.plan[column].dropna() if str(n).strip()]
        from alignkit.plan.actions import PLACEHOLDER

        return sorted({n for n in names if n != PLACEHOLDER})

    def overall_index(self) -> dict[str, Any] | None:
        """``index, level, level_name, n`` of all respondents, or ``None`` when hidden."""
        if self.scores is None:
            return None
        rows = self.scores.index
        rows = rows[(rows["group"].astype(str) == "overall") & ~rows["suppressed"].astype(bool)]
        if rows.empty or pd.isna(rows["index"].iloc[0]):
            return None
        row = rows.iloc[0]
        return {"index": round(float(row["index"]), 1), "level": int(row["level"]),
                "level_name": str(row["level_name"]), "n": int(row["n"])}

    def sla_figures(self) -> dict[str, Any]:
        """The agreement as ``summary --json`` states it."""
        goal, sla = self.goal, self.agreement
        return {"revenue_goal": round(float(goal.amount), 2), "period": goal.period,
                "currency": self.currency, "mqls_per_month": sla.needed("mql"),
                "leads_per_month": sla.needed("lead"),
                "sla_hours": float(sla.sales.first_touch_hours),
                "attempts": int(sla.sales.attempts),
                "follow_up_days": int(sla.sales.follow_up_days)}

    def plan_with_kpis(self) -> pd.DataFrame:
        """The plan with each action's KPI baseline and target taken from :attr:`kpis`."""
        records = self.kpis.set_index("id")
        plan = self.plan.copy()
        for column in ("baseline", "target"):
            plan[column] = [records[column].get(k, np.nan) if isinstance(k, str) else np.nan
                            for k in plan["kpi"]]
        plan.attrs = dict(self.plan.attrs)
        return plan

    def action_records(self) -> list[dict[str, Any]]:
        """One entry per action, by number, with its status as of the report date."""
        out = []
        for row in self.status.sort_values("id").itertuples(index=False):
            out.append({"id": int(row.id), "title": str(row.title),
                        "sales_owner": _text(row.sales_owner),
                        "marketing_owner": _text(row.marketing_owner),
                        "due": row.due.date().isoformat() if pd.notna(row.due) else None,
                        "status": str(row.status), "late": bool(row.late),
                        "kpi": _text(row.kpi)})
        return out

    def kpi_records(self) -> list[dict[str, Any]]:
        """One entry per tracked KPI: baseline, target and latest figure."""
        return [{"id": r.id, "label": r.label, "unit": r.unit, "side": r.side,
                 "baseline": _number(r.baseline), "target": _number(r.target),
                 "latest": _number(r.latest),
                 "latest_on": r.latest_on.date().isoformat() if pd.notna(r.latest_on) else None}
                for r in self.kpis.itertuples(index=False)]

    def to_json(self) -> dict[str, Any]:
        """The key figures: ``index``, ``maturity``, ``sla``, ``actions``, ``kpis``."""
        index = self.overall_index()
        return {"company": self.company.slug, "name": self.company.name, "wave": self.wave,
                "as_of": self.as_of.isoformat(),
                "index": index["index"] if index else None,
                "maturity": ({"level": index["level"], "name": index["level_name"]}
                             if index else None),
                "sla": self.sla_figures(), "actions": self.action_records(),
                "kpis": self.kpi_records(), "notes": list(self.notes)}


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), 4)


def _scores(ws: Workspace, company: str, wave: str, anonymity_min: int,
            required: bool) -> tuple[Any, Any]:
    from alignkit.analysis.wave import load_wave, score_wave

    if wave not in ws.waves(company) and not required:
        return None, None
    data = load_wave(company, wave, workspace=ws)
    return data, score_wave(data, anonymity_min=anonymity_min)


def _drivers(ws: Workspace, company: str, wave: str, scores: Any, anonymity_min: int) -> Any:
    """The wave's driver view without intervals (the plan ranks by its importances)."""
    from alignkit.analysis.drivers import load_drivers

    if scores is None:
        return None
    return load_drivers(company, wave, workspace=ws, anonymity_min=anonymity_min, resamples=0)


def _plan(ws: Workspace, company: str, scores: Any, snapshot: Any, as_of: date,
          drivers: Any = None) -> pd.DataFrame:
    from alignkit.plan.actions import current_plan
    from alignkit.store.actions import ACTION_COLUMNS, load_actions

    if scores is None:
        stored = load_actions(ws, company)
        stored.attrs["source"] = "stored"
        return stored.assign(rank=stored["id"]) if len(stored) else stored.reindex(
            columns=[*ACTION_COLUMNS, "rank"])
    return current_plan(ws, company, scores, start=as_of, kpi_baselines=snapshot.kpi_baselines(),
                        drivers=drivers)


def load_engagement(company: str, wave: str = "baseline", *,
                    workspace: Workspace | str | None = None, as_of: date | str | None = None,
                    anonymity_min: int = DEFAULT_THRESHOLD,
                    overrides: dict[str, Any] | None = None, growth: float = 0.2,
                    require_wave: bool = False) -> Engagement:
    """Everything the reports of ``company`` state, computed once.

    Parameters
    ----------
    company, wave
        The company slug and its baseline survey wave (a company without that
        wave still gets its SLA, plan and KPIs; ``scores`` is then ``None``).
    workspace
        The workspace (a :class:`~alignkit.store.workspace.Workspace` or its folder).
    as_of
        The day figures are read for; default: the stored report date, else today.
    anonymity_min
        The anonymity threshold for the survey scores.
    overrides
        Engagement settings given for this run only (e.g. ``{"revenue_goal":
        1_200_000}``); each one that differs from the stored value adds a note.
    growth
        Growth over the CRM revenue used as the goal when none is set.
    require_wave
        Raise the store's error when the company has no such wave (a report
        that reads the survey needs it) instead of going on without scores.
    """
    from alignkit.plan.scenarios import load_funnel_snapshot
    from alignkit.plan.sla import SalesCommitment, build_sla, choose_goal
    from alignkit.store.actions import load_action_updates
    from alignkit.store.kpis import load_kpis

    ws = as_workspace(workspace)
    info = ws.company(company)
    settings, notes = override(load_settings(ws, company), **(overrides or {}))
    settings = with_report_date(settings, as_of)
    day = settings.as_of()
    data, scores = _scores(ws, company, wave, anonymity_min, require_wave)
    snapshot = load_funnel_snapshot(ws, company, sla_hours=settings.sla_hours)
    goal, origin = choose_goal(amount=settings.revenue_goal, period=settings.period,
                               marketing_share=settings.marketing_share,
                               deal_size=settings.avg_deal, growth=growth,
                               measured=snapshot.goal_inputs())
    agreement = build_sla(goal, snapshot.rates, SalesCommitment(
        settings.sla_hours, settings.attempts, settings.follow_up_days))
    drivers = _drivers(ws, company, wave, scores, anonymity_min)
    plan = _plan(ws, company, scores, snapshot, day, drivers)
    updates = load_action_updates(ws, company) if plan.attrs.get("source") == "stored" else (
        pd.DataFrame({"action_id": pd.Series(dtype="Int64"),
                      "updated_on": pd.Series(dtype="datetime64[ns]"),
                      "status": pd.Series(dtype=object), "progress": pd.Series(dtype=float),
                      "note": pd.Series(dtype=object)}))
    observations = load_kpis(ws, company)
    return Engagement(company=info, wave=wave, as_of=day, settings=settings, notes=tuple(notes),
                      data=data, scores=scores, snapshot=snapshot, goal=goal, origin=origin,
                      agreement=agreement, plan=plan, updates=updates, observations=observations,
                      drivers=drivers)


def summary_text(engagement: Engagement) -> str:
    """A readable one-page summary of :meth:`Engagement.to_json` for the terminal."""
    from alignkit.catalog.kpis import format_kpi_value

    doc = engagement.to_json()
    sla = doc["sla"]
    lines = [f"{doc['name']} ({doc['company']}), as of {doc['as_of']}", ""]
    if doc["index"] is None:
        lines.append(f"Alignment index: not available for wave '{doc['wave']}'")
    else:
        lines.append(f"Alignment index: {doc['index']:.0f} of 100, level "
                     f"{doc['maturity']['level']} ({doc['maturity']['name']})")
    lines += ["", f"Service level agreement (revenue goal "
                  f"{engagement.money(sla['revenue_goal'])} per {sla['period']}):",
              f"  marketing delivers {sla['mqls_per_month']} MQLs a month "
              f"(from about {sla['leads_per_month']} leads)",
              f"  sales contacts every MQL within {sla['sla_hours']:g} hours, "
              f"{sla['attempts']} attempts over {sla['follow_up_days']} days", "",
              "Actions:"]
    for a in doc["actions"]:
        late = " (late)" if a["late"] else ""
        lines.append(f"  {a['id']:>2}. {a['title']} - {a['status'].replace('_', ' ')}{late}, "
                     f"due {a['due'] or '-'}; sales {a['sales_owner'] or '-'}, "
                     f"marketing {a['marketing_owner'] or '-'}")
    lines += ["", "KPIs (baseline -> latest, target):"]
    for k in doc["kpis"]:
        lines.append(f"  {k['label']}: {format_kpi_value(k['id'], k['baseline'])} -> "
                     f"{format_kpi_value(k['id'], k['latest'])}, target "
                     f"{format_kpi_value(k['id'], k['target'])}")
    lines += [f"note: {note}" for note in doc["notes"]]
    return "\n".join(lines)


def notes_markdown(engagement: Engagement) -> str:
    """A note for each setting this run overrides (empty when it reads the stored ones)."""
    if not engagement.notes:
        return ""
    from alignkit.text.escaping import escape_markdown

    items = "\n".join(f"- {escape_markdown(note)}" for note in engagement.notes)
    return ("**Settings for this report only.** The figures below use values that differ from "
            f"the engagement's stored settings:\n\n{items}")
