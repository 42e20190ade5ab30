"""Turn an executed notebook into a client page: HTML, and PDF through the system Chromium.

One :class:`ReportExporter` is built per worker and reused for every report
(building nbconvert's exporter and its template environment is the slow
part). Pages are self-contained: code hidden, images inline, no script from the
internet. When the notebook carries ipywidgets state, the vendored
``@jupyter-widgets/html-manager`` bundle (``templates/vendor``) is inlined so
the controls render offline; other pages carry no script at all.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import threading
import weakref
from html import escape as html_escape
from pathlib import Path
from typing import Any

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.exceptions import ReportError
from alignkit.widgets.offline import prefer_offline_html

__all__ = ["CHROMIUM_FLAGS", "PdfPrinter", "ReportExporter", "find_chromium", "has_widget_state",
           "take_exporter", "warm_exporter"]

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
        self.printer = PdfPrinter()

    def to_html(self, executed: Any, context: dict[str, Any]) -> str:
        """The page for an executed notebook; ``context`` fills the branded header."""
        for cell in executed.cells:  # warnings on stderr are for us, not for the client
            if cell.get("cell_type") == "code":
                cell["outputs"] = [o for o in cell.get("outputs", []) if not (
                    o.get("output_type") == "stream" and o.get("name") == "stderr")]
        page = {"anonymity_min": DEFAULT_THRESHOLD, **context}
        prefer_offline_html(executed)  # the scenario explorer recomputes offline as HTML
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
        """Print a page on A4 with the system Chromium; one browser serves every print."""
        return self.printer.print_pdf(html)

    def close(self) -> None:
        """Close the browser that printed PDFs, if one was launched."""
        self.printer.close()


_SPARE: list[ReportExporter] = []  # built and warmed ahead by warm_exporter(), taken once


def _made_up_page() -> Any:
    """A small notebook with the kinds of cells and outputs a stage report has (no client data)."""
    from nbformat import v4

    table = "<table><thead><tr><th>Dimension</th></tr></thead><tbody><tr><td>3.4</td></tr></tbody></table>"
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M 0 0 L 9 9"/></svg>'
    return v4.new_notebook(cells=[
        v4.new_markdown_cell("# Heading\n\nSome *text* with a [link](https://example.org).\n\n"
                             "| a | b |\n|---|---|\n| 1 | 2 |"),
        v4.new_code_cell("x", outputs=[
            v4.new_output("stream", name="stdout", text="printed\n"),
            v4.new_output("display_data", {"text/markdown": "**bold** and a list:\n\n- one\n- two",
                                           "text/plain": "<Markdown>"}),
            v4.new_output("display_data", {"text/html": table, "text/plain": "table"}),
            v4.new_output("display_data", {"image/svg+xml": svg, "text/plain": "<Figure>"}),
            v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1),
        ]),
    ])


def warm_exporter() -> None:
    """Build an exporter and export a made-up page with it, for the next :func:`take_exporter`.

    Compiling nbconvert's templates and loading the Markdown renderer make a
    process's first page about 0.1 s slower than the next; a process that
    forks batch workers does this once, so each worker starts warm.
    """
    exporter = ReportExporter()
    exporter.to_html(_made_up_page(), {"company": "Warm-up", "title": "Warm-up"})
    _SPARE[:] = [exporter]


def take_exporter() -> ReportExporter:
    """The exporter :func:`warm_exporter` built in this process (handed out once), else a new one."""
    return _SPARE.pop() if _SPARE else ReportExporter()


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


#: A4 with the margins of the print, and the page's printable area in CSS pixels (96 per inch).
PRINT_MARGINS = {"top": "12mm", "bottom": "15mm", "left": "10mm", "right": "10mm"}
#: The margins of a page without alignkit's footer line (e.g. the one-pager).
PLAIN_MARGINS = {**PRINT_MARGINS, "bottom": "12mm"}
PRINT_PAGE_PX = {"width": round((210 - 20) / 25.4 * 96), "height": round((297 - 27) / 25.4 * 96)}
#: Lay the page out as wide as the paper, so what is measured is what is printed.
PRINT_VIEWPORT = {"width": PRINT_PAGE_PX["width"], "height": PRINT_PAGE_PX["height"]}
#: Measured before printing (argument: ``PRINT_PAGE_PX``):
#:
#: * a table wider than the paper is scaled down to its width (a screen scrolls it, paper
#:   would cut it off);
#: * a chart taller than a page is shrunk to fit one with room for its heading;
#: * a chart taller than 70% of a page keeps the text cell just before it (its heading and
#:   introduction, when shorter than a quarter page) on its page, shrunk if needed so that
#:   both fit: otherwise the introduction ends one page and the chart, too tall for what is
#:   left, leaves that page nearly empty;
#: * a table that fits on a page is kept whole;
#: * a paragraph that is all bold, or all italic and ends on a colon (a heading in all but
#:   name, or the lead-in of a list), stays with what follows;
#: * the page's footer (``.ak-footer``) leaves the flow and is returned, to be printed at
#:   the foot of every page with the page number, so no page can hold only the footer.
PRINT_LAYOUT_JS = """(page) => {
  for (const table of document.querySelectorAll('table')) {
    const room = table.parentElement.clientWidth;
    if (room > 0 && table.scrollWidth > room + 1) {
      table.style.zoom = room / table.scrollWidth;
    }
  }
  const height = (element) => element.getBoundingClientRect().height;
  const shrink = (img, by) => {
    img.style.maxHeight = (height(img) - by) + 'px';
    img.style.width = 'auto';
  };
  for (const figure of document.querySelectorAll('.jp-RenderedSVG, .jp-RenderedImage')) {
    const img = figure.querySelector('img');
    if (!img) continue;
    if (height(figure) > page.height - 60) shrink(img, height(figure) - (page.height - 60));
    const cell = figure.closest('.jp-Cell');
    const intro = cell && cell.previousElementSibling;
    const first = cell && cell.querySelector('.jp-OutputArea-child');
    if (!intro || !intro.classList.contains('jp-MarkdownCell') || !first
        || !first.contains(figure) || height(figure) < 0.7 * page.height
        || height(intro) > 0.25 * page.height) continue;
    const over = height(intro) + height(figure) + 24 - page.height;
    if (over > 0) shrink(img, over);
    intro.classList.add('ak-print-intro');
  }
  for (const table of document.querySelectorAll('table')) {
    if (height(table) < 0.9 * page.height) table.classList.add('ak-print-whole');
  }
  for (const p of document.querySelectorAll('.jp-RenderedHTMLCommon p')) {
    const only = p.children.length === 1 ? p.children[0] : null;
    const text = p.textContent.trim();
    if (only && only.textContent.trim() === text && (['STRONG', 'B'].includes(only.tagName)
        || (['EM', 'I'].includes(only.tagName) && text.endsWith(':')))) {
      p.classList.add('ak-print-lead');
    }
  }
  const footer = document.querySelector('.ak-footer');
  if (!footer) return '';
  footer.style.display = 'none';
  return footer.textContent.replace(/\\s+/g, ' ').trim();
}"""


def footer_template(text: str) -> str:
    """The line Chromium prints at the foot of every page: ``text`` and the page number.

    ``text`` is plain text (escaped here); empty gives an empty footer.
    """
    if not text:
        return "<span></span>"
    style = ("width: 100%; margin: 0 10mm; display: flex; justify-content: space-between; "
             "gap: 12px; font: 7.5px 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; "
             "color: #66737F;")
    return (f'<div style="{style}"><span>{html_escape(text)}</span><span style="white-space: '
            'nowrap">Page <span class="pageNumber"></span> of <span class="totalPages"></span>'
            "</span></div>")


class PdfPrinter:
    """One headless system Chromium that prints every page given to it, launched on first use.

    The browser and Playwright live on a thread of their own with their own
    event loop, so printing works the same from a script, a worker thread or
    a running Jupyter kernel. Each print opens a fresh page, blocks every
    request that would leave the machine, lays the page out for paper and
    closes the page again; the browser stays until :meth:`close` (also called
    when the process ends).
    """

    def __init__(self, settle_ms: int = 100) -> None:
        self.settle_ms = settle_ms
        self.launches = 0  # how many times this printer started a browser
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._finalizer: Any = None

    @property
    def running(self) -> bool:
        """True while a browser is up."""
        return self._browser is not None

    def print_pdf(self, html: str) -> bytes:
        """The A4 PDF of a self-contained page.

        Raises
        ------
        ReportError
            When Playwright or Chromium is missing, or Chromium fails to print.
        """
        with self._lock:
            loop = self._start()
        with tempfile.TemporaryDirectory(prefix="alignkit-pdf-") as folder:
            page_file = Path(folder) / "page.html"
            page_file.write_text(html, encoding="utf-8")
            future = asyncio.run_coroutine_threadsafe(self._print(page_file), loop)
            try:
                return future.result()
            except ReportError:
                raise
            except Exception as err:  # playwright raises its own error classes
                raise ReportError(f"PDF printing failed in Chromium: {type(err).__name__}: "
                                  f"{str(err).splitlines()[0] if str(err) else ''}") from None

    def close(self) -> None:
        """Close the browser and stop its thread; printing again launches a new one."""
        with self._lock:
            self._stop()

    def _start(self) -> asyncio.AbstractEventLoop:
        """The browser's event loop, launching Playwright and Chromium first if needed."""
        if self._loop is not None:
            return self._loop
        executable = find_chromium()
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            raise ReportError("PDF output needs Playwright: install it with "
                              "`pip install 'alignkit[pdf]'`") from None
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="alignkit-pdf-browser", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._launch(executable), loop).result()
        except Exception as err:  # noqa: BLE001 - reported below as one clear line
            self._stop()
            raise ReportError(f"Chromium did not start for the PDF: {type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}") from None
        self._finalizer = weakref.finalize(self, _stop_loop_browser, loop, thread,
                                           self._playwright, self._browser)
        return loop

    def _stop(self) -> None:
        """Close browser and Playwright, stop the thread (the lock is held)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        except Exception:  # noqa: BLE001 - a browser that already died is closed enough
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None

    async def _launch(self, executable: str) -> None:
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS,
            handle_sigint=False, handle_sigterm=False, handle_sighup=False)
        self.launches += 1

    async def _shutdown(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                await browser.close()
        finally:
            if playwright is not None:
                await playwright.stop()

    async def _print(self, page_file: Path) -> bytes:
        context = await self._browser.new_context(viewport=PRINT_VIEWPORT)
        try:
            page = await context.new_page()
            await page.route("**/*", _local_only)
            await page.emulate_media(media="print")
            await page.goto(page_file.as_uri(), wait_until="load")
            await page.wait_for_timeout(self.settle_ms)
            footer = await page.evaluate(PRINT_LAYOUT_JS, PRINT_PAGE_PX)
            return await page.pdf(format="A4", print_background=True,
                                  margin=PRINT_MARGINS if footer else PLAIN_MARGINS,
                                  display_header_footer=bool(footer),
                                  header_template="<span></span>",
                                  footer_template=footer_template(footer))
        finally:
            await context.close()


async def _local_only(route: Any) -> None:
    """Let a printed page load its own inline parts, never anything from a network."""
    if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
        await route.continue_()
    else:
        await route.abort()


def _stop_loop_browser(loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                       playwright: Any, browser: Any) -> None:
    """Last-resort cleanup when a printer is dropped or the process ends unclosed."""
    if not thread.is_alive() or loop.is_closed():
        return

    async def stop() -> None:
        try:
            await browser.close()
        finally:
            await playwright.stop()
    try:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    except Exception:  # noqa: BLE001 - the process is ending; the driver takes Chromium with it
        pass
    loop.call_soon_threadsafe(loop.stop)
