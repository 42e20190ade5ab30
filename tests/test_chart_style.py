"""The shared chart helpers: row labels and row grid lines drawn without ticks, text widths."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from alignkit.charts import style as chart_style
from alignkit.charts.style import ROW_LABEL, row_grid, row_labels, style_axes, text_width

LABELS = ["Shared goals and\ntargets", "Lead hand-off process", "Mutual respect and trust",
          "Leadership commitment\nto alignment"]


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _axes(grid: str | None = None) -> tuple[Figure, object]:
    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.add_axes((0.45, 0.1, 0.5, 0.8))
    style_axes(ax, grid=grid)
    ax.set_ylim(len(LABELS) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    return fig, ax


@pytest.mark.parametrize("pad", [6, 4])
def test_row_labels_look_exactly_like_tick_labels(pad: float) -> None:
    ticked, ax = _axes()
    ax.tick_params(axis="y", pad=pad)
    ax.set_yticks(range(len(LABELS)), LABELS)
    written, ax = _axes()
    row_labels(ax, range(len(LABELS)), LABELS, pad=pad)
    assert np.array_equal(_pixels(ticked), _pixels(written))
    assert list(ax.get_yticks()) == []
    assert [t.get_text() for t in ax.texts if t.get_label() == ROW_LABEL] == LABELS


def test_row_grid_looks_exactly_like_the_y_grid() -> None:
    ticked, ax = _axes(grid="both")
    ax.set_yticks(range(len(LABELS)), LABELS)
    written, ax = _axes(grid="x")
    row_labels(ax, range(len(LABELS)), LABELS)
    row_grid(ax, range(len(LABELS)))
    assert np.array_equal(_pixels(ticked), _pixels(written))


def _measured(text: str, size: float, weight: str) -> float:
    """Width in inches measured on a fresh figure, without any cache."""
    fig = Figure(dpi=100)
    renderer = FigureCanvasAgg(fig).get_renderer()
    return fig.text(0, 0, text, fontsize=size, fontweight=weight).get_window_extent(
        renderer).width / fig.dpi


@pytest.mark.parametrize(("size", "weight"), [(10, "normal"), (10, "bold"), (12.5, "normal")])
def test_text_width_is_the_widest_rendered_text(size: float, weight: str) -> None:
    texts = LABELS + ["gap \u22120.3 (90% CI \u22120.5 to \u22120.01)"]
    expected = max(_measured(text, size, weight) for text in texts)
    assert text_width(texts, size, weight) == expected
    assert text_width(texts, size, weight) == expected  # again, now from the cache
    # each kind on its own: lines, an escaped dollar, math text, a glyph from a fallback font
    for text in ("Leadership & other\nn=7", "A much longer first line\nshort", "\nn=12",
                 r"Spend \$1.2M", r"$x^2$ of $y$", "Ω ≥ 3 · Level 2 ✓"):
        assert text_width([text], size, weight) == _measured(text, size, weight), text


def test_text_width_measures_each_text_once() -> None:
    text = "A label measured only once"
    text_width([text])
    before = chart_style._pixel_width.cache_info()
    assert text_width([text, text]) == text_width([text])
    after = chart_style._pixel_width.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 3


def test_text_width_of_nothing_is_zero() -> None:
    assert text_width([]) == 0.0
