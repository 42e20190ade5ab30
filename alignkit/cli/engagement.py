"""``alignkit company set/show`` and ``alignkit summary``: the engagement's settings and figures.

A thin shell over :mod:`alignkit.store.settings` and :mod:`alignkit.track.summary`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add ``company set``, ``company show`` and ``summary`` to ``main``."""
    from alignkit.cli import options as cli
    company = main.commands["company"]
    assert isinstance(company, click.Group)  # defined in alignkit.cli.app

    @company.command("set")
    @click.argument("slug")
    @click.option("--revenue-goal", help="New revenue to win per period (\"\" to unset).")
    @click.option("--period", type=click.Choice(["month", "quarter", "year"]),
                  help="Period the revenue goal is for.")
    @click.option("--currency", help="ISO currency code of every amount, e.g. EUR, USD, GBP.")
    @click.option("--avg-deal", help="Average won deal, when the CRM gives none (\"\" to unset).")
    @click.option("--marketing-share",
                  help="Share of the goal from marketing-sourced deals, e.g. 0.6 (\"\" to unset).")
    @click.option("--sla-hours", help="Hours within which sales contacts a new MQL.")
    @click.option("--attempts", help="Contact attempts sales makes before returning a lead.")
    @click.option("--follow-up-days", help="Days over which sales makes those attempts.")
    @click.option("--report-date", help="Day reports are read for, YYYY-MM-DD (\"\" for the "
                                        "render day).")
    @cli.workspace_option
    def company_set(slug: str, workspace: Path | None, **changes: Any) -> None:
        """Store the engagement settings of company SLUG (every report and export reads them)."""
        from alignkit.store.settings import save_settings, settings_lines

        given = {k: v for k, v in changes.items() if v is not None}
        if not given:
            raise click.UsageError("give at least one setting, e.g. --revenue-goal 2400000")
        settings = save_settings(cli.open_workspace(workspace), slug, **given)
        click.echo(f"stored {', '.join(k.replace('_', '-') for k in given)} for {slug}")
        for label, value in settings_lines(settings):
            click.echo(f"  {label:<28} {value}")

    @company.command("show")
    @click.argument("slug")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @cli.workspace_option
    def company_show(slug: str, as_json: bool, workspace: Path | None) -> None:
        """Show company SLUG with its engagement settings."""
        from alignkit.store.settings import load_settings, settings_lines

        ws = cli.open_workspace(workspace)
        info = ws.company(slug)
        settings = load_settings(ws, slug)
        if as_json:
            cli.print_json({"slug": info.slug, "name": info.name, "industry": info.industry,
                             "waves": ws.waves(slug), "settings": settings.to_json()})
            return
        click.echo(f"{info.name} ({info.slug}){f', {info.industry}' if info.industry else ''}")
        click.echo(f"  {'Survey waves':<28} {', '.join(ws.waves(slug)) or '-'}")
        for label, value in settings_lines(settings):
            click.echo(f"  {label:<28} {value}")

    @main.command("summary")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--wave", default="baseline", show_default=True, help="Baseline survey wave.")
    @click.option("--as-of", help="Read every figure as of this day, YYYY-MM-DD "
                                  "[default: the stored report date, else today].")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @cli.anonymity_option
    @cli.workspace_option
    def summary(company: str, wave: str, as_of: str | None, as_json: bool, anonymity_min: int,
                workspace: Path | None) -> None:
        """The engagement's key figures: index, maturity, SLA, actions and KPIs."""
        from alignkit.track.summary import load_engagement, summary_text

        engagement = load_engagement(company, wave, workspace=cli.open_workspace(workspace),
                                     as_of=as_of, anonymity_min=anonymity_min)
        if as_json:
            cli.print_json(engagement.to_json())
            return
        click.echo(summary_text(engagement))
