"""The executive one-pager: the reports' figures, escaped, on one A4 page; and the format registry."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from click.testing import CliRunner

from alignkit.cli.app import main
from alignkit.demo import build_demo_workspace
from alignkit.exceptions import ReportError
from alignkit.report.formats import (
    CompanyContext,
    OutputFormat,
    company_formats,
    output_format,
    output_formats,
    report_formats,
)
from alignkit.store.settings import save_settings

DAY = "2026-12-04"
MARKUP = '<script>alert(1)</script> & "Bluepeak" <b>Logistics</b>'


def test_registry_knows_report_and_company_formats() -> None:
    formats = output_formats()
    assert list(formats)[:2] == ["html", "pdf"]
    assert {f.name for f in formats.values() if f.scope == "company"} >= {
        "pptx", "onepager", "onepager-pdf"}
    assert report_formats(["pptx", "html", "onepager", "pdf"]) == ("html", "pdf")
    assert company_formats(["pptx", "html", "onepager"]) == ("pptx", "onepager")
    assert output_format("pptx").file_name == "deck.pptx"
    assert output_format("onepager-pdf").file_name == "summary.pdf"
    with pytest.raises(ReportError, match="choose from html, pdf"):
        output_format("docx")
    with pytest.raises(ReportError, match="company format needs build and stem"):
        OutputFormat("odp", ".odp", "slides", scope="company")
    with pytest.raises(ReportError, match="scope"):
        OutputFormat("odp", ".odp", "slides", export=lambda e, p: p, scope="portfolio")


def test_batch_help_lists_every_format() -> None:
    result = CliRunner().invoke(main, ["batch", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in output_formats():
        assert name in text
    bad = CliRunner().invoke(main, ["batch", "--format", "docx"])
    assert bad.exit_code == 2 and "pptx" in bad.output and "onepager" in bad.output


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    from alignkit.store.workspace import Workspace

    root = tmp_path_factory.mktemp("onepager") / "ws"
    Workspace(root).add_company("bluepeak-logistics", MARKUP)
    workspace = build_demo_workspace(root)
    for company in workspace.companies():
        save_settings(workspace, company.slug, report_date=DAY)
    return workspace


def _summary_json(ws, slug: str) -> dict:
    result = CliRunner().invoke(main, ["summary", "--company", slug, "--json",
                                       "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _page(ws, slug: str) -> str:
    return output_format("onepager").build(CompanyContext(ws, slug))


def _text(page: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    return html.unescape(re.sub(r" ([:;,.)])", r"\1", text))


@pytest.mark.slow
def test_onepager_states_the_figures_of_summary_json(ws) -> None:
    for company in ws.companies():
        doc = _summary_json(ws, company.slug)
        text = _text(_page(ws, company.slug))
        assert f"{doc['index']:.0f} of 100" in text
        assert f"level {doc['maturity']['level']} ({doc['maturity']['name']})" in text
        sla = doc["sla"]
        assert f"Marketing delivers {sla['mqls_per_month']} MQLs a month" in text
        assert f"from about {sla['leads_per_month']} leads" in text
        assert (f"within {sla['sla_hours']:g} hours, with {sla['attempts']} attempts over "
                f"{sla['follow_up_days']} days") in text
        for action in doc["actions"]:
            if action["status"] == "dropped":
                continue
            row = f"{action['id']} {action['title']} {action['sales_owner']} " \
                  f"{action['marketing_owner']} {action['due']}"
            assert row in text


@pytest.mark.slow
def test_findings_follow_driver_impact_when_there_is_a_driver_view(ws) -> None:
    from alignkit.analysis.drivers import load_drivers
    from alignkit.plan.actions import gap_sizes
    from alignkit.report.onepager import company_facts
    from alignkit.track.summary import load_engagement

    drivers = load_drivers("northwind-software", "baseline", workspace=ws)
    assert drivers.available
    facts = company_facts(CompanyContext(ws, "northwind-software"))
    assert facts.ranked_by == "driver impact"
    focus = drivers.table[drivers.table["quadrant"] == "focus area"]["dimension"].tolist()
    ranked = (focus + [d for d in drivers.table["dimension"] if d not in focus])[:3]
    assert [f["dimension"] for f in facts.findings] == ranked

    assert not load_drivers("corvid-health", "baseline", workspace=ws).available
    facts = company_facts(CompanyContext(ws, "corvid-health"))
    assert facts.ranked_by == "gap size"
    gaps = gap_sizes(load_engagement("corvid-health", workspace=ws).scores)
    assert [f["dimension"] for f in facts.findings] == list(gaps["dimension"][:3])
    text = _text(_page(ws, "corvid-health"))
    for finding, size in zip(facts.findings, gaps["gap_size"][:3], strict=True):
        assert f"{finding['name']}: gap size {size:.1f}" in text


@pytest.mark.slow
def test_a_typed_name_is_escaped_everywhere(ws) -> None:
    page = _page(ws, "bluepeak-logistics")
    assert "<script>" not in page and "<b>Logistics" not in page
    assert html.escape(MARKUP, quote=False).replace('"', "&#34;") in page or \
        html.escape(MARKUP) in page
    assert MARKUP in _text(page)
    assert "Northwind" not in page and "Corvid" not in page  # no other company


@pytest.mark.slow
def test_onepager_prints_on_one_a4_page_for_every_demo_company(ws) -> None:
    from pypdf import PdfReader

    from alignkit.report.html import ReportExporter, find_chromium

    try:
        find_chromium()
    except ReportError as err:
        print(f"no Chromium: {err}")
        pytest.skip("the system Chromium is not installed")
    exporter = ReportExporter()
    try:
        for company in ws.companies():
            pdf = output_format("onepager-pdf").build(CompanyContext(ws, company.slug,
                                                                     exporter=exporter))
            pages = PdfReader(io.BytesIO(pdf)).pages
            assert len(pages) == 1, company.slug
            width, height = (float(v) for v in pages[0].mediabox[2:])
            assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5  # A4 in points
    finally:
        exporter.close()


@pytest.mark.slow
def test_onepager_cli_writes_html_and_refuses_unknown_company(ws, tmp_path) -> None:
    out = tmp_path / "summary.html"
    result = CliRunner().invoke(main, ["onepager", "--company", "corvid-health", "--out", str(out),
                                       "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert "Corvid Health" in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(main, ["onepager", "--company", "nope", "--workspace", str(ws.root)])
    assert bad.exit_code == 1 and "unknown company" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.slow
def test_a_long_plan_with_long_titles_still_prints_on_one_page(ws) -> None:
    from dataclasses import replace

    from pypdf import PdfReader

    from alignkit.report.html import ReportExporter, find_chromium
    from alignkit.report.onepager import MAX_ACTIONS, company_facts, render_onepager

    try:
        find_chromium()
    except ReportError:
        pytest.skip("the system Chromium is not installed")
    facts = company_facts(CompanyContext(ws, "corvid-health"))
    first = facts.summary["actions"][0]
    actions = [{**first, "id": i, "title": f"Action {i}: " + "agree and write down the shared step " * 5,
                "sales_owner": "Maximilian Alexander von Musterhausen-Beispiel"}
               for i in range(1, 31)]
    page = render_onepager(replace(facts, summary={**facts.summary, "actions": actions}))
    assert f"and {30 - MAX_ACTIONS} more in the Plan report" in page
    assert f"Action {MAX_ACTIONS}:" in page and f"Action {MAX_ACTIONS + 1}:" not in page
    exporter = ReportExporter()
    try:
        assert len(PdfReader(io.BytesIO(exporter.to_pdf(page))).pages) == 1
    finally:
        exporter.close()
