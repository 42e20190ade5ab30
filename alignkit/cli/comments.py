"""``alignkit comments``: the themes of a wave's survey comments, with counts, lean and quotes.

A thin shell over :mod:`alignkit.analysis.comments`: the comments come from the
scored wave (only those the disclosure rules allow), and the names of the
company's action owners are masked with the common first names.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add ``comments`` to ``main``."""
    from alignkit.cli import options as cli

    @main.command("comments")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--wave", default="baseline", show_default=True, help="Survey wave.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @cli.anonymity_option
    @cli.workspace_option
    def comments(company: str, wave: str, as_json: bool, anonymity_min: int,
                 workspace: Path | None) -> None:
        """Group the comments of a wave into themes tied to the dimensions they are about."""
        from alignkit.analysis.comments import wave_comment_themes
        from alignkit.analysis.wave import load_wave, score_wave
        from alignkit.store.actions import load_actions

        ws = cli.open_workspace(workspace)
        data = load_wave(company, wave, workspace=ws)
        scores = score_wave(data, anonymity_min=anonymity_min)
        actions = load_actions(ws, company)
        owners = [*actions["sales_owner"].dropna(), *actions["marketing_owner"].dropna()]
        result = wave_comment_themes(
            scores, {d.id: d.name for d in data.instrument.dimensions}, names=owners)
        if as_json:
            cli.print_json({"company": company, "wave": wave, **result.to_json()})
            return
        if not result.themes:
            click.echo(f"No comments can be themed: only teams of at least {result.min_group} "
                       "respondents give comments.")
            return
        for theme in result.themes:
            dims = f" [{', '.join(theme.dimensions)}]" if theme.dimensions else ""
            click.echo(f"{theme.label}{dims}: {theme.count} comment"
                       f"{'s' * (theme.count != 1)}, {theme.lean}")
            for team, quote in theme.quotes:
                click.echo(f"  \"{quote}\" ({team})")
        if result.withheld:
            click.echo(f"{result.withheld} comments of teams smaller than {result.min_group} "
                       "are not shown.")
