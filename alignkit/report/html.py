"""Turn an executed notebook into a client page: HTML, and PDF through the system Chromium.

One :class:`ReportExporter` is built per worker and reused for every report
(building nbconvert's exporter and its template environment is the slow
part). Pages are self-contained: code hidden, images inline, no script from the
internet. When the notebook carries ipywidgets state, the vendored
``@jupyter-widgets/html-manager`` bundle (``templates/vendor``) is inlined so
the controls render offline; other pages carry no script at all.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.exceptions import ReportError

__all__ = ["CHROMIUM_FLAGS", "ReportExporter", "find_chromium", "has_widget_state"]

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

#: Flags for a headless system Chromium that must not reach out to the network.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def find_chromium() -> str:
    """Path of the system Chromium (``$ALIGNKIT_CHROMIUM`` overrides).

    Raises
    ------
    ReportError
        When no Chromium is installed.
    """
    import os

    found = os.environ.get("ALIGNKIT_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not found:
        raise ReportError("PDF needs the system Chromium: install it with `apt-get install chromium` "
                          "or set ALIGNKIT_CHROMIUM to its path")
    return found


def has_widget_state(notebook: Any) -> bool:
    """True when an executed notebook saved the state of ipywidgets."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    return bool(state.get("state"))


def _widgets_bundle() -> str:
    from alignkit.catalog.resources import templates_dir

    bundle = templates_dir() / "vendor" / "jupyter-widgets-html-manager" / "embed.js"
    try:
        return bundle.read_text(encoding="utf-8")
    except OSError as err:
        raise ReportError(f"the widget bundle {bundle} is missing ({err.strerror}); "
                          "reinstall alignkit's templates") from None


class ReportExporter:
    """nbconvert set up once for client pages: branded template, no code."""

    def __init__(self) -> None:
        from nbconvert.preprocessors import TagRemovePreprocessor

        from alignkit.catalog.resources import templates_dir

        self._html = _page_exporter_class()(
            template_name="alignkit", extra_template_basedirs=[str(templates_dir())],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
            optimistic_validation=True,  # check the notebook once, not after every preprocessor
        )
        self._html.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={"notebook-only"}), enabled=True)
        self._widgets_js: str | None = None
        self._pdf: Any = None

    def to_html(self, executed: Any, context: dict[str, Any]) -> str:
        """The page for an executed notebook; ``context`` fills the branded header."""
        for cell in executed.cells:  # warnings on stderr are for us, not for the client
            if cell.get("cell_type") == "code":
                cell["outputs"] = [o for o in cell.get("outputs", []) if not (
                    o.get("output_type") == "stream" and o.get("name") == "stderr")]
        page = {"anonymity_min": DEFAULT_THRESHOLD, **context}
        if has_widget_state(executed):
            if self._widgets_js is None:
                self._widgets_js = _widgets_bundle()
            page["widgets_js"] = self._widgets_js
        else:
            executed.metadata.pop("widgets", None)
        body, _ = self._html.from_notebook_node(
            executed, resources={"alignkit": page, "metadata": {"name": page.get("title", "")}})
        return body

    def to_pdf(self, html: str) -> bytes:
        """Print a page to PDF with nbconvert's webpdf exporter and the system Chromium."""
        if self._pdf is None:
            self._pdf = _system_chromium_pdf_exporter()
        try:
            return self._pdf.run_playwright(html)
        except Exception as err:  # playwright raises its own error classes
            raise ReportError(f"PDF printing failed in Chromium: {type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}") from None


_OUTPUT_DIV = re.compile(
    r'<div\b[^>]*?\bclass="[^"]*\bjp-(?:OutputArea-output|Cell-inputWrapper)\b[^"]*"[^>]*')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)[^>]*?(?=\s*/?>)")


def focusable_outputs(html: str) -> str:
    """What nbconvert's HTMLExporter does to a page last, without re-parsing it.

    Outputs and inputs become focusable (``tabindex="0"``) and images without
    alternative text get nbconvert's placeholder. Works on the markup our
    templates write: each such tag's attributes on one line.
    """
    html = _OUTPUT_DIV.sub(lambda m: m.group(0) if "tabindex=" in m.group(0)
                           else f'{m.group(0)} tabindex="0"', html)
    return _IMG_WITHOUT_ALT.sub(
        lambda m: f'{m.group(0)} alt="No description has been provided for this image"', html)


def _page_exporter_class() -> type:
    """nbconvert's HTMLExporter without its closing BeautifulSoup pass.

    nbconvert parses each finished page again (a megabyte of inline charts) only
    to add alternative texts and tab stops; :func:`focusable_outputs` does the
    same on the text. If nbconvert's internals ever differ from what this
    expects, the exporter falls back to nbconvert's own pass.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            try:
                from nbconvert.filters.highlight import Highlight2HTML
                from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

                resources = self._init_resources(resources)
                language = nb.metadata.get("language_info", {})
                self.register_filter("highlight_code", self.filters.get(
                    "highlight_code", Highlight2HTML(
                        pygments_lexer=language.get("pygments_lexer", language.get("name")),
                        parent=self)))
                self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            except (ImportError, AttributeError, TypeError):
                return super().from_notebook_node(nb, resources, **kw)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return focusable_outputs(html), resources

    return PageExporter


def _system_chromium_pdf_exporter() -> Any:
    """A WebPDFExporter that launches the system Chromium instead of a downloaded one."""
    import asyncio
    import tempfile

    from nbconvert.exporters.webpdf import WebPDFExporter

    executable = find_chromium()

    class SystemChromiumPDFExporter(WebPDFExporter):
        def run_playwright(self, html: str) -> bytes:  # type: ignore[override]
            with tempfile.TemporaryDirectory(prefix="alignkit-pdf-") as folder:
                page = Path(folder) / "page.html"
                page.write_text(html, encoding="utf-8")
                return asyncio.run(_print_pdf(executable, page, self.page_render_timeout))

    return SystemChromiumPDFExporter()


async def _print_pdf(executable: str, page_file: Path, settle_ms: int) -> bytes:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        raise ReportError("PDF output needs Playwright: install it with "
                          "`pip install 'alignkit[pdf]'`") from None

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS,
            handle_sigint=False, handle_sigterm=False, handle_sighup=False)
        try:
            page = await browser.new_page()
            await page.emulate_media(media="print")
            await page.goto(page_file.as_uri(), wait_until="load")
            await page.wait_for_timeout(settle_ms)
            return await page.pdf(format="A4", print_background=True,
                                  margin={"top": "12mm", "bottom": "12mm", "left": "10mm",
                                          "right": "10mm"})
        finally:
            await browser.close()
