"""The ``alignkit`` command: a thin shell over the library.

Every user mistake ends as one line on stderr (``error: …``) and exit status
1; nothing here holds logic of its own. Heavy modules (papermill, nbconvert,
pandas) are imported inside the commands that need them so ``--help`` is quick.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from alignkit.cli.options import (
    Group,
    anonymity_option,
    open_workspace,
    print_json,
    workspace_option,
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="alignkit")
def main() -> None:
    """alignkit: assess and improve how sales and marketing work as one team.

    The cycle is identify -> plan -> execute -> recap. Register a client with
    `company add`, import its survey with `import survey`, then `score` it or
    render its `report`. `alignkit demo` builds a complete example workspace.
    """


# -- company ----------------------------------------------------------------
@main.group(cls=Group)
def company() -> None:
    """Register and list client companies."""


@company.command("add")
@click.argument("slug")
@click.option("--name", help='Display name, e.g. "Acme Corp" [default: from the slug].')
@click.option("--industry", help="Industry, for your own reference.")
@workspace_option
def company_add(slug: str, name: str | None, industry: str | None, workspace: Path | None) -> None:
    """Register a client company under SLUG (lower-case letters, digits, hyphens)."""
    ws = open_workspace(workspace)
    added = ws.add_company(slug, name, industry)
    click.echo(f"registered {added.slug} ({added.name}) in {ws.root}")


@company.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@workspace_option
def company_list(as_json: bool, workspace: Path | None) -> None:
    """List the registered companies and their survey waves."""
    ws = open_workspace(workspace)
    rows = [{"slug": c.slug, "name": c.name, "industry": c.industry, "waves": ws.waves(c.slug)}
            for c in ws.companies()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"no companies in {ws.root}; add one with `alignkit company add SLUG`")
    for row in rows:
        click.echo(f"{row['slug']:<28} {row['name']:<32} waves: {', '.join(row['waves']) or '-'}")


# -- instrument ---------------------------------------------------------------
@main.group(cls=Group)
def instrument() -> None:
    """Show the survey instrument or export a blank questionnaire."""


@instrument.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def instrument_show(as_json: bool) -> None:
    """Show the dimensions and statements of the survey."""
    from alignkit.catalog.instrument import load_instrument

    inst = load_instrument()
    if as_json:
        print_json(inst.to_json())
        return
    click.echo(f"{inst.title} (version {inst.version})")
    for dim in inst.dimensions:
        click.echo(f"\n{dim.name} [{dim.id}]")
        for item in dim.items:
            click.echo(f"  {item.id:<18} {item.text}")
    click.echo(f"\nOverall outcome\n  {inst.outcome.id:<18} {inst.outcome.text}")


@instrument.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "md", "html"]), required=True,
              help="csv/xlsx: blank response template; md/html: printable questionnaire.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
def instrument_export(fmt: str, out: Path) -> None:
    """Write the blank response template or the printable questionnaire."""
    from alignkit.catalog.instrument import load_instrument
    from alignkit.catalog.questionnaire import export_questionnaire

    path = export_questionnaire(load_instrument(), fmt, out)
    click.echo(f"wrote {path}")


# -- import -------------------------------------------------------------------
@main.group("import", cls=Group)
def import_() -> None:
    """Import survey responses and CRM funnel exports into the workspace."""


@import_.command("survey")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--company", required=True, help="Registered company slug.")
@click.option("--wave", required=True, help='Survey wave, e.g. "baseline" (created on first import).')
@click.option("--mapping", type=click.Path(path_type=Path),
              help="MAP.csv with columns column,item to map columns to items.")
@click.option("--source", type=click.Choice(
    ["qualtrics", "surveymonkey", "limesurvey", "typeform", "microsoft-forms", "google-forms",
     "alignkit"], case_sensitive=False), help="Force the export format instead of detecting it.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--keep-raw", is_flag=True,
              help="Keep the workspace's copy of FILE unchanged [default: without e-mail, name "
                   "and network-address columns].")
@click.option("--reopen", is_flag=True,
              help="Import into a wave whose figures were published even if old and new "
                   "figures could then be compared to single out the new respondents "
                   "(withdraw the earlier reports first).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@workspace_option
def import_survey_cmd(file: Path, company: str, wave: str, mapping: Path | None,
                      source: str | None, dry_run: bool, keep_raw: bool, reopen: bool,
                      as_json: bool, workspace: Path | None) -> None:
    """Validate a survey export FILE and store it in one transaction.

    FILE itself is only read. The copy kept in the workspace's raw/ folder
    leaves out the columns that name or locate a person (they only serve to
    spot repeated submissions) unless --keep-raw is given.
    """
    from alignkit.intake.survey import import_survey

    result = import_survey(file, company=company, wave=wave, workspace=open_workspace(workspace),
                           mapping=mapping, source=source, dry_run=dry_run, keep_raw=keep_raw,
                           reopen=reopen)
    if as_json:
        print_json(result.to_json())
        return
    teams = ", ".join(f"{t} {n}" for t, n in result.by_team.items())
    click.echo(f"{result.file} ({result.source}): {result.message}")
    click.echo(f"  respondents {result.respondents} ({teams}); skipped {len(result.skipped)}")
    for skip in result.skipped:
        click.echo(f"  skipped row {skip['row']}: {skip['reason']}")
    if result.unmapped:
        click.echo(f"  ignored columns (not survey items): {', '.join(result.unmapped)}")


# -- score and report -----------------------------------------------------------
@main.command()
@click.option("--company", required=True, help="Registered company slug.")
@click.option("--wave", default="baseline", show_default=True, help="Survey wave.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@anonymity_option
@workspace_option
def score(company: str, wave: str, as_json: bool, anonymity_min: int,
          workspace: Path | None) -> None:
    """Score a wave: dimensions, favourability, maturity, perception gaps."""
    from alignkit.analysis.wave import load_wave, score_wave

    scores = score_wave(load_wave(company, wave, workspace=open_workspace(workspace)),
                        anonymity_min=anonymity_min)
    payload = scores.to_json()
    if as_json:
        print_json({"company": company, "wave": wave, **payload})
        return
    for row in payload["index"]:
        click.echo(f"{row['group']:<12} n={row['n']:<4} index {row['index']:5.1f}  "
                   f"level {row['level']} {row['level_name']}")
    hidden = [r["group"] for r in scores.sizes.to_dict("records") if r["suppressed"]]
    if hidden:  # alignkit.analysis.disclosure says how many answers are left out, and why
        click.echo(scores.note or f"hidden (fewer than {anonymity_min} respondents): "
                                  f"{', '.join(hidden)}")


@main.command()
@click.option("--company", required=True, help="Registered company slug.")
@click.option("--stage", type=click.Choice(["identify", "plan", "execute", "recap"]),
              default="identify", show_default=True,
              help="Stage notebook to render.")
@click.option("--wave", default="baseline", show_default=True, help="Survey wave.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder [default: <workspace>/reports/<company>].")
@click.option("--timeout", type=click.IntRange(min=10), default=600, show_default=True,
              help="Seconds a cell may run before the report is abandoned.")
@click.option("--as-of", default="", help="Read every figure as of this day, YYYY-MM-DD "
                                          "[default: the stored report date, else today].")
@anonymity_option
@workspace_option
def report(company: str, stage: str, wave: str, out: Path | None, timeout: int, as_of: str,
           anonymity_min: int, workspace: Path | None) -> None:
    """Render a stage report for one company as self-contained HTML."""
    from alignkit.report.render import render_report

    ws = open_workspace(workspace)
    target = out or ws.reports_dir / company
    done = render_report(company, stage, target, workspace=ws.root, wave=wave,
                         anonymity_min=anonymity_min, timeout=timeout, as_of=as_of)
    click.echo(f"wrote {done.html}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Folder for the demo workspace.")
@click.option("--reports/--no-reports", default=True, show_default=True,
              help="Render every company's four stage reports, steering deck, one-page "
                   "summary and the index pages.")
def demo(out: Path, reports: bool) -> None:
    """Build a demo workspace with three fictional clients and render their reports.

    The folder must be new, empty or an earlier demo workspace: the demo never
    adds its fictional clients to a folder that holds anything else.
    """
    from alignkit.catalog.stages import STAGES
    from alignkit.demo import build_demo_workspace
    from alignkit.factory.batch import render_batch

    _refuse_non_demo_folder(out)
    ws = build_demo_workspace(out)
    click.echo(f"demo workspace: {ws.root}")
    if not reports:
        return
    # the four stage reports, and each company's steering deck and one-page summary
    result = render_batch(ws.root, formats=("html", "pptx", "onepager"))
    order = {name: k for k, name in enumerate(STAGES)}
    for entry in sorted(result.entries, key=lambda e: (e.company, order.get(e.stage, 99))):
        click.echo(f"  {entry.company:<22} {entry.stage:<9} {entry.status}")
    click.echo(f"reports in {ws.reports_dir}; open {result.indexes[-1]} in a browser")
    if not result.ok:
        raise click.ClickException("some reports failed; see manifest.json")


def _refuse_non_demo_folder(out: Path) -> None:
    """Stop unless ``out`` is missing, empty, or a workspace holding only the demo clients."""
    from alignkit.exceptions import StoreError

    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if out.is_dir() and _demo_companies_only(out / "alignkit.db"):
        return
    raise StoreError(f"{out} is not empty and is not a demo workspace; the demo adds three "
                     "fictional clients to the folder it is given: choose a new folder with --out")


def _demo_companies_only(database: Path) -> bool:
    """True when ``database`` is a workspace whose companies are all demo companies."""
    from alignkit.demo import DEMO_COMPANIES

    if not database.is_file():
        return False
    try:  # read-only: a client's workspace must not even be upgraded by looking at it
        con = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            slugs = {row[0] for row in con.execute("SELECT slug FROM companies")}
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(slugs) and slugs <= {c.slug for c in DEMO_COMPANIES}


def _register_areas() -> None:
    from alignkit.cli.commands import register_all

    register_all(main)


_register_areas()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
