"""``alignkit action …`` and ``alignkit kpi …``: track the plan and the agreed KPIs.

A thin shell over :mod:`alignkit.track.actions`, :mod:`alignkit.intake.action_updates`,
:mod:`alignkit.store.kpis` and :mod:`alignkit.track.kpis`. The CLI is the boundary
where "today" is read: ``--on`` and ``--as-of`` default to it.
Errors are turned into one line by the ``alignkit`` group these groups join.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from alignkit.cli.options import open_workspace, print_json, workspace_option

__all__ = ["action", "kpi", "register"]

_DAY = click.DateTime(formats=["%Y-%m-%d"])
_company = click.option("--company", required=True, help="Registered company slug.")
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _ws(path: Path | None) -> Any:
    return open_workspace(path)


def _echo_json(payload: Any) -> None:
    print_json(payload)


def _plain(value: Any) -> Any:
    """JSON-safe cell: NaN/NaT as null, days as ISO dates, numpy numbers as Python."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    return value.item() if hasattr(value, "item") else value


def _records(frame: Any, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _plain(row[c]) for c in columns} for _, row in frame.iterrows()]


# -- action -------------------------------------------------------------------------------
@click.group()
def action() -> None:
    """Track the joint action plan: list actions, record status updates."""


@action.command("list")
@_company
@click.option("--as-of", type=_DAY, help="Day the status is read for [default: today].")
@_json
@workspace_option
def action_list(company: str, as_of: Any, as_json: bool, workspace: Path | None) -> None:
    """List a company's actions with their status, progress and whether they are late."""
    from alignkit.store.actions import load_action_updates, load_actions
    from alignkit.track.actions import STATUS_LABELS, action_status

    ws, day = _ws(workspace), as_of.date() if as_of else date.today()
    status = action_status(load_actions(ws, company), load_action_updates(ws, company), as_of=day)
    if as_json:
        _echo_json({"company": company, "as_of": day.isoformat(), "actions": _records(status, [
            "id", "title", "tactic", "dimension", "sales_owner", "marketing_owner", "due", "kpi",
            "status", "progress", "last_update", "overdue", "days_overdue"])})
        return
    if status.empty:
        click.echo(f"company '{company}' has no actions yet; the Plan stage stores them")
    for r in status.itertuples():
        late = f"  {r.days_overdue} days late" if r.overdue else ""
        due = "no due date" if _plain(r.due) is None else f"due {r.due:%Y-%m-%d}"
        click.echo(f"{r.id:>4}  {STATUS_LABELS[r.status]:<12} {due:<15} {r.title}{late}")


@action.command("update")
@click.argument("action_id", type=int)
@_company
@click.option("--status", required=True,
              type=click.Choice(["planned", "in_progress", "done", "dropped"]),
              help="The action's status from this day on.")
@click.option("--progress", type=click.FloatRange(0, 1), help="Share done, 0 to 1 (e.g. 0.4).")
@click.option("--note", help="A short note, e.g. what is holding it up.")
@click.option("--on", "on", type=_DAY, help="Day of the update, YYYY-MM-DD [default: today].")
@workspace_option
def action_update(action_id: int, company: str, status: str, progress: float | None,
                  note: str | None, on: Any, workspace: Path | None) -> None:
    """Record a status update of action ACTION_ID (see `alignkit action list`)."""
    import pandas as pd

    from alignkit.exceptions import StoreError
    from alignkit.intake.action_updates import UPDATE_COLUMNS, store_action_updates
    from alignkit.store.actions import load_actions

    ws = _ws(workspace)
    if action_id not in set(load_actions(ws, company)["id"].astype(int)):
        raise StoreError(f"company '{company}' has no action {action_id}; see "
                         f"`alignkit action list --company {company}`")
    if status == "done" and progress is not None and progress < 1:
        raise StoreError(f"a done action has progress 1, not {progress:g}; leave out "
                         "--progress or use --status in_progress")
    day = on.date() if on else date.today()
    row = (action_id, status, progress, note or None, day)
    added = store_action_updates(ws, company, pd.DataFrame([row], columns=UPDATE_COLUMNS))
    click.echo(f"action {action_id}: {status} on {day.isoformat()}"
               + ("" if added else " (already recorded; nothing changed)"))


@action.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_company
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@workspace_option
def action_import(file: Path, company: str, as_json: bool, workspace: Path | None) -> None:
    """Import status updates from FILE (CSV or XLSX) in one transaction.

    Columns: action_id,status,updated_on and optionally progress,note.
    """
    from alignkit.intake.action_updates import import_action_updates

    done = import_action_updates(file, company=company, workspace=_ws(workspace))
    if as_json:
        _echo_json(vars(done))
        return
    click.echo(f"{done.file}: {done.rows} updates, {done.added} new, "
               f"{done.unchanged} already recorded")


# -- kpi -----------------------------------------------------------------------------------
@click.group()
def kpi() -> None:
    """Record the agreed KPIs over time and compare them with their targets."""


@kpi.command("add")
@_company
@click.option("--kpi", "name", required=True,
              help='KPI id or name, e.g. first_touch_within_sla or "SLA compliance".')
@click.option("--on", "on", type=_DAY, required=True, help="Day observed, YYYY-MM-DD.")
@click.option("--value", type=float, required=True,
              help="The figure; shares as fractions (0.82 for 82%).")
@click.option("--target", type=float, help="The agreed target, in the unit of --value.")
@click.option("--replace", is_flag=True, help="Overwrite a different figure on that day.")
@workspace_option
def kpi_add(company: str, name: str, on: Any, value: float, target: float | None,
            replace: bool, workspace: Path | None) -> None:
    """Record one KPI observation."""
    from alignkit.catalog.kpis import kpi_id
    from alignkit.store.kpis import record_kpi

    outcome = record_kpi(_ws(workspace), company, name, on.date(), value, target,
                         replace=replace)
    click.echo(f"{kpi_id(name)} on {on:%Y-%m-%d}: {outcome}")


@kpi.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_company
@click.option("--replace", is_flag=True, help="Overwrite different figures already stored.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@workspace_option
def kpi_import(file: Path, company: str, replace: bool, as_json: bool,
               workspace: Path | None) -> None:
    """Import KPI observations from FILE (CSV or XLSX) in one transaction.

    Columns: kpi,observed_on,value and optionally target.
    """
    from alignkit.intake.kpis import import_kpis

    done = import_kpis(file, company=company, workspace=_ws(workspace), replace=replace)
    if as_json:
        _echo_json(vars(done))
        return
    click.echo(f"{done.file}: {done.rows} observations, {done.added} new, "
               f"{done.replaced} replaced, {done.unchanged} already recorded")


@kpi.command("list")
@_company
@_json
@workspace_option
def kpi_list(company: str, as_json: bool, workspace: Path | None) -> None:
    """Show each KPI's first and latest figure against its target."""
    from alignkit.catalog.kpis import format_kpi_value
    from alignkit.store.kpis import load_kpis
    from alignkit.track.kpis import STATUS_WORDS, kpi_summary

    summary = kpi_summary(load_kpis(_ws(workspace), company))
    if as_json:
        _echo_json({"company": company, "kpis": _records(summary, list(summary.columns))})
        return
    if summary.empty:
        click.echo(f"no KPI observations for '{company}'; add them with `alignkit kpi add`")
    for r in summary.itertuples():
        figures = " → ".join(format_kpi_value(r.kpi, v) for v in (r.first, r.latest))
        click.echo(f"{r.kpi:<26} {figures:<14} target {format_kpi_value(r.kpi, r.target):<6} "
                   f"{STATUS_WORDS[r.status]}")


@kpi.command("catalogue")
@_json
def kpi_catalogue_cmd(as_json: bool) -> None:
    """List the KPIs the playbook defines (ids accepted by --kpi)."""
    from alignkit.catalog.kpis import kpi_catalogue

    entries = [vars(k) for k in kpi_catalogue().values()]
    if as_json:
        _echo_json(entries)
        return
    for k in entries:
        unit = "share 0-1" if k["unit"] == "share" else "count"
        click.echo(f"{k['id']:<28} {unit:<10} {k['label']}")


def register(main: click.Group) -> None:
    """Add the ``action`` and ``kpi`` command groups to ``main``."""
    main.add_command(action)
    main.add_command(kpi)
