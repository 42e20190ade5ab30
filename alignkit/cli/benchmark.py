"""``alignkit benchmark build/show``: where a client stands among the portfolio.

A thin shell over :mod:`alignkit.analysis.benchmarks` and :mod:`alignkit.store.benchmark`.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add the ``benchmark`` group with ``build`` and ``show`` to ``main``."""
    from alignkit.cli import options as cli

    @main.group("benchmark", cls=cli.Group)
    def benchmark() -> None:
        """Percentiles of every client's latest survey, and one client among them."""

    @benchmark.command("build")
    # The least (5) is checked by the library, so that --help starts without pandas.
    @click.option("--min-companies", type=int, default=None,
                  help="Companies every published figure needs [default and least: 5].")
    @cli.workspace_option
    def build(min_companies: int | None, workspace: Path | None) -> None:
        """Compute the workspace's benchmark from each company's latest wave and store it."""
        from alignkit.analysis.benchmarks import MIN_COMPANIES, build_benchmark, pool_workspace
        from alignkit.catalog.instrument import load_instrument
        from alignkit.store.benchmark import save_benchmark

        ws = cli.open_workspace(workspace)
        inst = load_instrument()
        result = build_benchmark(pool_workspace(ws, instrument=inst), inst,
                                 min_companies=MIN_COMPANIES if min_companies is None
                                 else min_companies)
        path = save_benchmark(ws, result.to_json())
        click.echo(f"stored the benchmark of {result.companies} companies "
                   f"({len(result.figures)} figures) in {path.name}")
        if result.withheld:
            click.echo(f"  withheld, too few companies: {', '.join(result.withheld)}")

    @benchmark.command("show")
    @click.option("--company", required=True, help="Registered company slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @cli.workspace_option
    def show(company: str, as_json: bool, workspace: Path | None) -> None:
        """Show company SLUG's values and where each lies among the clients."""
        from alignkit.analysis.benchmarks import (
            Benchmark,
            BenchmarkError,
            company_position,
            company_values,
        )
        from alignkit.store.benchmark import load_benchmark

        ws = cli.open_workspace(workspace)
        info = ws.company(company)
        stored = load_benchmark(ws)
        if stored is None:
            raise BenchmarkError("no benchmark in this workspace; build one with "
                                 "`alignkit benchmark build`")
        result = Benchmark.from_json(stored)
        table = company_position(result, company_values(company, workspace=ws))
        rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                 for k, v in row.items()} for row in table.to_dict("records")]
        if as_json:
            cli.print_json({"company": info.slug, "clients": f"at least {result.min_companies}"
                            f" ({result.companies})", "figures": rows,
                            "withheld": list(result.withheld)})
            return
        click.echo(f"{info.name} among {result.companies} clients")
        for row in rows:
            value = "-" if row["value"] is None else f"{row['value']:.2f}"
            click.echo(f"  {row['label']:<32} {value:>7}  {row['position'] or 'no figure'}")
