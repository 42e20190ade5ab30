"""The steering deck: read back with python-pptx, its charts are native and hold the reports' figures."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from alignkit.cli.app import main
from alignkit.demo import DEMO_COMPANIES, build_demo_workspace
from alignkit.report.deck import build_deck, plain_text
from alignkit.report.formats import CompanyContext
from alignkit.store.settings import save_settings
from alignkit.track.summary import load_engagement

pytestmark = pytest.mark.slow  # builds a demo workspace, starts LibreOffice and Chromium

DAY = "2026-12-04"
MARKUP = '<b>Corvid</b> & "Co" {{ 7*7 }} **bold** $x$'


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    from alignkit.store.workspace import Workspace

    root = tmp_path_factory.mktemp("deck") / "ws"
    Workspace(root).add_company("corvid-health", MARKUP)  # a typed name full of markup
    workspace = build_demo_workspace(root)
    for company in workspace.companies():
        save_settings(workspace, company.slug, report_date=DAY)
    return workspace


@pytest.fixture(scope="module")
def decks(ws) -> dict:
    from pptx import Presentation

    return {c.slug: Presentation(io.BytesIO(build_deck(CompanyContext(ws, c.slug))))
            for c in ws.companies()}


def _slide(prs, title_start: str):
    for slide in prs.slides:
        if slide.shapes.title is not None and slide.shapes.title.text.startswith(title_start):
            return slide
    raise AssertionError(f"no slide titled {title_start!r}: "
                         f"{[s.shapes.title.text for s in prs.slides if s.shapes.title]}")


def _chart(slide):
    charts = [s.chart for s in slide.shapes if s.has_chart]
    assert len(charts) == 1
    return charts[0]


def _series(chart) -> dict[str, list[float]]:
    return {s.name: list(s.values) for s in chart.plots[0].series}


def _workbook_values(chart) -> list[list]:
    """The values of the chart's embedded sheet: what PowerPoint shows under "Edit data"."""
    import openpyxl

    blob = chart.part.chart_workbook.xlsx_part.blob
    sheet = openpyxl.load_workbook(io.BytesIO(blob)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _summary_json(ws, slug: str) -> dict:
    result = CliRunner().invoke(main, ["summary", "--company", slug, "--json",
                                       "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_perception_gap_chart_is_native_and_holds_the_scored_team_means(ws, decks):
    from pptx.enum.chart import XL_CHART_TYPE

    scores = load_engagement("northwind-software", workspace=ws).scores
    chart = _chart(_slide(decks["northwind-software"], "How sales and marketing see"))
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    dims = scores.dimensions[~scores.dimensions["suppressed"]]
    names = list(scores.gaps["dimension_name"])
    assert [c.rstrip(" ◆") for c in chart.plots[0].categories] == names
    series = list(_series(chart).values())
    for values, team in zip(series, ("sales", "marketing"), strict=True):
        shown = dims[dims["group"].astype(str) == team].set_index("dimension_name")["mean"]
        assert values == pytest.approx([shown[n] for n in names], abs=1e-9)
    sheet = _workbook_values(chart)  # the editable data behind the chart: the same figures
    assert [row[1] for row in sheet[1:]] == pytest.approx(series[0], abs=1e-9)
    assert [row[2] for row in sheet[1:]] == pytest.approx(series[1], abs=1e-9)


def test_maturity_chart_equals_summary_json_and_shows_no_small_group(ws, decks):
    for slug, prs in decks.items():
        doc = _summary_json(ws, slug)
        scores = load_engagement(slug, workspace=ws).scores
        slide = _slide(prs, "Alignment index")
        chart = _chart(slide)
        (values,) = _series(chart).values()
        categories = list(chart.plots[0].categories)
        assert values[0] == doc["index"]
        assert slide.shapes.title.text.startswith(f"Alignment index {doc['index']:.0f} of 100")
        shown = scores.index[~scores.index["suppressed"]]
        assert values == [round(v, 1) for v in shown["index"]]
        for label, n in zip(categories, shown["n"], strict=True):
            assert label.endswith(f"(n={n})") and n >= scores.threshold


def test_heatmap_is_a_native_table_with_fills_and_only_shown_groups(ws, decks):
    from pptx.enum.dml import MSO_FILL

    scores = load_engagement("bluepeak-logistics", workspace=ws).scores
    slide = _slide(decks["bluepeak-logistics"], "Where the teams stand")
    (table,) = [s.table for s in slide.shapes if s.has_table]
    shown = scores.dimensions[~scores.dimensions["suppressed"]]
    groups = list(dict.fromkeys(shown["group"].astype(str)))
    assert len(table.columns) == 1 + len(groups)
    hidden = set(scores.dimensions.loc[scores.dimensions["suppressed"], "group"].astype(str))
    header = [table.cell(0, j).text for j in range(len(table.columns))]
    assert not any(h.lower().startswith(g) for g in hidden for h in header[1:])
    means = shown.pivot_table(index="dimension_name", columns=shown["group"].astype(str),
                              values="mean", observed=True)
    fills = set()
    for i in range(1, len(table.rows)):
        name = table.cell(i, 0).text
        for j, group in enumerate(groups, start=1):
            cell = table.cell(i, j)
            assert cell.text == f"{means.at[name, group]:.1f}"
            assert cell.fill.type == MSO_FILL.SOLID
            fills.add(str(cell.fill.fore_color.rgb))
    assert len(fills) > 3  # coloured by score, not one flat colour


def test_drivers_and_recap_charts_hold_the_library_figures(ws, decks):
    from alignkit.analysis.drivers import load_drivers
    from alignkit.track.recap import load_recap

    drivers = load_drivers("northwind-software", "baseline", workspace=ws)
    assert drivers.available
    chart = _chart(_slide(decks["northwind-software"], "What moves the sense"))
    (values,) = _series(chart).values()
    assert values == pytest.approx(list(drivers.table["importance"]), abs=1e-4)
    assert list(chart.plots[0].categories) == list(drivers.table["dimension_name"])
    # no driver view for a company with too few complete answers: no drivers slide
    assert not load_drivers("bluepeak-logistics", "baseline", workspace=ws).available
    titles = [s.shapes.title.text for s in decks["bluepeak-logistics"].slides]
    assert not any(t.startswith("What moves") for t in titles)

    rc = load_recap("northwind-software", "baseline", "followup", workspace=ws)
    overall = rc.changes[rc.changes["group"].astype(str) == "overall"]
    chart = _chart(_slide(decks["northwind-software"], "What moved between"))
    before, after = _series(chart).values()
    assert before == pytest.approx(list(overall["before"]), abs=1e-9)
    assert after == pytest.approx(list(overall["after"]), abs=1e-9)


def test_plan_slide_lists_the_agreed_actions_of_summary_json(ws, decks):
    doc = _summary_json(ws, "northwind-software")
    slide = _slide(decks["northwind-software"], "The joint plan")
    (table,) = [s.table for s in slide.shapes if s.has_table]
    rows = [[table.cell(i, j).text for j in range(5)] for i in range(1, len(table.rows))]
    expected = [[str(a["id"]), a["title"], a["sales_owner"], a["marketing_owner"], a["due"]]
                for a in doc["actions"] if a["status"] != "dropped"]
    assert rows == expected
    text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert f"{doc['sla']['mqls_per_month']} MQLs a month" in text
    assert f"within {doc['sla']['sla_hours']:g} hours" in text


def test_every_slide_has_speaker_notes_and_no_other_company(ws, decks):
    names = {c.slug: c.name for c in ws.companies()}
    for slug, prs in decks.items():
        others = [n for s, n in names.items() if s != slug]
        for slide in prs.slides:
            notes = slide.notes_slide.notes_text_frame.text
            assert notes.strip(), slide.shapes.title.text
            texts = [notes] + [s.text_frame.text for s in slide.shapes if s.has_text_frame]
            texts += [c.text for s in slide.shapes if s.has_table
                      for r in s.table.rows for c in r.cells]
            for other in others:
                assert not any(other in t for t in texts), (slug, other)


def test_a_company_name_with_markup_is_shown_literally(decks):
    prs = decks["corvid-health"]
    assert prs.slides[0].shapes.title.text == MARKUP
    footers = [s.text_frame.text for s in prs.slides[1].shapes if s.has_text_frame]
    assert any(f"prepared for {MARKUP}" in t for t in footers)
    assert plain_text("**a** \\*b\\* &amp; c") == "a *b* & c"


def test_a_client_template_lends_its_layouts_and_loses_its_slides(ws, tmp_path):
    from pptx import Presentation

    template = Presentation()  # 4:3, as many corporate templates still are
    by_name = {layout.name: layout for layout in template.slide_layouts}
    by_name["Title Only"].name = "Client content"
    by_name["Title Slide"].name = "Client cover"
    old = template.slides.add_slide(by_name["Title Slide"])
    old.shapes.title.text = "Last quarter's board slide"
    path = tmp_path / "client.pptx"
    template.save(str(path))

    out = tmp_path / "deck.pptx"
    result = CliRunner().invoke(main, ["deck", "--company", "northwind-software", "--template",
                                       str(path), "--out", str(out), "--stages", "identify,plan",
                                       "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    prs = Presentation(str(out))
    layouts = [s.slide_layout.name for s in prs.slides]
    assert layouts[0] == "Client cover" and set(layouts[1:]) == {"Client content"}
    texts = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    assert not any("board slide" in t for t in texts)
    assert prs.slide_width == template.slide_width
    for slide in prs.slides:  # nothing runs off a narrower slide
        for shape in slide.shapes:
            assert shape.left + shape.width <= prs.slide_width, (slide.shapes.title.text, shape.name)
    titles = [s.shapes.title.text for s in prs.slides]
    assert not any(t.startswith(("Where the actions", "What moved")) for t in titles)


def test_deck_refuses_an_unreadable_template_in_one_line(ws, tmp_path):
    bad = tmp_path / "client.pptx"
    bad.write_text("not a deck", encoding="utf-8")
    result = CliRunner().invoke(main, ["deck", "--company", "corvid-health", "--template",
                                       str(bad), "--workspace", str(ws.root)])
    assert result.exit_code == 1
    assert "not a PowerPoint template" in result.output and "Traceback" not in result.output


def test_batch_pptx_writes_one_deck_per_company_listed_in_manifest_and_index(ws, tmp_path):
    from pptx import Presentation

    from alignkit.factory.batch import render_batch

    out = tmp_path / "reports"
    result = render_batch(ws.root, out_dir=out, formats=["pptx", "onepager", "onepager-pdf"],
                          workers=1)
    assert result.ok
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    decks = {r["company"]: r for r in manifest["reports"] if r["stage"] == "deck"}
    assert set(decks) == {c.slug for c in DEMO_COMPANIES}
    summaries = {r["company"]: r for r in manifest["reports"] if r["stage"] == "summary"}
    assert {s: r["files"] for s, r in summaries.items()} == {
        c.slug: ["summary.html", "summary.pdf"] for c in DEMO_COMPANIES}
    assert all((out / s / "summary.pdf").read_bytes().startswith(b"%PDF") for s in summaries)
    for slug, entry in decks.items():
        assert entry["status"] == "ok" and entry["files"] == ["deck.pptx"]
        prs = Presentation(str(out / slug / "deck.pptx"))
        assert prs.slides[0].shapes.title.text == ws.company(slug).name
        index = (out / slug / "index.html").read_text(encoding="utf-8")
        assert 'href="deck.pptx"' in index and "Steering deck" in index
        assert 'href="summary.html"' in index and 'href="summary.pdf"' in index
    assert not any(r["stage"] in ("identify", "plan") for r in manifest["reports"])


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_draws_every_slide(ws, tmp_path):
    """LibreOffice opens the deck and prints one page per slide, none of them blank."""
    soffice = _soffice()
    if soffice is None:
        print("LibreOffice (soffice) is not installed: the deck's look is not checked")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-impress)")
    from pptx import Presentation
    from pypdf import PdfReader

    deck = tmp_path / "northwind.pptx"
    deck.write_bytes(build_deck(CompanyContext(ws, "northwind-software")))
    slides = len(Presentation(str(deck)).slides)
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
                   check=True, timeout=240, capture_output=True)
    pdf = tmp_path / "northwind.pdf"
    assert len(PdfReader(str(pdf)).pages) == slides
    gs = shutil.which("gs")
    if gs is None:
        return
    from PIL import Image, ImageStat

    subprocess.run([gs, "-q", "-sDEVICE=png16m", "-r40", "-o", str(tmp_path / "slide-%02d.png"),
                    str(pdf)], check=True, timeout=240)
    pngs = sorted(tmp_path.glob("slide-*.png"))
    assert len(pngs) == slides
    for png in pngs:  # every slide carries ink beyond its accent bar and footer
        image = Image.open(png).convert("L")
        body = image.crop((0, image.height // 6, image.width, image.height * 5 // 6))
        assert ImageStat.Stat(body).stddev[0] > 10, png.name



def test_a_company_without_survey_or_plan_gets_a_short_honest_deck_and_onepager(tmp_path):
    from pptx import Presentation

    from alignkit.report.formats import output_format
    from alignkit.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.add_company("acme", "Acme <Corp>")
    context = CompanyContext(ws, "acme")
    prs = Presentation(io.BytesIO(build_deck(context)))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Acme <Corp>", "At a glance", "The joint plan and the service level agreement",
                      "Next steps"]
    texts = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    assert any("No action has been agreed yet." in t for t in texts)
    assert any("No action is agreed yet" in t for t in texts)
    page = output_format("onepager").build(context)
    assert "Acme &lt;Corp&gt;" in page and "No action has been agreed yet." in page
    assert "fewer than 5 respondents" in " ".join(page.split())
