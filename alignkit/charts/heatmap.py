"""The heatmap of the Identify report: mean score per dimension and group.

Re-exported by :mod:`alignkit.charts.identify` as ``charts.heatmap``. Hidden groups are
hatched placeholders without a value; see :mod:`alignkit.charts.identify` for the
conventions every chart follows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.charts.insight_text import ALPHA_MARK
from alignkit.charts.style import (
    FIG_WIDTH,
    INK,
    MUTED,
    SCORE_CMAP,
    SCORE_COLUMNS,
    SCORE_NORM,
    group_info,
    hidden_note,
    labelled_axes,
    rect,
    require_columns,
    row_labels,
    team_colour,
    team_label,
    wrap,
)

__all__ = ["heatmap"]

NO_DATA = "#EEF0F1"  # cell of a shown group without answers


def _contrast(colour: tuple) -> str:
    r, g, b = to_rgb(colour)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else INK


def heatmap(dimension_scores: pd.DataFrame, *, title: str = "Alignment by dimension and team",
            anonymity_min: int = DEFAULT_THRESHOLD, sizes: pd.DataFrame | None = None,
            flags: Mapping[str, float] | None = None) -> Figure:
    """Mean score per dimension (rows, instrument order) and group (columns).

    Parameters
    ----------
    dimension_scores
        Long frame: ``dimension``, ``dimension_name``, ``group``, ``n``, ``mean``,
        ``favourable``, ``suppressed``.
    title, anonymity_min
        Chart title; anonymity threshold quoted in suppressed groups' headers.
    sizes
        The wave's group sizes (``group, n``, as :attr:`WaveScores.sizes`): when
        given, each header states the group's number of respondents, the same
        figure every other chart of the report states (a cell may count fewer:
        those who answered that dimension).
    flags
        Dimension -> Cronbach's alpha of the dimensions to mark as measured
        unreliably (:func:`alignkit.charts.insight_text.alpha_flags`); each gets
        :data:`~alignkit.charts.insight_text.ALPHA_MARK` and the subtitle says why.

    Returns
    -------
    Figure
        Columns overall, sales, marketing, leadership, other (those present). Suppressed
        cells are hatched and blank; a group hidden throughout says why in its header.
    """
    require_columns(dimension_scores, SCORE_COLUMNS, "dimension_scores")
    dims = dimension_scores.drop_duplicates("dimension")
    info = group_info(dimension_scores)
    if sizes is not None and len(sizes):
        people = sizes.drop_duplicates("group").set_index("group")["n"]
        info["n"] = [float(people.get(g, n)) for g, n in info["n"].items()]
    grid = (dimension_scores.set_index(["dimension", "group"])[["mean", "suppressed"]].unstack()
            .reindex(index=dims["dimension"]))
    values = np.array(grid["mean"].reindex(columns=info.index), dtype=float)
    hidden = grid["suppressed"].reindex(columns=info.index).eq(True).to_numpy()
    values[hidden] = np.nan
    flags = flags or {}
    labels = [wrap(name) + (f" {ALPHA_MARK}" if dim in flags else "")
              for dim, name in zip(dims["dimension"], dims["dimension_name"], strict=True)]
    subtitle = ("Each cell is a team's average score on the 1\u20135 scale: teal is agreement, red "
                "is disagreement, cream is neutral (3). " + _hidden_text(info, hidden,
                                                                        anonymity_min))
    if any(dim in flags for dim in dims["dimension"]):
        subtitle += (f" {ALPHA_MARK} Cronbach's alpha below 0.6: the facet's statements did not "
                     "move together, so read its scores with care (see the appendix).")
    fig, ax = labelled_axes(title, subtitle, labels, row=0.42, top=0.5, bottom=1.05,
                             max_width=1.35 * len(info))
    _draw_cells(ax, values, hidden)
    _heatmap_axes(ax, labels, info, anonymity_min)
    _colour_bar(fig, ax)
    return fig


def _hidden_text(info: pd.DataFrame, hidden: np.ndarray, anonymity_min: int) -> str:
    """What the hatching means: a team left out of every figure, or single hidden cells."""
    small = [team_label(g) for g, row in info.iterrows() if row.suppressed and row.n < anonymity_min]
    cells = hidden[:, ~info["suppressed"].to_numpy()].any()
    text = []
    if small:
        text.append(f"{' and '.join(small)}: fewer than {anonymity_min} respondents, so their "
                    "answers are left out of every figure, All respondents included.")
    if cells or not small:
        text.append("Hatched cells are hidden to protect the anonymity of small groups (fewer "
                    f"than {anonymity_min} respondents).")
    return " ".join(text)


def _group_colour(group: str) -> str:
    """A team's colour; a pool of small teams (``leadership & other``) takes its first team's."""
    return team_colour(str(group).split(" & ")[0])


def _colour_bar(fig: Figure, ax: Axes) -> None:
    """Horizontal 1-5 colour key under the heatmap, left-aligned with it."""
    left, _, width, _ = ax.get_position().bounds
    cax = fig.add_axes(rect(fig, left * FIG_WIDTH, 0.62, min(width * FIG_WIDTH, 4.5), 0.14))
    bar = fig.colorbar(ScalarMappable(SCORE_NORM, SCORE_CMAP), cax=cax,
                       orientation="horizontal", ticks=[1, 2, 3, 4, 5])
    bar.outline.set_visible(False)
    bar.set_label("Mean score (1 = strongly disagree, 5 = strongly agree)", fontsize=10,
                  color=MUTED)
    cax.tick_params(labelsize=9.5, length=0, labelcolor=INK)


def _draw_cells(ax: Axes, values: np.ndarray, hidden: np.ndarray) -> None:
    """Coloured cells with their means; hidden cells are hatched placeholders without text.

    Each style of cell is one collection rather than one patch per cell, which is much
    cheaper to build and to render; the axes limits are set by :func:`_heatmap_axes`.
    """
    colours = SCORE_CMAP(SCORE_NORM(values))
    colours[np.isnan(values)] = to_rgba(NO_DATA)
    shown = ~hidden
    ax.add_collection(PolyCollection(_cell_corners(shown), facecolors=colours[shown],
                                     edgecolors="none", linewidths=0), autolim=False)
    if hidden.any():  # no value and no text, only a hatched placeholder
        ax.add_collection(PolyCollection(_cell_corners(hidden), facecolors="#F3F4F5",
                                         edgecolors="#D3D8DB", linewidths=0, hatch="///"),
                          autolim=False)
    for (i, j), value in np.ndenumerate(values):
        if not hidden[i, j]:
            missing = bool(np.isnan(value))
            ax.text(j + 0.5, i + 0.5, "\u2013" if missing else f"{value:.1f}", ha="center",
                    va="center", fontsize=10.5,
                    color=MUTED if missing else _contrast(tuple(colours[i, j])))


def _cell_corners(mask: np.ndarray) -> np.ndarray:
    """Corners (x, y) of a slightly inset unit square per ``True`` cell of ``mask``.

    Cell (row i, column j) spans x from j and y from i; shape ``(cells, 4, 2)``.
    """
    gap = 0.03
    side = 1 - 2 * gap
    rows, cols = np.nonzero(mask)
    x0, y0 = cols + gap, rows + gap
    x1, y1 = x0 + side, y0 + side
    return np.stack([np.column_stack(corner) for corner in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))],
                    axis=1)


def _heatmap_axes(ax: Axes, labels: list[str], info: pd.DataFrame, anonymity_min: int) -> None:
    ax.set_xlim(0, len(info))
    ax.set_ylim(len(labels), 0)
    ax.tick_params(labelsize=10, labelcolor=INK, length=0, pad=4)  # before ticks exist: cheaper
    row_labels(ax, np.arange(len(labels)) + 0.5, labels, pad=4)
    headers = [f"{team_label(g)}\n" + (hidden_note(row.n, anonymity_min, short=True)
                                         if row.suppressed else f"n={int(row.n)}")
               for g, row in info.iterrows()]
    ax.set_xticks(np.arange(len(info)) + 0.5, headers)
    ax.xaxis.tick_top()
    for tick, (group, row) in zip(ax.get_xticklabels(), info.iterrows(), strict=True):
        tick.set_color("#9AA0A4" if row.suppressed else _group_colour(group))
        tick.set_fontweight("normal" if row.suppressed else "bold")
    ax.spines[:].set_visible(False)
