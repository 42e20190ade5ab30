"""``alignkit import funnel`` and ``alignkit funnel show``: the CRM funnel from the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from alignkit.cli.options import print_json, workspace_option

__all__ = ["register"]



@click.command("funnel")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--company", required=True, help="Registered company slug.")
@click.option("--period", help='Period the file covers, e.g. "2024-Q3" (needed for stage '
                               "counts without a period column).")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--keep-raw", is_flag=True,
              help="Keep the workspace's copy of FILE unchanged [default: a lead export "
                   "without the columns the import does not read, such as contacts' e-mail, "
                   "name and phone].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@workspace_option
def import_funnel_cmd(file: Path, company: str, period: str | None, dry_run: bool,
                      keep_raw: bool, as_json: bool, workspace: Path | None) -> None:
    """Validate a CRM funnel export FILE and store it in one transaction.

    FILE is a lead-level export (one row per lead; HubSpot and Salesforce column
    names are recognised) or stage counts per period (Month, Leads, MQLs, SALs,
    SQLs, Opportunities, Won). Lead ids and owner names are stored as pseudonyms.
    The copy of a lead-level file kept in the workspace holds only the columns
    the import reads (no contact names, e-mail, phone or address columns) unless
    --keep-raw is given; FILE itself is never changed.
    """
    from alignkit.intake.crm import import_funnel
    from alignkit.store.workspace import Workspace

    result = import_funnel(file, company=company, workspace=Workspace(workspace),
                           period=period, dry_run=dry_run, keep_raw=keep_raw)
    if as_json:
        print_json(result.to_json())
        return
    kind = "lead-level" if result.kind == "leads" else "stage counts"
    click.echo(f"{result.file} ({result.source}, {kind}): {result.message}")
    if result.by_source:
        click.echo("  by source: " + ", ".join(f"{s} {n:,}" for s, n in result.by_source.items()))
    click.echo("  stages: " + ", ".join(f"{s} {n:,}" for s, n in result.stages.items()))
    for skip in result.skipped:
        click.echo(f"  skipped row {skip['row']}: {skip['reason']}")
    if result.unmapped:
        click.echo(f"  ignored columns (not stored): {', '.join(result.unmapped)}")
    for note in result.notes:
        click.echo(f"  note: {note}")


@click.group("funnel")
def funnel_group() -> None:
    """Look at a company's stored CRM funnel."""


@funnel_group.command("show")
@click.option("--company", required=True, help="Registered company slug.")
@click.option("--sla-hours", type=click.FloatRange(min=0, min_open=True),
              help="Agreed hours from hand-off to the first sales touch "
                   "[default: the company's stored setting, else 24].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@workspace_option
def funnel_show(company: str, sla_hours: float | None, as_json: bool,
                workspace: Path | None) -> None:
    """Stage counts, conversion, leakage and speed to lead of a company."""
    from alignkit.analysis.funnel import analyse_funnel
    from alignkit.store.funnel import load_funnel_counts, load_leads
    from alignkit.store.settings import load_settings, override
    from alignkit.store.workspace import Workspace

    ws = Workspace(workspace)
    settings, notes = override(load_settings(ws, company), sla_hours=sla_hours)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    sla_hours = settings.sla_hours
    funnel = analyse_funnel(load_leads(ws, company), load_funnel_counts(ws, company),
                            sla_hours=sla_hours)
    if as_json:
        print_json({"company": company, "basis": funnel.basis, "sla_hours": sla_hours,
                     **{name: _records(getattr(funnel, name))
                        for name in ("waterfall", "conversion", "leakage", "sourced", "speed")}})
        return
    if funnel.basis == "none":
        click.echo(f"no funnel data for {company}; import one with `alignkit import funnel FILE "
                   f"--company {company}`")
        return
    for row in funnel.conversion.itertuples():
        rate = "-" if row.rate != row.rate else f"{row.rate:.1%}"
        click.echo(f"{row.from_stage:>12} -> {row.to_stage:<12} {rate:>7}")
    for row in funnel.leakage.itertuples():
        if row.count is not None and row.count == row.count:
            click.echo(f"{row.label}: {row.count:,} of {row.base:,} ({row.share:.0%})")
    for row in funnel.speed[funnel.speed["breakdown"] != "owner_team"].itertuples():
        click.echo(f"speed to lead, {row.group}: {row.share_within_1h:.0%} within 1 h, "
                   f"{row.share_within_sla:.0%} within {sla_hours:g} h")


def _plain(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6)
    return value


def _records(frame: Any) -> list[dict[str, Any]]:
    plain = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in plain.to_dict("records")]


def register(main: click.Group) -> None:
    """Add ``import funnel`` to the ``import`` group and the ``funnel`` group to ``main``."""
    main.commands["import"].add_command(import_funnel_cmd)
    main.add_command(funnel_group)
