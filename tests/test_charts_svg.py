"""Charts' SVG: text as outlines, worked out once per process, the same bytes as matplotlib's own."""

from __future__ import annotations

import io

import matplotlib

from alignkit.charts import style
from alignkit.charts.svg import cache_sizes


def _chart(title: str) -> matplotlib.figure.Figure:
    fig, ax = style.labelled_axes(title, "How to read this: bars show the share agreeing.",
                                  ["Sales", "Marketing", "Überall — 100 %"], row=0.4, top=0.3,
                                  bottom=0.5)
    ax.barh([0, 1, 2], [0.2, 0.5, 0.9], color=style.TEAM_COLOURS["sales"])
    style.row_labels(ax, [0, 1, 2], ["Sales", "Marketing", "Überall — 100 %"])
    ax.text(0.5, 1.5, "mississippi 0.5", fontsize=9, fontweight="bold", rotation=30)
    return fig


def _svg(fig: matplotlib.figure.Figure, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches=None, metadata={"Date": None}, **kwargs)
    return buffer.getvalue()


def test_cached_svg_is_byte_identical_to_matplotlibs_own_cold_and_warm() -> None:
    title = "A title never drawn before in this process: qxz 7 ♦"
    plain = _svg(_chart(title), backend="svg")  # matplotlib's own SVG backend
    before = cache_sizes()
    cold = _svg(_chart(title))  # the registered alignkit backend, first time for these strings
    after = cache_sizes()
    warm = _svg(_chart(title))
    assert after["layouts"] > before["layouts"]  # it did go through the cache
    assert cache_sizes() == after  # the second time, nothing new was worked out
    assert cold == plain
    assert warm == plain


def test_text_stays_outlines_without_fonts_needed() -> None:
    svg = _svg(_chart("Outlines only")).decode("utf-8")
    assert "<text" not in svg and "font-family" not in svg
    assert svg.count("<use ") > 20 and '<path id="DejaVuSans' in svg


def test_strings_laid_out_ahead_are_drawn_from_the_cache_with_the_same_bytes() -> None:
    from alignkit.charts.svg import lay_out

    labels = ["A label laid out ahead: wq 3.71", "n=713 ahead"]

    def chart(with_labels: bool = True) -> matplotlib.figure.Figure:
        fig, ax = style.labelled_axes("Ahead", "", ["x"], row=0.4, top=0.3, bottom=0.5)
        if with_labels:
            ax.text(0.1, 0.2, labels[0], fontsize=9)
            ax.text(0.1, 0.6, labels[1], fontsize=12, fontweight="bold")
        return fig

    plain = _svg(chart(), backend="svg")
    _svg(chart(with_labels=False))  # everything else on the chart is in the cache now
    lay_out(labels[:1])
    lay_out(labels[1:], "bold")
    ahead = cache_sizes()
    cached = _svg(chart())
    after = cache_sizes()
    assert (after["extents"], after["layouts"]) == (ahead["extents"], ahead["layouts"])  # no layout
    assert after["layouts"] > 0
    assert cached == plain


def test_one_string_at_several_depths_colours_and_sizes_keeps_matplotlibs_bytes() -> None:
    from alignkit.charts.svg import cache_sizes

    def chart() -> matplotlib.figure.Figure:
        fig, ax = style.labelled_axes("Depths", "", ["x"], row=0.4, top=0.3, bottom=0.5)
        for where in (fig, ax):  # a figure's text sits less deep in the document than an axes'
            where.text(0.2, 0.3, "Same words, twice", fontsize=8, color="#c0392b", alpha=0.5)
            where.text(0.2, 0.6, "Same words, twice", fontsize=14, rotation=90)
        ax.set_title("Same words, twice")
        return fig

    plain = _svg(chart(), backend="svg")
    first = _svg(chart())
    runs = cache_sizes()["uses"]
    again = _svg(chart())
    assert first == plain and again == plain
    assert cache_sizes()["uses"] == runs  # the second figure wrote every run from the cache


def test_a_new_string_of_known_glyphs_reads_no_outline_and_draws_matplotlibs_bytes() -> None:
    from alignkit.charts.svg import cache_sizes, lay_out

    lay_out(["gap −0.4 (95% CI −0.8 to +0.1)"])
    before = cache_sizes()
    lay_out(["gap +0.1 (95% CI −0.4 to +0.8)"])  # other words, the same glyphs
    after = cache_sizes()
    assert after["layouts"] == before["layouts"] + 1 and after["outlines"] == before["outlines"]

    def chart() -> matplotlib.figure.Figure:
        fig, ax = style.labelled_axes("Known glyphs", "", ["x"], row=0.4, top=0.3, bottom=0.5)
        ax.text(0.1, 0.5, "gap +0.1 (95% CI −0.4 to +0.8) and 8.0 to 4.1", fontsize=9)
        return fig

    assert _svg(chart()) == _svg(chart(), backend="svg")


def _outline_digest(font: object, glyphs: range) -> str:
    import hashlib

    from matplotlib.ft2font import LoadFlags

    digest = hashlib.sha256()
    font.set_size(100, 72)
    for glyph in glyphs:
        font.load_glyph(glyph, flags=LoadFlags.NO_HINTING)
        vertices, codes = font.get_path()
        digest.update(vertices.tobytes() + codes.tobytes())
    return digest.hexdigest()


def test_fonts_read_from_memory_are_matplotlibs_fonts_and_safe_in_forked_children() -> None:
    import os

    from matplotlib.font_manager import FontProperties, fontManager, get_font

    from alignkit.charts.svg import font_for

    files = tuple(fontManager._find_fonts_by_props(FontProperties()))
    font = font_for(files)
    assert font_for(files) is font  # kept for the process
    glyphs = range(1, 1500)
    expected = _outline_digest(get_font(list(files)), glyphs)  # matplotlib's own, from the file
    assert _outline_digest(font, glyphs) == expected
    # Two forked children use the inherited font at once. A font reading its file shares the
    # file's position with the other process, and FreeType then reads the wrong bytes.
    results = []
    children = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                same = font_for(files) is font and all(
                    _outline_digest(font, glyphs) == expected for _ in range(5))
                os.write(write, b"ok" if same else b"differs")
            except BaseException as err:  # noqa: BLE001
                os.write(write, repr(err).encode()[:200])
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    for pid, read in children:
        with os.fdopen(read, "rb") as fh:
            results.append(fh.read().decode())
        os.waitpid(pid, 0)
    assert results == ["ok", "ok"]
