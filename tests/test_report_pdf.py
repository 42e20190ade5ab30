"""The printed reports: how full each A4 page is, and one browser for every PDF.

The page checks read the PDFs Chromium wrote (with pypdf): every painted
path, image and line of text is placed on its page, which gives how far down
each page the content reaches. Browser launches are counted by a stand-in
for the Chromium command that notes each start and its process id, so the
test also sees that no browser outlives its batch. Reads the demo workspace
(``$ALIGNKIT_WORKSPACE``): slow tier.
"""

from __future__ import annotations

import http.server
import os
import re
import stat
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pypdf  # reads the printed pages (dev extra)
import pytest

from alignkit.catalog.stages import STAGES
from alignkit.factory.batch import render_batch
from alignkit.report.html import PRINT_MARGINS, PdfPrinter, ReportExporter, find_chromium

pytestmark = pytest.mark.slow

COMPANY = "northwind-software"
A4_HEIGHT_PT = 841.89
MM = 72 / 25.4
TOP = A4_HEIGHT_PT - float(PRINT_MARGINS["top"].removesuffix("mm")) * MM
BOTTOM = float(PRINT_MARGINS["bottom"].removesuffix("mm")) * MM
PRINTABLE = TOP - BOTTOM


# -- reading a printed page ---------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    """Something on a page: its vertical extent (PDF points, y up) and kind.

    ``drawing`` is a painted path or an image, ``box`` a clipping rectangle:
    Chromium clips every chart image and every scrolling output to its box,
    which is how a figure's frame is found in the print.
    """

    top: float
    bottom: float
    drawing: bool = False
    box: bool = False


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The PDF matrix product a × b (a applied first)."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _y(matrix: list[float], x: float, y: float) -> float:
    return matrix[1] * x + matrix[3] * y + matrix[5]


PAINT = {b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*"}
WHITE = (1.0, 1.0, 1.0)


def page_marks(reader: pypdf.PdfReader, page: pypdf.PageObject) -> list[Mark]:
    """Everything visible on ``page`` (paths but white ones, images, text) and the clip boxes."""
    from pypdf.generic import ContentStream

    marks: list[Mark] = []
    ctm, stack = [1.0, 0, 0, 1.0, 0, 0], []
    fill = stroke = (0.0, 0.0, 0.0)
    path: list[float] = []
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        nums = [float(v) for v in operands if isinstance(v, (int, float))]
        if op == b"q":
            stack.append((ctm, fill, stroke))
        elif op == b"Q" and stack:
            ctm, fill, stroke = stack.pop()
        elif op == b"cm":
            ctm = _multiply(nums, ctm)
        elif op == b"rg":
            fill = tuple(nums)
        elif op == b"RG":
            stroke = tuple(nums)
        elif op == b"g":
            fill = (nums[0],) * 3
        elif op == b"G":
            stroke = (nums[0],) * 3
        elif op == b"re":
            x, y, w, h = nums
            path += [_y(ctm, x, y), _y(ctm, x, y + h), _y(ctm, x + w, y), _y(ctm, x + w, y + h)]
        elif op in (b"m", b"l", b"c", b"v", b"y"):
            path += [_y(ctm, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
        elif op in (b"W", b"W*") and len(path) == 4:  # a rectangle becomes the clip
            marks.append(Mark(max(path), min(path), box=True))
        elif op in PAINT or op == b"n":
            stroked = op in (b"S", b"s")
            white = (stroke if stroked else fill) == WHITE
            if op != b"n" and path and not white:
                marks.append(Mark(max(path), min(path), drawing=True))
            path = []
        elif op == b"Do":
            corners = [_y(ctm, x, y) for x in (0, 1) for y in (0, 1)]
            marks.append(Mark(max(corners), min(corners), drawing=True))

    def text(shown: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if shown.strip():
            matrix = _multiply(tm, cm)
            base, scale = _y(matrix, 0, 0), abs(matrix[3]) or 1.0
            marks.append(Mark(base + size * scale * 0.8, base - size * scale * 0.2))

    page.extract_text(visitor_text=text)
    return [m for m in marks if m.top > BOTTOM - 1 and m.bottom < TOP + 1]  # clipped away


def fill(marks: list[Mark]) -> float:
    """How far down the printable area the page's content reaches (0 to 1)."""
    seen = [m.bottom for m in marks if not m.box]
    return (TOP - min(seen)) / PRINTABLE if seen else 0.0


def figures(marks: list[Mark], gap: float = 60.0) -> list[Mark]:
    """The frames of the figures on a page, top first.

    A chart is a clip box with drawings inside (Chromium clips every image to
    its box); a table is a run of shaded rows, drawings less than ``gap``
    points apart. The box of the whole page body, and thin rules (a
    heading's underline), do not count.
    """
    drawings = [m for m in marks if m.drawing and m.top - m.bottom > 3]
    frames = {(m.top, m.bottom) for m in marks if m.box and 20 < m.top - m.bottom < 0.95 * PRINTABLE
              and any(m.bottom - 1 <= d.bottom and d.top <= m.top + 1 for d in drawings)}
    outer = [f for f in frames if not any(o != f and o[0] >= f[0] and o[1] <= f[1] for o in frames)]
    runs: list[list[float]] = []
    for d in sorted(drawings, key=lambda m: -m.top):
        if runs and d.top >= runs[-1][1] - gap:
            runs[-1][1] = min(runs[-1][1], d.bottom)
        else:
            runs.append([d.top, d.bottom])
    found = {*outer, *((top, bottom) for top, bottom in runs if top - bottom > 20)}
    return [Mark(top, bottom, box=True) for top, bottom in sorted(found, reverse=True)]


def opening_figure_depth(marks: list[Mark], lead: float = 0.3 * PRINTABLE) -> float:
    """From the top of the printable area to the end of the figure that opens the page.

    A figure opens the page when at most ``lead`` points stand above it: its
    heading and introduction, which the printer keeps with a very tall chart
    when they take less than a quarter page. 0 when no figure does.
    """
    found = figures(marks)
    return TOP - found[0].bottom if found and TOP - found[0].top <= lead else 0.0


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, spaces collapsed and ligatures (Chromium prints "ﬁ") spelled out."""
    reader = pypdf.PdfReader(pdf)
    return [" ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
            for page in reader.pages]


# -- counting browsers ----------------------------------------------------------------
@pytest.fixture
def counted_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$ALIGNKIT_CHROMIUM`` becomes a stand-in that logs each launch's process id."""
    log = tmp_path / "launches.log"
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\necho $$ >> "{log}"\nexec "{find_chromium()}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("ALIGNKIT_CHROMIUM", str(wrapper))
    return log


def launched(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def running(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie waiting for its parent does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    import time

    deadline = time.monotonic() + seconds
    while any(running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if running(p)]


# -- the printer --------------------------------------------------------------------------
PAGE = "<!doctype html><html><body><h1>{title}</h1><p>{text}</p></body></html>"


def test_one_browser_prints_every_page_and_is_gone_after_close(counted_chromium: Path) -> None:
    printer = PdfPrinter()
    pdfs = [printer.print_pdf(PAGE.format(title=f"Report {i}", text="x" * i)) for i in range(3)]
    assert all(p.startswith(b"%PDF-") for p in pdfs) and len(set(pdfs)) == 3
    assert printer.launches == 1 and len(launched(counted_chromium)) == 1
    assert running(launched(counted_chromium)[0])
    printer.close()
    assert not printer.running and wait_gone(launched(counted_chromium)) == []
    printer.print_pdf(PAGE.format(title="again", text=""))  # a closed printer starts afresh
    assert printer.launches == 2 and len(launched(counted_chromium)) == 2
    printer.close()
    assert wait_gone(launched(counted_chromium)) == []


def test_a_printed_page_reaches_no_network() -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    exporter = ReportExporter()
    try:
        pdf = exporter.to_pdf(f'<html><body><p>Offline</p><img src="{url}/pixel.png">'
                              f'<link rel="stylesheet" href="{url}/style.css"></body></html>')
    finally:
        exporter.close()
        server.shutdown()
    assert pdf.startswith(b"%PDF-") and hits == []


def test_a_missing_browser_is_one_clear_error(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    from alignkit.exceptions import ReportError

    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("ALIGNKIT_CHROMIUM", str(broken))
    printer = PdfPrinter()
    with pytest.raises(ReportError, match="Chromium did not start") as caught:
        printer.print_pdf(PAGE.format(title="t", text=""))
    assert "\n" not in str(caught.value) and not printer.running


# -- a batch -----------------------------------------------------------------------------------
def tiny_notebooks(folder: Path) -> Path:
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    for stage in ("identify", "plan"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        params = nbformat.v4.new_code_cell(
            'company = "x"\nwave = "baseline"\nworkspace = ""\nanonymity_min = 5')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_markdown_cell(f"# {stage}"),
                    nbformat.v4.new_code_cell("print(company)")]
        nbformat.write(nb, folder / STAGES[stage].notebook)
    return folder


def test_a_pdf_batch_of_three_companies_launches_one_browser_per_worker_process(
        counted_chromium: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alignkit.factory.batch import worker_processes

    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(tiny_notebooks(tmp_path / "nb")))
    workspace = Path(os.environ["ALIGNKIT_WORKSPACE"])
    result = render_batch(workspace, out_dir=tmp_path / "out", formats=["html", "pdf"],
                          workers=1, force=True)
    assert result.counts["ok"] == len(result.entries) >= 6
    pdfs = sorted((tmp_path / "out").glob("*/*.pdf"))
    assert len({p.parent.name for p in pdfs}) >= 3 and len(pdfs) == result.counts["ok"]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    # with a core to spare, one worker runs as two processes (one prints while the other runs
    # the next report's cells); each launches one browser for all of its reports, never one
    # per report
    assert 1 <= len(launched(counted_chromium)) <= worker_processes(1) < len(pdfs)
    assert wait_gone(launched(counted_chromium)) == []  # closed with its worker


# -- the demo company's four reports, printed ----------------------------------------------------
@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("printed")
    result = render_batch(Path(os.environ["ALIGNKIT_WORKSPACE"]), out_dir=out,
                          companies=[COMPANY], formats=["html", "pdf"], workers=1, force=True)
    assert result.counts["ok"] == 4, result.entries
    return {stage: out / COMPANY / f"{stage}.pdf" for stage in STAGES}


@pytest.mark.parametrize("stage", list(STAGES))
def test_no_page_is_half_empty_unless_the_next_figure_could_not_fit(
        printed: dict[str, Path], stage: str) -> None:
    reader = pypdf.PdfReader(printed[stage])
    marks = [page_marks(reader, page) for page in reader.pages]
    assert len(marks) >= 2 and all(marks)
    for number, (page, following) in enumerate(zip(marks, marks[1:], strict=False), start=1):
        if fill(page) >= 0.5:
            continue
        room = (1 - fill(page)) * PRINTABLE
        depth = opening_figure_depth(following)
        assert depth > room, (
            f"{stage} page {number} is {fill(page):.0%} full and what opens page {number + 1} "
            f"({depth:.0f} pt down to the end of its first figure) would fit its {room:.0f} pt")


FOOTER = re.compile(r"Confidential: prepared for .*? Generated by alignkit \S+ Page (\d+) of (\d+)$")


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_page_has_content_above_the_footer_and_none_ends_on_a_heading(
        printed: dict[str, Path], stage: str) -> None:
    texts = page_texts(printed[stage])
    for number, text in enumerate(texts, start=1):
        footer = FOOTER.search(text)
        assert footer, f"{stage} page {number} lacks the footer: {text[-160:]!r}"
        assert footer.groups() == (str(number), str(len(texts)))
        assert len(text[:footer.start()].split()) > 12, f"{stage} page {number} holds only the footer"
    headings = [h for h in re.findall(r"^## (.+)$", _notebook_markdown(stage), re.M)
                if "{" not in h]
    for number, text in enumerate(texts[:-1], start=1):
        body = text[:FOOTER.search(text).start()].strip()
        for heading in headings:
            assert not body.endswith(heading), f"{stage} page {number} ends on {heading!r}"


def test_the_footer_line_is_printed_as_text_never_as_markup() -> None:
    reader = _print('<html><body><main><p>Body</p></main><footer class="ak-footer">'
                    "Confidential: prepared for &lt;b&gt;Acme &amp; Co&lt;/b&gt;.</footer></body></html>")
    text = " ".join(unicodedata.normalize("NFKC", reader.pages[0].extract_text()).split())
    assert "<b>Acme & Co</b>" in text and "Page 1 of 1" in text
    assert text.count("Confidential") == 1  # moved to the foot of the page, not printed twice


def _notebook_markdown(stage: str) -> str:
    import nbformat

    from alignkit.report.render import notebooks_dir

    nb = nbformat.read(notebooks_dir() / STAGES[stage].notebook, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


# -- what the printer measures ---------------------------------------------------------------------
def _svg_img(width: int, height: int) -> str:
    import base64

    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#1F5F8B"/></svg>')
    return ('<div class="jp-RenderedSVG jp-OutputArea-output"><img src="data:image/svg+xml;base64,'
            f'{base64.b64encode(svg.encode()).decode()}" style="max-width: 100%; height: auto"></div>')


def _print(html: str) -> pypdf.PdfReader:
    import io

    printer = PdfPrinter()
    try:
        return pypdf.PdfReader(io.BytesIO(printer.print_pdf(html)))
    finally:
        printer.close()


def test_a_chart_taller_than_a_page_is_shrunk_onto_one_page() -> None:
    reader = _print(f"<html><body><h2>A tall chart</h2>{_svg_img(600, 2400)}</body></html>")
    assert len(reader.pages) == 1
    drawn = [m for m in page_marks(reader, reader.pages[0]) if m.drawing]
    assert drawn and 0.8 * PRINTABLE < max(m.top for m in drawn) - min(m.bottom for m in drawn)


def test_a_table_wider_than_the_paper_is_scaled_to_its_width() -> None:
    cells = "".join(f'<td style="white-space: nowrap">column number {i} of many</td>'
                    for i in range(12))
    reader = _print('<html><body><div style="overflow: hidden">'
                    f"<table><tr>{cells}<td>LASTCELL</td></tr></table></div></body></html>")
    starts: list[float] = []

    def text(shown: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if "LASTCELL" in shown:
            starts.append(_multiply(tm, cm)[4])

    reader.pages[0].extract_text(visitor_text=text)
    right = 595.28 - float(PRINT_MARGINS["right"].removesuffix("mm")) * MM
    assert starts and starts[0] < right - 20
