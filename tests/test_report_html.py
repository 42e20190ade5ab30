"""The client page exporter gives exactly the page nbconvert's own last pass would give."""

from __future__ import annotations

import copy
import re

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from alignkit.report.html import ReportExporter, focusable_outputs

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="720pt" height="72pt">'
       '<rect width="10" height="10"/></svg>')
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5"
       "ErkJggg==")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _output(data: dict, kind: str = "display_data") -> nbformat.NotebookNode:
    if kind == "execute_result":
        return nbformat.v4.new_output(kind, data=data, execution_count=1)
    return nbformat.v4.new_output(kind, data=data)


@pytest.fixture
def executed() -> nbformat.NotebookNode:
    """A notebook with every kind of output a report shows, as if it had run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    cell = nbformat.v4.new_code_cell("charts()")
    cell.outputs = [
        _output({"image/svg+xml": SVG, "text/plain": "<Figure>"}, "execute_result"),
        _output({"image/png": PNG, "text/plain": "<Figure>"}),
        _output({"text/html": '<p>A table <img src="data:image/png;base64,' + PNG + '"></p>'}),
        _output({"text/markdown": "**Key finding**: sales rate *hand-offs* lower."}),
        nbformat.v4.new_output("stream", name="stdout", text="printed\n"),
        _output({"application/vnd.jupyter.widget-view+json":
                 {"version_major": 2, "version_minor": 0, "model_id": "m1"},
                 "text/plain": "Slider"}),
    ]
    nb.metadata["widgets"] = {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {
        "m1": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
               "model_module_version": "2.0.0", "state": {"value": 3}}}}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Heading\n\n![logo](logo.png)"), cell]
    return nb


def _normalised(page: str) -> str:
    """The page as parsed markup, without the random ids nbconvert gives widget views."""
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", page)
    return str(BeautifulSoup(page, features="html.parser"))


def test_page_matches_nbconvert_s_own_final_pass(executed: nbformat.NotebookNode,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ours = ReportExporter().to_html(copy.deepcopy(executed), {"company": "Acme"})
    reference = ReportExporter()
    monkeypatch.setattr(type(reference._html), "from_notebook_node", HTMLExporter.from_notebook_node)
    theirs = reference.to_html(copy.deepcopy(executed), {"company": "Acme"})
    assert "data:image/svg+xml;base64," in ours and "IntSliderModel" in ours
    assert _normalised(ours) == _normalised(theirs)


def test_outputs_are_focusable_and_every_image_has_alternative_text(
        executed: nbformat.NotebookNode) -> None:
    page = BeautifulSoup(ReportExporter().to_html(executed, {"company": "Acme"}), "html.parser")
    outputs = page.select("div.jp-OutputArea-output")
    assert len(outputs) >= 6 and all(div.get("tabindex") == "0" for div in outputs)
    assert page.select("img") and all(img.get("alt") for img in page.select("img"))


def test_focusable_outputs_leaves_other_markup_alone() -> None:
    html = ('<div class="jp-OutputArea-output" tabindex="0"><img alt="x" src="a.png"></div>'
            '<div class="jp-OutputArea-child"><img src="b.png"/></div><p>jp-OutputArea-output</p>')
    assert focusable_outputs(html) == (
        '<div class="jp-OutputArea-output" tabindex="0"><img alt="x" src="a.png"></div>'
        '<div class="jp-OutputArea-child"><img src="b.png" '
        'alt="No description has been provided for this image"/></div><p>jp-OutputArea-output</p>')


def test_a_warmed_exporter_is_handed_out_once_and_writes_the_same_page(
        executed: nbformat.NotebookNode) -> None:
    from alignkit.report import html

    html.warm_exporter()  # as the process that forks batch workers does
    warmed = html.take_exporter()
    assert html.take_exporter() is not warmed  # handed out once: the next one is new
    fresh = ReportExporter()
    page = warmed.to_html(copy.deepcopy(executed), {"company": "Acme"})
    assert "Warm-up" not in page  # nothing of the made-up page is left behind
    assert _normalised(page) == _normalised(fresh.to_html(copy.deepcopy(executed),
                                                          {"company": "Acme"}))
