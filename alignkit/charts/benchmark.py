"""Where one client stands among the consultancy's clients (Identify's benchmark section).

One row per published figure: a band from the clients' 25th to 75th percentile, a
lighter band on to the 90th, a tick at the median and the company's own value as a
dot. The alignment index (0–100) has a small panel of its own above the facets
(1–5). Only what :func:`alignkit.analysis.benchmarks.company_position` returns is
drawn: the published percentiles and this company's own values, never another
client's.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from alignkit.analysis.benchmarks import INDEX
from alignkit.charts.style import (
    FIG_WIDTH,
    INK,
    MARGIN,
    MUTED,
    message_figure,
    new_figure,
    rect,
    row_grid,
    row_labels,
    style_axes,
    text_width,
    wrap,
)

__all__ = ["benchmark_chart"]

_MID, _TOP, _DOT = "#9CC9C0", "#D7EAE6", "#1F5F8B"
_ROW = 0.36


def benchmark_chart(position: pd.DataFrame, *, companies: str,
                    scale: tuple[float, float] = (1.0, 5.0)) -> Figure:
    """Dot-on-band chart of a company's values among the published percentiles.

    Parameters
    ----------
    position
        :func:`~alignkit.analysis.benchmarks.company_position`: ``figure, label, value,
        position, p25, p50, p75, p90``.
    companies
        The band of contributing clients (``Benchmark.companies``, e.g. ``"5–9"``).
    scale
        The answer scale of the facets.
    """
    title = "Where you stand among the clients"
    if position.empty:
        return message_figure(title, "No benchmark figure is published.")
    index = position[position["figure"] == INDEX]
    dims = position[position["figure"] != INDEX]
    subtitle = (f"Each row shows the spread of the latest survey of {companies} clients "
                "(each client counts once): the dark band holds the middle half of them, the "
                "light band runs on to the 90th percentile (shown from ten clients on), the "
                "tick marks the median. The dot is this company.")
    labels = [wrap(str(v), 38) for v in dims["label"]] or [""]
    index_h = 0.55 if len(index) else 0.0
    body = _ROW * len(dims) + (index_h + 0.75 if len(index) else 0.0)
    fig = new_figure(title, subtitle, body, top=0.15, bottom=0.75)
    left = MARGIN + text_width(labels + ["Alignment index (0–100)"]) + 0.2
    width = FIG_WIDTH - left - MARGIN - 0.2
    if len(index):
        ax = fig.add_axes(rect(fig, left, 0.75 + _ROW * len(dims) + 0.75, width, index_h))
        _rows(ax, index.assign(label="Alignment index (0–100)"), (0.0, 100.0))
        ax.set_xticks(range(0, 101, 20))
    if len(dims):
        ax = fig.add_axes(rect(fig, left, 0.75, width, _ROW * len(dims)))
        _rows(ax, dims.assign(label=labels), scale)
        ax.set_xlabel("Average score (1 = strongly disagree, 5 = strongly agree)", fontsize=10,
                      color=INK)
    return fig


def _rows(ax: Axes, rows: pd.DataFrame, limits: tuple[float, float]) -> None:
    style_axes(ax, grid="x")
    n = len(rows)
    ax.set_xlim(*limits)
    ax.set_ylim(n - 0.5, -0.5)
    positions = list(range(n))
    row_grid(ax, positions)
    row_labels(ax, positions, rows["label"].tolist())
    for y, row in enumerate(rows.itertuples(index=False)):
        p25, p50, p75, p90 = (float(getattr(row, f"p{p}")) for p in (25, 50, 75, 90))
        if math.isfinite(p90):  # withheld below ten clients: it would be the top client's own
            ax.barh(y, p90 - p75, left=p75, height=0.5, color=_TOP, zorder=2)
        ax.barh(y, p75 - p25, left=p25, height=0.5, color=_MID, zorder=2)
        ax.plot([p50, p50], [y - 0.3, y + 0.3], color=INK, linewidth=1.6, zorder=3)
        value = float(row.value)
        if math.isfinite(value):
            ax.scatter([value], [y], s=60, color=_DOT, edgecolors="white", linewidths=1,
                       zorder=4)
        else:
            ax.text(limits[1], y, "no figure of its own", ha="right", va="center", fontsize=9,
                    color=MUTED)
