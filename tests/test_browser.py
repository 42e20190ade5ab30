"""Rendered pages in a real browser: headless system Chromium driven by Playwright.

Every page is opened offline (any request to the network is aborted and
counted): all images must load, no code may be visible, no JavaScript error
may occur, and a report carrying ipywidgets state must draw its controls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from helpers import OfflinePage, launched_chromium

from alignkit.catalog.stages import STAGES
from alignkit.demo import build_demo_workspace
from alignkit.factory.batch import render_batch
from alignkit.report.render import notebooks_dir

COMPANIES = ["bluepeak-logistics", "corvid-health"]
SLIDER = ('import ipywidgets\n'
          'ipywidgets.VBox([ipywidgets.IntSlider(value=40, min=0, max=100, description="Leads"),\n'
          '                 ipywidgets.Dropdown(options=["Monthly", "Weekly"], value="Weekly")])')


def _widget_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('company = "x"\nwave = "baseline"\nworkspace = ""\n'
                                       "anonymity_min = 5")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell("## Scenario: what if we followed up faster?"),
                nbformat.v4.new_code_cell(SLIDER)]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Identify (the real notebook) and a widget scenario page for two companies, plus indexes."""
    root = tmp_path_factory.mktemp("browser")
    workspace = build_demo_workspace(root / "ws").root
    notebooks = root / "notebooks"
    notebooks.mkdir()
    shutil.copy(notebooks_dir() / STAGES["identify"].notebook, notebooks)
    _widget_notebook(notebooks / STAGES["plan"].notebook)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
        result = render_batch(workspace, out_dir=root / "out", companies=COMPANIES,
                              stages=["identify", "plan"], workers=2)
    assert result.ok, [(e.company, e.stage, e.error_message) for e in result.entries]
    return root / "out"


@pytest.fixture(scope="module")
def browser():
    yield from launched_chromium()


class OpenedPage(OfflinePage):
    """A page opened offline, with every error and network attempt recorded."""

    def images(self) -> list[list]:
        return self.page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.alt])")


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_has_every_page(site: Path) -> None:
    names = {p.relative_to(site).as_posix() for p in _pages(site)}
    assert names == {"index.html", *(f"{c}/{p}" for c in COMPANIES
                                     for p in ("index.html", "identify.html", "plan.html"))}


@pytest.mark.parametrize("company", COMPANIES)
def test_identify_report_loads_every_image_and_shows_no_code(browser, site: Path, company: str) -> None:
    opened = OpenedPage(browser, site / company / "identify.html")
    images = opened.images()
    assert len(images) >= 5  # the logo and the charts
    assert all(complete and width > 0 for complete, width, _ in images), images
    text = opened.page.inner_text("body")
    assert "import alignkit" not in text and "load_wave" not in text
    assert opened.page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .highlight").count() == 0
    assert opened.errors == [] and opened.network == []
    opened.page.close()


@pytest.mark.parametrize("page", ["index.html", "corvid-health/index.html"])
def test_index_pages_load_cleanly_and_their_links_exist(browser, site: Path, page: str) -> None:
    opened = OpenedPage(browser, site / page)
    assert all(complete and width > 0 for complete, width, _ in opened.images())
    links = opened.page.eval_on_selector_all("a", "links => links.map(a => a.href)")
    assert links
    for link in links:
        assert link.startswith("file://") and Path(link.removeprefix("file://")).is_file(), link
    assert opened.errors == [] and opened.network == []
    opened.page.close()


def test_widget_controls_render_offline(browser, site: Path) -> None:
    opened = OpenedPage(browser, site / "corvid-health" / "plan.html")
    slider = opened.page.locator(".widget-hslider")
    slider.wait_for(state="visible", timeout=15000)
    assert "Leads" in slider.inner_text()
    assert opened.page.locator(".widget-readout").first.inner_text().strip() == "40"
    assert opened.page.locator(".widget-dropdown select").input_value() == "Weekly"
    assert opened.errors == [] and opened.network == []
    opened.page.close()
