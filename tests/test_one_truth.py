"""One engagement, one truth: every report, export and command states the same figures.

The four stage reports and the workbook of every demo company are rendered,
then read back as a client would read them, and compared with ``alignkit
summary --json``: action numbers and titles, the SLA's MQLs a month, and each
KPI's baseline, target and latest figure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from alignkit.catalog.kpis import format_kpi_value
from alignkit.cli.app import main
from alignkit.store.workspace import Workspace

COMPANIES = ("northwind-software", "bluepeak-logistics", "corvid-health")


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo workspace with every company's four reports rendered."""
    from alignkit.factory.batch import render_batch

    root = tmp_path_factory.mktemp("truth") / "ws"
    shutil.copytree(os.environ["ALIGNKIT_WORKSPACE"], root)
    result = render_batch(root, workers=2)
    assert result.ok, [e.error_message for e in result.entries if e.status == "failed"]
    return root


def _summary(root: Path, company: str) -> dict:
    return json.loads(_run("summary", "--company", company, "--json", "-w", str(root)))


def _page(root: Path, company: str, stage: str) -> BeautifulSoup:
    html = (root / "reports" / company / f"{stage}.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser")


def _tables(page: BeautifulSoup, first_header: str) -> list[list[dict[str, str]]]:
    """Every table whose first header cell is ``first_header``, as rows of header -> text."""
    found = []
    for table in page.find_all("table"):
        heads = [" ".join(th.get_text(" ").split()) for th in table.find_all("th")]
        if not heads or heads[0] != first_header:
            continue
        body = table.find("tbody") or table
        rows = []
        for tr in body.find_all("tr"):
            cells = [" ".join(td.get_text(" ").split()) for td in tr.find_all(["td", "th"])]
            if len(cells) == len(heads) and cells != heads:
                rows.append(dict(zip(heads, cells, strict=True)))
        found.append(rows)
    return found


def _actions_in(page: BeautifulSoup) -> dict[int, str]:
    tables = [t for t in _tables(page, "#") if t and "Action" in t[0]]
    assert tables, "no action table"
    return {int(r["#"]): r["Action"] for r in tables[0]}


def _kpi_rows(page: BeautifulSoup) -> dict[str, dict[str, str]]:
    tables = [t for t in _tables(page, "KPI") if t and "Baseline" in t[0]]
    assert tables, "no KPI table"
    return {r["KPI"]: r for r in tables[0]}


def _figure(text: str) -> str:
    """The figure of a table cell, without the date in brackets."""
    return text.split(" (")[0].strip()


@pytest.mark.parametrize("company", COMPANIES)
def test_every_report_and_the_workbook_tell_the_summary_figures(rendered: Path,
                                                                company: str) -> None:
    truth = _summary(rendered, company)
    actions = {a["id"]: a["title"] for a in truth["actions"]}
    assert sorted(actions) == list(range(1, len(actions) + 1))
    kpis = {k["id"]: k for k in truth["kpis"]}

    # Plan: numbers and titles, the KPI of each action from baseline to target, the SLA.
    plan = _page(rendered, company, "plan")
    assert _actions_in(plan) == actions
    for row in [t for t in _tables(plan, "#") if t and "KPI" in t[0]][0]:
        action = next(a for a in truth["actions"] if a["id"] == int(row["#"]))
        record = kpis[action["kpi"]]
        assert format_kpi_value(record["id"], record["target"]) in row["Today \u2192 target"]
        if record["baseline"] is not None:
            assert row["Today \u2192 target"].startswith(
                format_kpi_value(record["id"], record["baseline"]))
    mqls = truth["sla"]["mqls_per_month"]
    assert f"Deliver {mqls} MQLs a month" in " ".join(plan.get_text(" ").split())

    # Execute and Recap: the same actions, and every tracked KPI with the same figures.
    execute = _page(rendered, company, "execute")
    assert _actions_in(execute) == actions
    for stage in ("execute", "recap"):
        shown = _kpi_rows(_page(rendered, company, stage))
        assert set(shown) == {k["label"] for k in truth["kpis"]}, stage
        for record in truth["kpis"]:
            row = shown[record["label"]]
            for column, key in (("Baseline", "baseline"), ("Latest", "latest"),
                                ("Target", "target")):
                assert _figure(row[column]) == format_kpi_value(record["id"], record[key]), \
                    (stage, record["id"], column)

    # Identify quotes the CRM baselines of the hand-off KPIs.
    identify = " ".join(_page(rendered, company, "identify").get_text(" ").split())
    accepted = kpis.get("mql_acceptance_rate")
    if accepted is not None and accepted["baseline"] is not None:
        assert f"{accepted['baseline']:.0%} of marketing's MQLs were accepted by sales" in identify
    sla = kpis["first_touch_within_sla"]
    assert sla["target"] is not None and kpis["mqls_delivered"]["target"] == mqls

    # The client workbook: same numbers, titles, KPI figures and SLA.
    from openpyxl import load_workbook

    out = rendered / f"{company}-plan.xlsx"
    _run("plan", "export", "--company", company, "--out", str(out), "-w", str(rendered))
    book = load_workbook(out, read_only=True)
    rows = [r for r in book["Action plan"].iter_rows(min_row=5, values_only=True) if r[0]]
    sla_sheet = [r for r in book["SLA"].iter_rows(values_only=True) if r and r[0]]
    book.close()  # read-only keeps the file open until closed
    assert {int(r[0]): r[1] for r in rows} == actions
    for r in rows:
        record = kpis[next(a["kpi"] for a in truth["actions"] if a["id"] == int(r[0]))]
        if record["baseline"] is not None:
            assert r[8] == pytest.approx(record["baseline"], abs=1e-4)
        assert r[9] == pytest.approx(record["target"], abs=1e-4)
    assert any(str(r[0]).startswith("Marketing qualified") and r[1] == mqls for r in sla_sheet)


def test_a_stored_revenue_goal_reaches_the_plan_report_export_and_summary(
        rendered: Path, tmp_path: Path) -> None:
    from alignkit.report.render import render_report

    company = "bluepeak-logistics"
    before = _summary(rendered, company)["sla"]["mqls_per_month"]
    _run("company", "set", company, "--revenue-goal", "2400000", "--period", "year",
         "-w", str(rendered))
    try:
        truth = _summary(rendered, company)
        mqls = truth["sla"]["mqls_per_month"]
        assert truth["sla"]["revenue_goal"] == 2_400_000 and truth["sla"]["period"] == "year"
        assert mqls != before  # the goal changed what marketing owes
        done = render_report(company, "plan", tmp_path, workspace=rendered)
        text = " ".join(BeautifulSoup(done.html.read_text(encoding="utf-8"),
                                      "html.parser").get_text(" ").split())
        assert f"Deliver {mqls} MQLs a month" in text
        assert "$2,400,000 of new revenue a year" in text  # Bluepeak reports in US dollars
        said = _run("plan", "export", "--company", company, "--out", str(tmp_path / "p.xlsx"),
                    "-w", str(rendered))
        assert f"{mqls} MQLs a month" in said
        # A flag overrides for one run only, and says so.
        once = CliRunner().invoke(main, ["plan", "sla", "--company", company, "--revenue-goal",
                                         "1200000", "--json", "-w", str(rendered)])
        assert once.exit_code == 0 and "for this run only" in once.output
        assert _summary(rendered, company)["sla"]["mqls_per_month"] == mqls
    finally:
        Workspace(rendered)  # settings are reset for the other tests
        _run("company", "set", company, "--revenue-goal", "", "-w", str(rendered))


def test_action_numbers_survive_a_rebuilt_workspace_order(rendered: Path) -> None:
    """Numbers are per company: the third company's actions are 1..n too, not 13..18."""
    for company in COMPANIES:
        numbers = [a["id"] for a in _summary(rendered, company)["actions"]]
        assert numbers == list(range(1, len(numbers) + 1))
        assert re.search(r"\b1\b", str(numbers))


def test_the_driver_view_places_each_facet_at_the_score_every_report_shows() -> None:
    """drivers --json scores are score --json's overall means, not the complete answerers' own."""
    root = os.environ["ALIGNKIT_WORKSPACE"]
    company = "northwind-software"  # the demo company with a driver view of its own
    drivers = json.loads(_run("drivers", "--company", company, "--json", "--workspace", root))
    scored = json.loads(_run("score", "--company", company, "--json", "--workspace", root))
    assert drivers["source"] == "company"
    means = {r["dimension"]: r["mean"] for r in scored["dimensions"] if r["group"] == "overall"}
    assert {r["dimension"]: r["score"] for r in drivers["dimensions"]} == pytest.approx(means)
