"""Script injection: whatever a user typed is shown as typed and never runs.

One workspace where every free-text field holds markup that would run script
if it reached a page unescaped: the company name, the survey wave's name, both
owners of an action, an action update's note, survey comments, a role, a
free-text team answer and the consultancy's name in branding.json. Each text
also carries an apostrophe and ``$…$`` (Markdown math in a report, mathtext
in a chart). All four stage reports and both index pages are rendered by a
batch, read as text, then opened in the system Chromium: no payload may run,
and every text must read exactly as typed.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from alignkit.demo import execute, followup, funnel, plan
from alignkit.demo.survey import DEMO_COMPANIES, write_demo_survey
from alignkit.factory.batch import render_batch
from alignkit.intake.survey import import_survey
from alignkit.plan.actions import edit_action, export_xlsx
from alignkit.report.html import CHROMIUM_FLAGS, find_chromium
from alignkit.store.actions import load_actions, record_action_update
from alignkit.store.settings import save_settings
from alignkit.store.workspace import Workspace


def _img(field: str) -> str:
    return f"<img src=x onerror=\"document.title='pwned {field}'\">"


def _script(field: str) -> str:
    return f"<script>document.title='pwned {field}'</script>"


COMPANY = f"O'Brien {_img('company')} & Sons $x$"
WAVE = f"spring's {_script('wave')} $y$"
SALES_OWNER = f"Ann O'Neil {_img('sales owner')} $x$"
MARKETING_OWNER = rf"Bo {_script('marketing owner')} *Lee* $\nope$"
NOTE = f"Don't {_img('note')} wait [here](javascript:alert(1)) $x$"
COMMENT = f"We don't {_script('comment')} talk {_img('comment')} $x$"
ROLE = _img("role")
TEAM = f"Other {_img('team')}"
BRAND = f"Cons'ult {_img('brand')} $x$"

BASE = next(c for c in DEMO_COMPANIES if c.slug == "corvid-health")  # the smallest demo client
STAGES = ["identify", "plan", "execute", "recap"]


def _plant_survey_text(path: Path) -> None:
    """Every comment becomes the payload; one respondent gets a typed role and team."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row.get("comment"):
            row["comment"] = COMMENT
    rows[0]["role"] = ROLE
    rows[1]["team"], rows[1]["role"] = TEAM, ROLE
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _build(root: Path) -> Workspace:
    company = replace(BASE, name=COMPANY)
    ws = Workspace(root)
    ws.add_company(company.slug, company.name, company.industry)
    save_settings(ws, company.slug, currency="USD")  # amounts written as $1,200
    survey = write_demo_survey(company, ws.root / "inbox" / "survey.csv")
    _plant_survey_text(survey)
    import_survey(survey, company=company.slug, wave=WAVE, workspace=ws)
    funnel.populate(ws, company)
    plan.populate(ws, company, wave=WAVE)
    execute.populate(ws, company)
    followup.populate(ws, company)
    first = int(load_actions(ws, company.slug)["id"].iloc[0])
    edit_action(ws, company.slug, first, sales_owner=SALES_OWNER, marketing_owner=MARKETING_OWNER,
                due=date.today() - timedelta(days=10))  # overdue: its note is in a table
    record_action_update(ws, company.slug, first, status="in_progress", progress=0.3, note=NOTE,
                         updated_on=date.today() - timedelta(days=2))
    return ws


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four stage reports of the planted company, its index and the portfolio."""
    root = tmp_path_factory.mktemp("injection")
    ws = _build(root / "ws")
    brand = root / "branding.json"
    brand.write_text(json.dumps({"name": BRAND, "accent": "#1F5F8B"}), encoding="utf-8")
    result = render_batch(ws.root, out_dir=root / "out", companies=[BASE.slug], stages=STAGES,
                          wave=WAVE, workers=2, brand_file=brand)
    assert result.ok, [(e.stage, e.error_name, e.error_message) for e in result.entries]
    return root / "out"


def _pages(site: Path) -> dict[str, Path]:
    pages = {stage: site / BASE.slug / f"{stage}.html" for stage in STAGES}
    return {**pages, "company index": site / BASE.slug / "index.html",
            "portfolio": site / "index.html"}


#: What each page must show exactly as typed.
SHOWN = {
    "identify": [COMPANY, WAVE, COMMENT, BRAND],
    "plan": [COMPANY, WAVE, SALES_OWNER, MARKETING_OWNER, BRAND],
    "execute": [COMPANY, WAVE, SALES_OWNER, MARKETING_OWNER, NOTE, BRAND],
    "recap": [COMPANY, WAVE, BRAND],
    "company index": [COMPANY, BRAND],
    "portfolio": [COMPANY, BRAND],
}


@pytest.mark.parametrize("page", list(SHOWN))
def test_no_typed_markup_reaches_the_page(site: Path, page: str) -> None:
    html = _pages(site)[page].read_text(encoding="utf-8")
    assert "<img src=x" not in html
    assert "<script>document" not in html
    assert 'href="javascript' not in html
    assert ROLE not in html and "pwned role" not in html  # roles identify people: never shown
    assert "pwned team" not in html  # a typed team counts as "Other"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


_VISIBLE_TEXT = """() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('script, style').forEach(e => e.remove());
    return copy.textContent;
}"""


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("page", list(SHOWN))
def test_pages_in_chromium_run_nothing_and_show_text_as_typed(browser, site: Path,
                                                              page: str) -> None:
    tab = browser.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("file:", "data:")) else route.abort())
    tab.goto(_pages(site)[page].as_uri(), wait_until="load")
    tab.wait_for_timeout(300)  # a broken image's onerror fires after load
    try:
        assert not tab.title().startswith("pwned")  # a payload sets the whole title
        assert dialogs == []
        assert tab.locator("img[src='x'], a[href^='javascript']").count() == 0
        text = _words(tab.evaluate(_VISIBLE_TEXT))
        for typed in SHOWN[page]:
            assert _words(typed) in text, typed
        assert "&#x27;" not in text and "&amp;" not in text and "&lt;" not in text
        assert "**" not in text  # a $ amount did not swallow the Markdown around it
    finally:
        tab.close()


def test_workbook_keeps_typed_text_as_plain_text(site: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from alignkit.track.summary import load_engagement

    eng = load_engagement(BASE.slug, WAVE, workspace=site.parent / "ws")
    path = export_xlsx(eng.plan_with_kpis(), eng.agreement, tmp_path / "plan.xlsx",
                       company=eng.company.name, currency=eng.currency)
    book = load_workbook(path, read_only=True)  # read-only keeps the file open until closed
    try:
        cells = [c for row in book["Action plan"].iter_rows(values_only=True) for c in row
                 if isinstance(c, str)]
    finally:
        book.close()
    assert f"Joint action plan: {COMPANY}" in cells
    assert SALES_OWNER in cells and MARKETING_OWNER in cells  # as typed, not HTML-escaped


@pytest.mark.parametrize("given", [
    {"accent": "#1F5F8B;}</style><script>document.title='pwned'</script>"},
    {"accent": "red"},
    {"logo": "x\" onerror=\"document.title='pwned'"},
    {"logo": "javascript:alert(1)"},
])
def test_brand_holds_only_a_colour_and_an_embedded_logo(given: dict[str, str]) -> None:
    from alignkit.exceptions import ReportError
    from alignkit.report.branding import Brand

    with pytest.raises(ReportError):
        Brand(**given)
