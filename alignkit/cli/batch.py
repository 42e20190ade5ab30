"""``alignkit batch``: render every company x stage, in parallel, with a summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from alignkit.catalog.stages import STAGES


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _check_stages(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
    stages = _split(value)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise click.BadParameter(f"unknown stage {', '.join(unknown)}; choose from "
                                 f"{', '.join(STAGES)}", ctx, param)
    return stages


def _check_formats(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    from alignkit.report.formats import output_formats

    formats, known = _split(value), output_formats()
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise click.BadParameter(f"choose from {', '.join(known)} (comma-separated)", ctx, param)
    return formats


class ConsoleReporter:
    """Progress on stderr: a live bar on a terminal, one line per report otherwise."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int, skipped: int) -> None:
        """Begin: ``skipped`` of ``total`` reports are already up to date."""
        if skipped:
            self.console.print(f"{skipped} of {total} reports unchanged since the last run: skipped")
        if self.console.is_terminal and total > skipped:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._task = self._progress.add_task("starting workers", total=total - skipped)
            self._progress.start()

    def running(self, jobs: Sequence[Any]) -> None:
        """Show the companies and stages being rendered now."""
        if self._progress is not None:
            shown = ", ".join(f"{j.company} · {j.stage}" for j in jobs[:3])
            more = f" (+{len(jobs) - 3})" if len(jobs) > 3 else ""
            self._progress.update(self._task, description=f"rendering {shown}{more}")

    def finished(self, entry: Any) -> None:
        """Count one report as done."""
        if self._progress is not None:
            self._progress.advance(self._task)
        else:
            mark = "ok" if entry.status == "ok" else "FAILED"
            self.console.print(f"{mark:<6} {entry.company} · {entry.stage}  {entry.seconds:.1f} s",
                               highlight=False)

    def close(self) -> None:
        """Remove the live bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _summary(result: Any, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"alignkit batch: {result.counts.get('ok', 0)} rendered, "
                        f"{result.counts.get('skipped', 0)} unchanged, "
                        f"{result.counts.get('failed', 0)} failed in {result.seconds:.1f} s "
                        f"({result.workers} workers, {result.scheduler or 'local'})")
    for column in ("company", "stage", "status", "seconds", "error"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    styles = {"ok": "green", "skipped": "dim", "failed": "bold red"}
    order = {stage: i for i, stage in enumerate(STAGES)}  # then the deck and the one-pager
    for e in sorted(result.entries, key=lambda e: (e.company, order.get(e.stage, len(order)), e.stage)):
        error = f"{e.error_name}: {e.error_message}" if e.error_name else ""
        table.add_row(e.company, e.stage, f"[{styles[e.status]}]{e.status}[/]",
                      f"{e.seconds:.1f}" if e.status != "skipped" else "", error)
    console.print(table)
    console.print(f"manifest: {result.manifest}\nportfolio: {result.indexes[-1]}", highlight=False)


def register(main: click.Group) -> None:
    """Add the batch commands to ``main``."""
    from alignkit.cli.options import anonymity_option, workspace_option

    @main.command("batch")
    @click.option("--companies", help="Comma-separated company slugs [default: all].")
    @click.option("--all", "all_companies", is_flag=True, help="Every registered company (the default).")
    @click.option("--stages", callback=_check_stages,
                  help=f"Comma-separated stages out of {','.join(STAGES)} "
                       "[default: every stage whose notebook exists].")
    @click.option("--workers", type=click.IntRange(min=1),
                  help="Reports whose cells run at once; with cores to spare, a report's page is "
                       "written while the next one runs [default: the number of cores].")
    @click.option("--format", "formats", default="html", show_default=True, callback=_check_formats,
                  help="Comma-separated, per stage report: html, pdf (printed by the system "
                       "Chromium); once per company: pptx (editable steering deck, deck.pptx), "
                       "onepager (executive summary, summary.html), onepager-pdf (the same on "
                       "one A4 page, summary.pdf).")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                  help="Output folder [default: <workspace>/reports].")
    @click.option("--force", is_flag=True, help="Render even the reports whose inputs are unchanged.")
    @click.option("--scheduler", metavar="ADDRESS",
                  help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
    @click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True,
                  help="Seconds one report may take; it is tried once more, then marked failed.")
    @click.option("--wave", default="baseline", show_default=True, help="Baseline survey wave.")
    @click.option("--brand", "brand_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="branding.json with name, accent colour and logo [default: alignkit's].")
    @click.option("--no-fork", is_flag=True,
                  help="Start every kernel as a new Python process instead of forking a warm one.")
    @click.option("--as-of", default="", help="Read every report as of this day, YYYY-MM-DD "
                                              "[default: each company's stored report date, "
                                              "else today].")
    @click.option("--json", "as_json", is_flag=True, help="Print this run's entries as JSON.")
    @anonymity_option
    @workspace_option
    def batch(companies: str | None, all_companies: bool, stages: list[str], workers: int | None,
              formats: list[str], out: Path | None, force: bool, scheduler: str | None,
              timeout: float, wave: str, brand_file: Path | None, no_fork: bool, as_of: str,
              as_json: bool, anonymity_min: int, workspace: Path | None) -> None:
        """Render every company x stage as HTML (and PDF), with indexes and a manifest.

        Per-company formats (pptx, onepager, onepager-pdf) are built once per
        company from its engagement over the chosen stages, after the reports.

        Reports run in parallel, each in a kernel of its own. A report whose
        notebook, parameters, data and alignkit version are unchanged since its
        last good render is skipped. One failing report never stops the others:
        it is listed in manifest.json and the exit status is 1.
        """
        from alignkit.factory.batch import render_batch

        if companies and all_companies:
            raise click.UsageError("give either --companies or --all, not both")
        reporter = ConsoleReporter()
        result = render_batch(
            workspace, out_dir=out, companies=_split(companies) or None, stages=stages or None,
            workers=workers, formats=formats, force=force, scheduler=scheduler, timeout=timeout,
            wave=wave, anonymity_min=anonymity_min, brand_file=brand_file, fork=not no_fork,
            reporter=reporter, as_of=as_of)
        if as_json:
            click.echo(json.dumps({"run": {"seconds": round(result.seconds, 3), **result.counts},
                                   "reports": [e.to_json() for e in result.entries]}, indent=2))
        else:
            _summary(result, reporter.console)
        if not result.ok:
            click.echo(f"error: {result.counts['failed']} report(s) failed; see {result.manifest}",
                       err=True)
            raise SystemExit(1)
