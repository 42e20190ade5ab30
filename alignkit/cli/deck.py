"""``alignkit deck`` and ``alignkit onepager``: the steering deck and the executive one-pager.

Thin shells over :mod:`alignkit.report.deck` and :mod:`alignkit.report.onepager`,
through the company formats of :mod:`alignkit.report.formats`.
"""

from __future__ import annotations

from pathlib import Path

import click

from alignkit.cli.batch import _check_stages

__all__ = ["register"]


def _context(company: str, stages: list[str], wave: str, followup_wave: str, as_of: str,
             brand_file: Path | None, template: Path | None, anonymity_min: int,
             workspace: Path | None) -> object:
    from alignkit.catalog.stages import STAGES
    from alignkit.cli import options as cli
    from alignkit.report.branding import load_brand
    from alignkit.report.formats import CompanyContext

    ws = cli.open_workspace(workspace)
    ws.company(company)  # an unknown company: one clear line before anything is built
    return CompanyContext(ws, company, tuple(stages or STAGES), wave=wave,
                          followup_wave=followup_wave, as_of=as_of, anonymity_min=anonymity_min,
                          brand=load_brand(brand_file), template=template)


def _write(context: object, name: str, out: Path | None) -> Path:
    from alignkit.report.formats import output_format
    from alignkit.report.render import write_atomic

    fmt = output_format(name)
    target = out or context.workspace.reports_dir / context.company / fmt.file_name  # type: ignore[attr-defined]
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, fmt.build(context))  # type: ignore[misc, arg-type]
    return target


def _common(function: object) -> object:
    from alignkit.cli import options as cli

    for option in reversed([
        click.option("--company", required=True, help="Registered company slug."),
        click.option("--stages", callback=_check_stages,
                     help="Comma-separated stages out of identify,plan,execute,recap "
                          "[default: all four]."),
        click.option("--wave", default="baseline", show_default=True, help="Baseline survey wave."),
        click.option("--followup-wave", default="followup", show_default=True,
                     help="Follow-up survey wave (recap)."),
        click.option("--as-of", default="", help="Read every figure as of this day, YYYY-MM-DD "
                                                 "[default: the stored report date, else today]."),
        click.option("--brand", "brand_file",
                     type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="branding.json with name, accent colour and logo [default: alignkit's]."),
        cli.anonymity_option,
        cli.workspace_option,
    ]):
        function = option(function)  # type: ignore[operator]
    return function


def register(main: click.Group) -> None:
    """Add ``deck`` and ``onepager`` to ``main``."""

    @main.command("deck")
    @click.option("--template", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="A client's PowerPoint file whose masters and layouts the deck uses "
                       "(its own slides are left out).")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="The .pptx to write [default: <workspace>/reports/<company>/deck.pptx].")
    @_common
    def deck(company: str, stages: list[str], wave: str, followup_wave: str, as_of: str,
             brand_file: Path | None, template: Path | None, out: Path | None,
             anonymity_min: int, workspace: Path | None) -> None:
        """Write an editable PowerPoint steering deck for one company.

        Native charts (their data in the embedded sheet) and tables, the
        narrative in the speaker notes, the figures of the stage reports.
        """
        context = _context(company, stages, wave, followup_wave, as_of, brand_file, template,
                           anonymity_min, workspace)
        click.echo(f"deck: {_write(context, 'pptx', out)}")

    @main.command("onepager")
    @click.option("--pdf", is_flag=True, help="Print it on one A4 page (system Chromium) "
                                              "instead of writing HTML.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="The file to write [default: <workspace>/reports/<company>/summary.html "
                       "or .pdf].")
    @_common
    def onepager(company: str, stages: list[str], wave: str, followup_wave: str, as_of: str,
                 brand_file: Path | None, pdf: bool, out: Path | None, anonymity_min: int,
                 workspace: Path | None) -> None:
        """Write the executive one-pager of one company: index, findings, actions, SLA, next date."""
        context = _context(company, stages, wave, followup_wave, as_of, brand_file, None,
                           anonymity_min, workspace)
        click.echo(f"one-pager: {_write(context, 'onepager-pdf' if pdf else 'onepager', out)}")
