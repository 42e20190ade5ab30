"""``alignkit plan``: build, show, edit and export the joint action plan; work out the SLA.

A thin shell over :mod:`alignkit.plan.actions`, :mod:`alignkit.plan.sla` and
:mod:`alignkit.catalog.playbook`. Heavy modules are imported inside the commands so
``alignkit --help`` stays quick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click

__all__ = ["register"]


def _plain(value: Any) -> Any:
    """A JSON-safe value: NaN/NaT become null, timestamps ISO dates, numpy numbers Python ones."""
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):
        try:
            return value.date().isoformat()
        except ValueError:  # NaT
            return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: Any, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _plain(row[c]) for c in columns} for _, row in frame.iterrows()]


def _goal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the revenue goal and the sales commitment (for `plan sla` and `export`).

    With ``--company`` they override the company's stored engagement settings
    (`alignkit company set`) for this run only, and the command says so.
    """
    options = [
        click.option("--revenue-goal", type=click.FloatRange(min=0, min_open=True),
                     help="New revenue goal [default: the stored setting, else from the CRM "
                          "data, else 2,400,000 a year]."),
        click.option("--period", type=click.Choice(["month", "quarter", "year"]),
                     help="Whether --revenue-goal is per month, quarter or year "
                          "[default: the stored setting, else year]."),
        click.option("--marketing-share", type=click.FloatRange(0, 1),
                     help="Share of the goal from marketing-sourced deals, e.g. 0.5."),
        click.option("--deal-size", "--avg-deal", "avg_deal",
                     type=click.FloatRange(min=0, min_open=True),
                     help="Average won deal [default: the stored setting, else from the CRM "
                          "data, else 25,000]."),
        click.option("--growth", type=click.FloatRange(min=0), default=0.2, show_default=True,
                     help="Growth over the CRM revenue when no goal is given."),
        click.option("--sla-hours", type=click.FloatRange(min=0, min_open=True),
                     help="Hours within which sales contacts a new MQL [default: stored, else 24]."),
        click.option("--attempts", type=click.IntRange(min=1),
                     help="Contact attempts before sales returns a lead [default: stored, else 6]."),
        click.option("--follow-up-days", type=click.IntRange(min=1),
                     help="Days over which sales makes those attempts [default: stored, else 14]."),
        click.option("--currency", help="ISO currency code, e.g. EUR [default: stored, else EUR]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


_SETTING_OPTIONS = ("revenue_goal", "period", "marketing_share", "avg_deal", "sla_hours",
                    "attempts", "follow_up_days", "currency")


def _overrides(opts: dict[str, Any]) -> dict[str, Any]:
    return {k: opts[k] for k in _SETTING_OPTIONS if opts.get(k) is not None}


def _say_notes(notes: Any) -> None:
    for note in notes:
        click.echo(f"note: {note}", err=True)


def _agreement(workspace: Any, company: str | None, opts: dict[str, Any]) -> tuple[Any, Any]:
    """The SLA of a company (its settings and measured funnel) or from the options alone."""
    from alignkit.plan.sla import FunnelRates, SalesCommitment, build_sla, choose_goal
    from alignkit.store.settings import EngagementSettings, override

    if company:
        from alignkit.track.summary import load_engagement

        engagement = load_engagement(company, opts.get("wave") or "baseline", workspace=workspace,
                                     overrides=_overrides(opts), growth=opts["growth"])
        _say_notes(engagement.notes)
        return engagement.agreement, engagement.origin
    settings, _ = override(EngagementSettings(), **_overrides(opts))
    goal, origin = choose_goal(amount=settings.revenue_goal, period=settings.period,
                               marketing_share=settings.marketing_share,
                               deal_size=settings.avg_deal, growth=opts["growth"])
    sales = SalesCommitment(settings.sla_hours, settings.attempts, settings.follow_up_days)
    return build_sla(goal, FunnelRates(), sales), origin


def _stored_plan(ws: Any, company: str, wave: str, anonymity_min: int) -> Any:
    from alignkit.analysis.wave import load_wave, score_wave
    from alignkit.plan.actions import explain_actions, gap_sizes
    from alignkit.store.actions import load_actions

    actions = load_actions(ws, company)
    if actions.empty:
        from alignkit.exceptions import StoreError

        raise StoreError(f"company '{company}' has no action plan yet; build one with "
                         f"`alignkit plan build --company {company}`")
    gaps = (gap_sizes(score_wave(load_wave(company, wave, workspace=ws),
                                 anonymity_min=anonymity_min))
            if wave in ws.waves(company) else actions.iloc[:0][["dimension"]])
    return explain_actions(actions, gaps)


_SHOW_COLUMNS = ["id", "rank", "tactic", "title", "dimension", "sales_owner", "marketing_owner",
                 "due", "kpi", "baseline", "target", "priority", "status"]


def _echo_plan(plan: Any) -> None:
    from alignkit.catalog.playbook import load_playbook

    book = load_playbook()
    kpis = {k.id: k for k in book.kpis}
    for row in plan.itertuples(index=False):
        kpi = kpis.get(row.kpi)
        change = (f"{kpi.format(row.baseline)} -> {kpi.format(row.target)}" if kpi else "")
        due = _plain(row.due) or "-"
        click.echo(f"{row.id:>4}  {row.title}")
        click.echo(f"      priority {row.priority:.1f} · due {due} · {row.status.replace('_', ' ')}"
                   f" · sales: {row.sales_owner} · marketing: {row.marketing_owner}")
        if kpi:
            click.echo(f"      KPI {kpi.name}: {change}")


@dataclass(frozen=True)
class _Kit:
    """What every plan command borrows from :mod:`alignkit.cli.app`."""

    print_json: Callable[[Any], None]
    workspace: Callable[[Path | None], Any]
    workspace_option: Callable[..., Any]
    anonymity_option: Callable[..., Any]


def register(main: click.Group) -> None:
    """Add the ``plan`` commands to ``main``."""
    from alignkit.cli import options as cli
    @main.group("plan", cls=cli.Group)
    def plan() -> None:
        """Turn survey gaps into a joint action plan and a service level agreement."""

    kit = _Kit(cli.print_json, cli.open_workspace, cli.workspace_option, cli.anonymity_option)
    for add in (_add_build, _add_show, _add_edit, _add_export, _add_sla, _add_tactics):
        add(plan, kit)


def _add_build(plan: click.Group, kit: _Kit) -> None:
    @plan.command("build")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--wave", default="baseline", show_default=True, help="Survey wave to rank gaps.")
    @click.option("--top", type=click.IntRange(1, 20), default=6, show_default=True,
                  help="Number of actions.")
    @click.option("--start", type=click.DateTime(["%Y-%m-%d"]),
                  help="Start date YYYY-MM-DD; each action is due weeks after it [default: today].")
    @click.option("--sla-hours", type=click.FloatRange(min=0, min_open=True),
                  help="Hours within which sales contacts a new MQL, for the SLA KPI baseline "
                       "[default: the stored setting, else 24].")
    @click.option("--replace", is_flag=True,
                  help="Replace a stored plan (deletes its progress updates).")
    @click.option("--json", "as_json", is_flag=True, help="Print the stored plan as JSON.")
    @kit.anonymity_option
    @kit.workspace_option
    def build(company: str, wave: str, top: int, start: Any, sla_hours: float | None,
              replace: bool, as_json: bool, anonymity_min: int, workspace: Path | None) -> None:
        """Rank the playbook's tactics against a wave's gaps and store the plan."""
        from alignkit.analysis.drivers import load_drivers
        from alignkit.analysis.wave import load_wave, score_wave
        from alignkit.exceptions import StoreError
        from alignkit.plan.actions import build_action_plan, require_no_plan, store_plan
        from alignkit.plan.scenarios import load_funnel_snapshot
        from alignkit.store.settings import load_settings

        ws = kit.workspace(workspace)
        sla_hours = sla_hours or load_settings(ws, company).sla_hours
        if not replace:
            require_no_plan(ws, company)  # refuse before any scoring work
        scores = score_wave(load_wave(company, wave, workspace=ws), anonymity_min=anonymity_min)
        baselines = load_funnel_snapshot(ws, company, sla_hours=sla_hours).kpi_baselines()
        drafted = build_action_plan(scores, start=start.date() if start else date.today(),
                                    top=top, kpi_baselines=baselines,
                                    drivers=load_drivers(company, wave, workspace=ws,
                                                         anonymity_min=anonymity_min, resamples=0))
        if drafted.empty:
            raise StoreError(f"wave '{wave}' of '{company}' shows no gap to act on (or too few "
                             "respondents to show any); nothing stored")
        stored = store_plan(ws, company, drafted, replace=replace)
        if as_json:
            kit.print_json({"company": company, "actions": _records(
                stored, [c for c in _SHOW_COLUMNS if c in stored])})
            return
        click.echo(f"stored {len(stored)} actions for {company}; name their owners with "
                   f"`alignkit plan edit ID --company {company} --sales-owner NAME "
                   "--marketing-owner NAME`")


def _add_show(plan: click.Group, kit: _Kit) -> None:
    @plan.command("show")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--wave", default="baseline", show_default=True,
                  help="Survey wave whose gaps explain the ranking.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @kit.anonymity_option
    @kit.workspace_option
    def show(company: str, wave: str, as_json: bool, anonymity_min: int,
             workspace: Path | None) -> None:
        """Show the stored action plan in priority order."""
        stored = _stored_plan(kit.workspace(workspace), company, wave, anonymity_min)
        if as_json:
            kit.print_json({"company": company, "actions": _records(stored, _SHOW_COLUMNS)})
            return
        _echo_plan(stored)


def _target_value(ws: Any, company: str, action_id: int, text: str) -> float:
    """Read --target in the unit of the action's KPI (a share or a count)."""
    from alignkit.catalog.playbook import Kpi, load_playbook
    from alignkit.store.actions import load_actions

    actions = load_actions(ws, company)
    kpi_ids = actions.loc[actions["id"] == action_id, "kpi"].dropna()
    kpis = {k.id: k for k in load_playbook().kpis}
    kpi = kpis.get(kpi_ids.iloc[0]) if len(kpi_ids) else None
    return (kpi or Kpi("kpi", "the KPI", "count", "higher", "tracker", 0)).parse(text)


def _add_edit(plan: click.Group, kit: _Kit) -> None:
    @plan.command("edit")
    @click.argument("action_id", metavar="ID", type=int)
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--sales-owner", help="Point person in sales.")
    @click.option("--marketing-owner", help="Point person in marketing.")
    @click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="Due date YYYY-MM-DD.")
    @click.option("--target", help="KPI target, e.g. 90% for a share or 4 for a count.")
    @click.option("--json", "as_json", is_flag=True, help="Print the changed action as JSON.")
    @kit.workspace_option
    def edit(action_id: int, company: str, sales_owner: str | None, marketing_owner: str | None,
             due: Any, target: str | None, as_json: bool, workspace: Path | None) -> None:
        """Name the owners of action ID, or change its due date or KPI target."""
        from alignkit.plan.actions import edit_action

        ws = kit.workspace(workspace)
        value = None if target is None else _target_value(ws, company, action_id, target)
        row = edit_action(ws, company, action_id, sales_owner=sales_owner,
                          marketing_owner=marketing_owner, due=due.date() if due else None,
                          target=value)
        if as_json:
            kit.print_json({c: _plain(row[c]) for c in _SHOW_COLUMNS if c in row})
            return
        click.echo(f"updated action {action_id}: {row['title']}")


def _add_export(plan: click.Group, kit: _Kit) -> None:
    @plan.command("export")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Workbook to write, e.g. plan.xlsx.")
    @click.option("--wave", default="baseline", show_default=True,
                  help="Survey wave whose gaps explain the ranking.")
    @_goal_options
    @kit.anonymity_option
    @kit.workspace_option
    def export(company: str, out: Path, wave: str, anonymity_min: int, workspace: Path | None,
               **opts: Any) -> None:
        """Write the plan and the SLA as an Excel workbook for the client."""
        from alignkit.exceptions import StoreError
        from alignkit.plan.actions import export_xlsx
        from alignkit.track.summary import load_engagement

        engagement = load_engagement(company, wave, workspace=kit.workspace(workspace),
                                     anonymity_min=anonymity_min, overrides=_overrides(opts),
                                     growth=opts["growth"])
        if engagement.plan.attrs.get("source") != "stored":
            raise StoreError(f"company '{company}' has no action plan yet; build one with "
                             f"`alignkit plan build --company {company}`")
        _say_notes(engagement.notes)
        path = export_xlsx(engagement.plan_with_kpis(), engagement.agreement, out,
                           company=engagement.company.name, currency=engagement.currency)
        click.echo(f"wrote {path} (SLA: {engagement.agreement.needed('mql')} MQLs a month)")


def _sla_json(agreement: Any, origin: dict[str, str]) -> dict[str, Any]:
    goal = agreement.goal
    return {
        "goal": {"amount": goal.amount, "period": goal.period,
                 "marketing_share": goal.marketing_share, "deal_size": goal.deal_size,
                 "origin": origin},
        "rates": {f"{a}_to_{b}": r for a, b, r in agreement.rates.steps()},
        "measured_rates": sorted(agreement.rates.measured),
        "needed": _records(agreement.volumes, ["stage", "per_month", "per_week", "commit_month",
                                               "commit_week"]),
        "sales": vars(agreement.sales),
    }


def _add_sla(plan: click.Group, kit: _Kit) -> None:
    @plan.command("sla")
    @click.option("--company", help="Registered company slug, to use its measured funnel.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @_goal_options
    @kit.workspace_option
    def sla(company: str | None, as_json: bool, workspace: Path | None, **opts: Any) -> None:
        """Work out the leads each side owes for a revenue goal (HubSpot-style arithmetic)."""
        ws = kit.workspace(workspace) if company else None
        if ws is not None:
            ws.company(company)
        agreement, origin = _agreement(ws, company, opts)
        if as_json:
            kit.print_json(_sla_json(agreement, origin))
            return
        for rec in agreement.volumes.itertuples(index=False):
            click.echo(f"{rec.label:<36} {rec.commit_month:>7,} a month {rec.commit_week:>6,} a week")
        sales = agreement.sales
        click.echo(f"sales: first contact within {sales.first_touch_hours:g} h, "
                   f"{sales.attempts} attempts over {sales.follow_up_days} days")


def _add_tactics(plan: click.Group, kit: _Kit) -> None:
    @plan.command("tactics")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def tactics(as_json: bool) -> None:
        """List the playbook's tactics with the dimensions they move."""
        from alignkit.catalog.playbook import load_playbook

        book = load_playbook()
        if as_json:
            kit.print_json(book.to_json())
            return
        for tactic in book.tactics:
            click.echo(f"{tactic.id:<26} effort {tactic.effort} impact {tactic.impact} "
                       f"{tactic.weeks_to_impact:>2} wk  {tactic.name} "
                       f"[{', '.join(tactic.dimensions)}]")
