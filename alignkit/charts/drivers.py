"""The impact × score chart of the driver view (Identify's "what moves" section).

Each facet is a dot: across, its score on the 1–5 scale; up, its importance for the
outcome statement (its part of R² by general dominance, :mod:`alignkit.analysis.drivers`)
with the bootstrap interval as a vertical line. The two split lines are the ones the
driver view itself uses (importance at an equal share of R², score at
:data:`~alignkit.analysis.drivers.SCORE_SPLIT`), so a dot's quadrant is always the
``quadrant`` of its table row. Labels are placed one by one where they overlap no
other label, dot or the plot's edge; a label that finds no place becomes a number
explained under the chart.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alignkit.analysis.drivers import SCORE_SPLIT, Drivers, importance_split
from alignkit.charts.style import (
    FIG_WIDTH,
    INK,
    MARGIN,
    MUTED,
    message_figure,
    new_figure,
    rect,
    style_axes,
    text_width,
    wrap,
)

__all__ = ["POINT_LABEL_WIDTH", "QUADRANT_COLOURS", "driver_source_words", "quadrant_chart"]

#: Characters per line of a dimension's name beside its dot in the quadrant chart.
POINT_LABEL_WIDTH = 26

#: Dot colour per quadrant: focus areas stand out, the rest stay quiet.
QUADRANT_COLOURS = {"focus area": "#B2352B", "strength": "#17706A", "maintain": "#72B7AC",
                    "lower priority": "#9AA3A8"}
_CORNERS = (("Focus areas", "high impact, low score", "left", "top", "focus area"),
            ("Strengths", "high impact, high score", "right", "top", "strength"),
            ("Lower priority", "lower impact, low score", "left", "bottom", "lower priority"),
            ("Maintain", "lower impact, high score", "right", "bottom", "maintain"))
_BODY, _BOTTOM, _BAND, _LABEL_SIZE = 5.6, 1.0, 0.45, 8.5


def driver_source_words(drivers: Drivers) -> str:
    """Whose answers the driver view was computed from, in a few words."""
    if drivers.source == "company":
        return "this company's own answers"
    return "the pooled answers of all clients in the workspace"


def quadrant_chart(drivers: Drivers) -> Figure:
    """Impact × score quadrant of every facet, or a small figure saying why there is none.

    Parameters
    ----------
    drivers
        The driver view (:func:`alignkit.analysis.drivers.load_drivers`).

    Returns
    -------
    Figure
        Title and subtitle state the source (this company or the pool of all
        clients), n and R²; dots are coloured by quadrant.
    """
    title = "Impact and score of each facet"
    if not drivers.available or drivers.table.empty:
        return message_figure(title, "No driver view for this survey: too few complete answers.")
    table = drivers.table.dropna(subset=["importance", "score"]).reset_index(drop=True)
    y_split = importance_split(drivers.table["importance"].to_numpy(float))
    source = ("this company's own answers" if drivers.source == "company" else
              "the pooled answers of all clients in the workspace (this company has too few "
              "complete answers of its own); the dots sit at this company's scores")
    subtitle = (f"Computed from {source}: n = {drivers.n} people, R² = {drivers.r2:.2f}. Up: how "
                "much of R² each facet accounts for (general dominance), with its 95% bootstrap "
                "interval. Across: its score. High impact means more than an equal share of R² "
                f"(the dashed line at {y_split:.3f}); a high score is {SCORE_SPLIT} or more.")
    fig = new_figure(title, subtitle, _BODY, top=0.15, bottom=_BOTTOM)
    left, right = MARGIN + 0.75, MARGIN + 0.1
    width = FIG_WIDTH - left - right
    ax = fig.add_axes(rect(fig, left, _BOTTOM, width, _BODY))
    style_axes(ax)
    x, y = table["score"].to_numpy(float), table["importance"].to_numpy(float)
    low, high = table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float)
    x_lo = min(float(np.nanmin(x)), SCORE_SPLIT) - 0.35
    x_hi = max(float(np.nanmax(x)), SCORE_SPLIT) + 0.35
    y_top = max(float(np.nanmax(y)) * 1.45, y_split * 2.5, 0.01)
    ax.set_xlim(x_lo, x_hi)
    # a band below zero holds the two lower quadrant names, clear of every dot and interval
    ax.set_ylim(-y_top * _BAND / (_BODY - _BAND), y_top)
    ax.yaxis.set_major_locator(MaxNLocator(6))
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= y_top])
    _quadrant_shading(ax, y_split, y_top)
    cut = _intervals(ax, x, low, high, y_top)
    colours = [QUADRANT_COLOURS.get(q, MUTED) for q in table["quadrant"]]
    ax.scatter(x, y, s=46, c=colours, edgecolors="white", linewidths=0.8, zorder=4)
    ax.set_xlabel("Score (1 = strongly disagree, 5 = strongly agree)", fontsize=10, color=INK)
    ax.set_ylabel("Importance (part of R²)", fontsize=10, color=INK)
    key = _labels(fig, ax, table["dimension_name"].tolist(), x, y, (width, _BODY))
    notes = []
    if cut:
        notes.append("▲ the interval runs on above the chart.")
    if key:
        notes.append("  ".join(f"{k}: {name}" for k, name in key))
    if notes:
        fig.text(MARGIN / FIG_WIDTH, 0.08 / fig.get_figheight(), wrap("  ".join(notes), 150),
                 ha="left", va="bottom", fontsize=8.5, color=MUTED)
    return fig


def _quadrant_shading(ax: Axes, y_split: float, y_top: float) -> None:
    """Split lines, a pale focus-area corner and the four quadrant names in the corners."""
    x_lo, x_hi = ax.get_xlim()
    ax.axvline(SCORE_SPLIT, color=MUTED, linewidth=1, linestyle=(0, (4, 3)), zorder=1)
    ax.axhline(y_split, color=MUTED, linewidth=1, linestyle=(0, (4, 3)), zorder=1)
    ax.fill_between([x_lo, SCORE_SPLIT], y_split, y_top, color="#FBEDEA", zorder=0)
    for name, words, ha, va, quadrant in _CORNERS:
        px = 0.012 if ha == "left" else 0.988
        py = 0.985 if va == "top" else 0.02
        ax.text(px, py, f"{name}\n{words}" if va == "top" else f"{words}\n{name}",
                transform=ax.transAxes, ha=ha, va=va, fontsize=9, linespacing=1.3,
                color=QUADRANT_COLOURS[quadrant] if quadrant != "lower priority" else MUTED,
                fontweight="bold" if quadrant == "focus area" else "normal", zorder=2)


def _intervals(ax: Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray,
               y_top: float) -> bool:
    """The bootstrap intervals as thin vertical lines; True when one runs off the top."""
    cut = False
    for xi, lo, hi in zip(x, low, high, strict=True):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        ax.plot([xi, xi], [lo, min(hi, y_top)], color="#C4CACD", linewidth=1.1, zorder=3,
                solid_capstyle="butt")
        if hi > y_top:
            cut = True
            ax.text(xi, y_top, "▲", ha="center", va="top", fontsize=7, color="#8A9297",
                    zorder=3)
    return cut


def _labels(fig: Figure, ax: Axes, names: list[str], x: np.ndarray, y: np.ndarray,
            size: tuple[float, float]) -> list[tuple[int, str]]:
    """Place each name by its dot where it overlaps nothing placed; returns numbered leftovers."""
    width, height = size
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    px = (x - x_lo) / (x_hi - x_lo) * width  # dots in inches from the axes' corner
    py = (y - y_lo) / (y_hi - y_lo) * height
    dot = 0.07
    taken = [(a - dot, b - dot, a + dot, b + dot) for a, b in zip(px, py, strict=True)]
    # The corner texts are furniture too: keep labels off them.
    corner_w, corner_h = 1.75, 0.42
    taken += [(0, height - corner_h, corner_w, height), (width - corner_w, height - corner_h,
              width, height), (0, 0, corner_w, corner_h), (width - corner_w, 0, width, corner_h)]
    line = _LABEL_SIZE / 72 * 1.25
    key: list[tuple[int, str]] = []
    for i in np.argsort(-y, kind="stable"):
        text = wrap(names[i], POINT_LABEL_WIDTH)
        w = text_width(text.split("\n"), _LABEL_SIZE) + 0.04
        h = line * (text.count("\n") + 1)
        spot = _free_spot(px[i], py[i], w, h, taken, width, height)
        if spot is None:
            text, w, h = str(len(key) + 1), text_width(["99"], _LABEL_SIZE), line
            spot = _free_spot(px[i], py[i], w, h, taken, width, height)
            key.append((len(key) + 1, names[i]))
            if spot is None:
                spot = (px[i] + 0.08, py[i] - h / 2)
        sx, sy = spot
        taken.append((sx, sy, sx + w, sy + h))
        # A label set away from its dot gets a thin leader line to the nearest edge.
        ex, ey = min(max(px[i], sx), sx + w), min(max(py[i], sy), sy + h)
        if math.hypot(ex - px[i], ey - py[i]) > 0.16:
            ax.plot([x[i], x_lo + ex / width * (x_hi - x_lo)],
                    [y[i], y_lo + ey / height * (y_hi - y_lo)], color="#8A9297",
                    linewidth=0.6, zorder=4.5)
        ax.text(x_lo + sx / width * (x_hi - x_lo), y_lo + (sy + h / 2) / height * (y_hi - y_lo),
                text, ha="left", va="center", fontsize=_LABEL_SIZE, color=INK, linespacing=1.1,
                zorder=5, bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none",
                                "pad": 0.6})
    return key


def _free_spot(px: float, py: float, w: float, h: float, taken: list[tuple[float, ...]],
               width: float, height: float) -> tuple[float, float] | None:
    """Lower-left corner of the first candidate box by the dot that is free and inside."""
    gap = 0.1
    candidates = [(px + gap, py - h / 2), (px - gap - w, py - h / 2),
                  (px - w / 2, py + gap), (px - w / 2, py - gap - h),
                  (px + gap, py + 0.02), (px + gap, py - h - 0.02),
                  (px - gap - w, py + 0.02), (px - gap - w, py - h - 0.02)]
    for step in (0.18, 0.36, 0.54):
        candidates += [(px + gap, py - h / 2 + step), (px + gap, py - h / 2 - step),
                       (px - gap - w, py - h / 2 + step), (px - gap - w, py - h / 2 - step)]
    for sx, sy in candidates:
        if sx < 0 or sy < 0 or sx + w > width or sy + h > height:
            continue
        if all(sx + w <= a or sx >= c or sy + h <= b or sy >= d for a, b, c, d in taken):
            return sx, sy
    return None
