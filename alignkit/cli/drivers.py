"""``alignkit drivers``: which dimensions matter most for the outcome statement.

A thin shell over :func:`alignkit.analysis.drivers.load_drivers`.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add ``drivers`` to ``main``."""
    from alignkit.cli import options as cli

    @main.command("drivers")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--wave", default="baseline", show_default=True, help="Survey wave.")
    @click.option("--resamples", type=click.IntRange(min=0), default=100, show_default=True,
                  help="Bootstrap resamples behind each interval (0: no intervals).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @cli.anonymity_option
    @cli.workspace_option
    def drivers(company: str, wave: str, resamples: int, as_json: bool, anonymity_min: int,
                workspace: Path | None) -> None:
        """Relative importance of each dimension for "we work as one team" (general dominance)."""
        from alignkit.analysis.drivers import load_drivers

        view = load_drivers(company, wave, workspace=cli.open_workspace(workspace),
                            anonymity_min=anonymity_min, resamples=resamples)
        if as_json:
            cli.print_json(view.to_json())
            return
        if not view.available:
            click.echo(f"no driver view: {view.reason}")
            return
        pool = f", pool of {view.companies} companies" if view.source == "portfolio" else ""
        click.echo(f"{view.method}: n={view.n}, R²={view.r2:.2f} ({view.source}{pool})")
        for row in view.table.itertuples():
            click.echo(f"  {row.dimension_name:<40} {row.importance:6.3f} "
                       f"[{row.ci_low:6.3f}, {row.ci_high:6.3f}]  score {row.score:4.2f}  "
                       f"{row.quadrant}")
        click.echo(f"quadrants split {view.split}")
