"""Charts for alignkit's per-company reports.

Each public function takes a frame from the scoring module and returns a
:class:`matplotlib.figure.Figure` built without pyplot, so no backend is needed and
nothing leaks between reports; nothing is shown or saved here. All charts are 10 in
wide, with a bold left-aligned title, a grey "how to read this" line and the team
palette :data:`TEAM_COLOURS`. Suppressed groups (below the anonymity threshold) are
never drawn, whatever values their rows carry. The heatmap lives in
:mod:`alignkit.charts.heatmap` and is available here as :func:`heatmap`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.analysis.uncertainty import HOLM_MARK, LEVEL, clear_flags, excludes_zero, holm_note
from alignkit.charts.heatmap import heatmap
from alignkit.charts.style import (
    BAND_CMAP,
    FIG_WIDTH,
    GROUP_ORDER,
    INK,
    MARGIN,
    MUTED,
    SCALE_NAMES,
    SCORE_COLUMNS,
    TEAM_COLOURS,
    TEAM_LABELS,
    group_info,
    hidden_note,
    labelled_axes,
    message_figure,
    ordered_groups,
    require_columns,
    row_grid,
    row_labels,
    style_axes,
    team_colour,
    team_label,
    text_width,
    wrap,
)
from alignkit.text.numbers import signed

__all__ = ["BAND_LABEL_WIDTH", "TEAM_COLOURS", "TEAM_LABELS", "GROUP_ORDER",
           "heatmap", "gap_chart", "maturity_chart", "favourability_bars"]

#: Characters per line of a maturity band's name above the maturity chart.
BAND_LABEL_WIDTH = 16

_GAP_COLUMNS = ("dimension", "dimension_name", "a_mean", "b_mean", "gap", "low", "high")
_INDEX_COLUMNS = ("group", "n", "index", "level", "suppressed")


def gap_chart(perception_gaps: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Dumbbell chart of two teams' mean per dimension, largest absolute gap on top.

    Parameters
    ----------
    perception_gaps
        Frame with ``dimension``, ``dimension_name``, ``a_mean``, ``b_mean``, ``gap``
        (a - b), ``low``, ``high``, usually ``clear``
        (:func:`alignkit.analysis.gaps.perception_gaps`), and ``attrs`` ``{"a": team, "b": team,
        "confidence": 0.95}``. May be empty.
    title
        Chart title; default "Where <a> and <b> see things differently".

    Returns
    -------
    Figure
        Clear gaps (:mod:`alignkit.analysis.uncertainty`) are bold, the others grey; a grey gap
        whose interval excludes zero is marked and explained in a footnote. An empty
        frame gives a small figure with an explanatory message.
    """
    attrs = perception_gaps.attrs
    sides = (attrs.get("a", "sales"), attrs.get("b", "marketing"))
    la, lb = (team_label(side) for side in sides)
    title = title or f"Where {la.lower()} and {lb.lower()} see things differently"
    if perception_gaps.empty:
        return message_figure(title, "Not enough respondents in both teams to compare "
                                      "perceptions.")
    require_columns(perception_gaps, _GAP_COLUMNS, "perception_gaps")
    if "a" not in attrs or "b" not in attrs:
        raise ValueError('perception_gaps.attrs must name the two teams: {"a": ..., "b": ...}')
    order = np.argsort(-perception_gaps["gap"].abs().fillna(-1).to_numpy(), kind="stable")
    rows = perception_gaps.iloc[order]
    confidence = float(attrs.get("confidence", LEVEL))
    level = round(100 * confidence)
    notes = [_gap_note(r.gap, r.low, r.high, level, clear)
             for r, clear in zip(rows.itertuples(), clear_flags(rows), strict=True)]
    note_w = text_width([note for note, _ in notes], 10, "bold") + 0.1
    tests = attrs.get("tests", len(rows))
    rule = (f"their bootstrap p-value is below 5% after Holm adjustment for the {tests} "
            "dimensions compared" if "clear" in rows else
            f"their {level}% confidence interval does not include zero")
    subtitle = (f"Dots show each team's average score (1\u20135), largest difference first. Bold"
                f" gaps are clear: {rule}.")
    footnote = holm_note(tests, confidence) if any(HOLM_MARK in n for n, _ in notes) else ""
    fig, ax = labelled_axes(title, subtitle, [wrap(n) for n in rows["dimension_name"]],
                             row=0.48, top=0.42, bottom=1.1 if footnote else 0.85,
                             right=MARGIN + note_w + 0.3)
    _draw_dumbbells(ax, rows, sides)
    _draw_notes(fig, ax, notes, note_w, f"Gap ({la} \u2212 {lb})")
    if footnote:
        fig.text(MARGIN / FIG_WIDTH, 0.12 / fig.get_figheight(), footnote, ha="left",
                 va="bottom", fontsize=9.5, color=MUTED)
    return fig


def _draw_notes(fig: Figure, ax: Axes, notes: list, width: float, header: str) -> None:
    """The column of gap texts to the right of the dumbbells, one per row.

    The texts belong to ``ax`` (its rows) but start ``width`` + margin inches from the
    figure's right edge: no axes of their own, which would only cost time to build.
    """
    left = 1 - (MARGIN + width) / FIG_WIDTH  # figure fraction
    rows = blended_transform_factory(fig.transFigure, ax.transData)
    for y, (note, reliable) in enumerate(notes):
        ax.text(left, y, note, transform=rows, ha="left", va="center", fontsize=10,
                color=INK if reliable else "#8A9196", fontweight="bold" if reliable else "normal")
    ax.annotate(header, (left, 1), xycoords=blended_transform_factory(fig.transFigure, ax.transAxes),
                xytext=(0, 9), textcoords="offset points", va="center", fontsize=10, color=MUTED)


def _gap_note(gap: float, low: float, high: float, level: int,
              clear: bool) -> tuple[str, bool]:
    if np.isnan(low) or np.isnan(high):
        return f"gap {signed(gap, keep_small=True)}", False
    mark = f" {HOLM_MARK}" if excludes_zero(low, high) and not clear else ""
    gap_text, low_text, high_text = (signed(v, keep_small=True) for v in (gap, low, high))
    return f"gap {gap_text} ({level}% CI {low_text} to {high_text}){mark}", clear


def _draw_dumbbells(ax: Axes, rows: pd.DataFrame, sides: tuple[str, str]) -> None:
    y = np.arange(len(rows))
    means = rows["a_mean"].to_numpy(float), rows["b_mean"].to_numpy(float)
    ax.hlines(y, *means, color="#B7BEC2", linewidth=3, zorder=2)
    nudge = np.where(np.abs(means[0] - means[1]) < 0.08, 0.13, 0.0)  # keep both dots visible
    handles = [ax.scatter(x, y + sign * nudge, s=95, color=team_colour(side), edgecolor="white",
                          linewidth=1.2, zorder=3, label=team_label(side))
               for side, x, sign in zip(sides, means, (-1, 1), strict=True)]
    style_axes(ax, grid="x")  # before the ticks exist, so that each is built styled
    ax.tick_params(axis="x", labelsize=9.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, [wrap(name) for name in rows["dimension_name"]])
    row_grid(ax, y)
    ax.set_xlim(0.8, 5.2)
    ax.set_xticks([1, 2, 3, 4, 5], [f"{i}\n{name}" for i, name in enumerate(SCALE_NAMES, 1)])
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_bounds(1, 5)
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2,
              frameon=False, fontsize=10, labelcolor=INK, handletextpad=0.3,
              columnspacing=1.5, borderaxespad=0.2, borderpad=0)


def maturity_chart(alignment_index: pd.DataFrame, bands: list[dict], *,
                   title: str = "Alignment maturity", anonymity_min: int = DEFAULT_THRESHOLD) -> Figure:
    """Alignment index (0-100) of each group on a scale split into maturity bands.

    Parameters
    ----------
    alignment_index
        One row per group: ``group``, ``n``, ``index``, ``level``, ``level_name``,
        ``suppressed``.
    bands
        ``{"level": 1, "name": "Siloed", "min_index": 0}`` per level; a band runs from
        its ``min_index`` to the next band's (the last to 100).
    title, anonymity_min
        Chart title; anonymity threshold quoted in the footnote on suppressed groups.

    Returns
    -------
    Figure
        One marker row per scored group (overall first); suppressed groups get no
        marker and are named in a grey footnote.
    """
    require_columns(alignment_index, _INDEX_COLUMNS, "alignment_index")
    rows = alignment_index.set_index("group").loc[ordered_groups(alignment_index["group"])]
    hidden = rows["suppressed"].astype(bool)
    shown = rows[~hidden & rows["index"].notna()]
    if shown.empty:
        return message_figure(title, f"No group has at least {anonymity_min} respondents, "
                                      "so no alignment index is shown.")
    footnote = _maturity_footnote(rows, hidden, anonymity_min)
    subtitle = ("Each dot is a group's alignment index from 0 (siloed) to 100 (fully aligned), "
                "placed on the maturity levels.")
    labels = [f"{team_label(g)}\nn={int(r.n)}" for g, r in shown.iterrows()]
    bands = sorted(bands, key=lambda band: band["min_index"])
    top = -0.5 - (0.75 + 0.32 * max(wrap(b["name"], BAND_LABEL_WIDTH).count("\n") + 1 for b in bands))
    fig, ax = labelled_axes(title, subtitle, labels, row=0.55, top=0.0, extra=0.55 * -top,
                             bottom=0.95 if footnote else 0.7, right=MARGIN + 0.1)
    style_axes(ax)  # before the ticks exist, so that each is built styled
    _draw_bands(ax, bands, top)
    _draw_index_markers(ax, shown, bands)
    ax.set_ylim(len(shown) - 0.45, top)
    row_labels(ax, np.arange(len(shown)), labels)
    fig.text(MARGIN / FIG_WIDTH, 0.12 / fig.get_figheight(), footnote, ha="left",
             va="bottom", fontsize=9.5, color=MUTED)
    return fig


def _maturity_footnote(rows: pd.DataFrame, hidden: pd.Series, anonymity_min: int) -> str:
    small = rows["n"] < anonymity_min
    parts = [(hidden & small, hidden_note(0, anonymity_min)),
             (hidden & ~small, hidden_note(anonymity_min, anonymity_min)),
             (~hidden & rows["index"].isna(), "no index available")]
    return " ".join(f"{', '.join(map(team_label, rows.index[mask]))}: {why}."
                    for mask, why in parts if mask.any())


def _draw_bands(ax: Axes, bands: list[dict], top: float) -> None:
    edges = [float(b["min_index"]) for b in bands] + [100.0]
    colours = BAND_CMAP(np.linspace(0, 1, len(bands)))
    for band, lo, hi, colour in zip(bands, edges[:-1], edges[1:], colours, strict=True):
        ax.axvspan(lo, hi, color=colour, linewidth=0, zorder=0)
        ax.text((lo + hi) / 2, top + 0.2, f"Level {band['level']}", ha="center", va="top",
                fontsize=9, color=MUTED)
        ax.text((lo + hi) / 2, top + 0.52, wrap(band["name"], BAND_LABEL_WIDTH), ha="center", va="top",
                fontsize=10.5, fontweight="bold", color=INK, linespacing=1.1)
    for edge in edges[1:-1]:
        ax.axvline(edge, color="white", linewidth=2, zorder=1)
    ax.set_xticks(edges)
    ax.set_xlim(0, 100)


def _index_text(value: float, bands: list[dict]) -> str:
    """Index rounded to an integer, or to 0.1 where rounding would reach the next band."""
    crosses = any(value < band["min_index"] <= round(value) for band in bands)
    return f"{value:.1f}" if crosses else f"{value:.0f}"


def _draw_index_markers(ax: Axes, shown: pd.DataFrame, bands: list[dict]) -> None:
    ax.hlines(np.arange(len(shown)), 0, 100, color="white", linewidth=1, alpha=0.8, zorder=1)
    for i, (group, row) in enumerate(shown.iterrows()):
        ax.scatter([row["index"]], [i], s=170, color=team_colour(group), edgecolor="white",
                   linewidth=1.5, zorder=3, clip_on=False)
        right = row["index"] > 84
        text = f"{_index_text(row['index'], bands)} \u00b7 Level {int(row['level'])}"
        ax.annotate(text, (row["index"], i),
                    xytext=(-11 if right else 11, 0), textcoords="offset points",
                    ha="right" if right else "left", va="center", fontsize=10.5,
                    fontweight="bold", color=INK, zorder=4)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Alignment index (0\u2013100)", fontsize=10, color=MUTED, labelpad=6)


def favourability_bars(dimension_scores: pd.DataFrame, *, group: str = "overall",
                       title: str | None = None, anonymity_min: int = DEFAULT_THRESHOLD) -> Figure:
    """Share of favourable answers per dimension for one group, highest first.

    Parameters
    ----------
    dimension_scores
        Long frame as for :func:`heatmap`; ``favourable`` is a share from 0 to 1.
    group
        Group to show: ``"overall"``, ``"sales"``, ...
    title, anonymity_min
        Chart title (default "Share of favourable answers: <group>"); anonymity
        threshold quoted when ``group`` is suppressed.

    Returns
    -------
    Figure
        Bars in the group's colour labelled "72%", a dashed line at 50%; dimensions
        suppressed for the group come last as "not shown". A group suppressed
        everywhere gives a small figure with an explanatory message.

    Raises
    ------
    ValueError
        If ``group`` has no rows.
    """
    require_columns(dimension_scores, SCORE_COLUMNS, "dimension_scores")
    rows = dimension_scores[dimension_scores["group"] == group]
    if rows.empty:
        known = ", ".join(ordered_groups(dimension_scores["group"]))
        raise ValueError(f"no rows for group {group!r} (groups present: {known})")
    label = team_label(group)
    title = title or f"Share of favourable answers: {label}"
    info = group_info(rows).iloc[0]
    if info.suppressed:
        return message_figure(title, f"{label}: {hidden_note(info.n, anonymity_min)}.")
    hidden = rows["suppressed"].astype(bool)
    rows = rows.assign(favourable=rows["favourable"].where(~hidden), hidden=hidden).sort_values(
        "favourable", ascending=False, kind="stable", na_position="last")
    subtitle = (f"{label}, n={int(info.n)}. Share of respondents who agree or strongly agree, "
                "per dimension, highest first. The dashed line marks 50%.")
    fig, ax = labelled_axes(title, subtitle, [wrap(n) for n in rows["dimension_name"]],
                             row=0.4, top=0.15, bottom=0.55)
    _draw_bars(ax, rows, team_colour(group))
    return fig


def _draw_bars(ax: Axes, rows: pd.DataFrame, colour: str) -> None:
    percent = rows["favourable"].to_numpy(float) * 100
    y = np.arange(len(percent))
    style_axes(ax, grid="x")  # before the ticks exist, so that each is built styled
    ax.barh(y, np.nan_to_num(percent), height=0.62, color=colour, alpha=0.9, zorder=2)
    for i, (value, hidden) in enumerate(zip(percent, rows["hidden"], strict=True)):
        missing = bool(np.isnan(value))
        text = "not shown (small group)" if hidden else "no data" if missing else f"{value:.0f}%"
        ax.annotate(text, (0 if missing else value, i),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center",
                    fontsize=10, color=MUTED if missing else INK, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.axvline(50, color="#5F676B", linewidth=1, linestyle=(0, (4, 3)), alpha=0.7, zorder=1)
    ax.set_ylim(len(percent) - 0.5, -0.5)
    row_labels(ax, y, [wrap(name) for name in rows["dimension_name"]])
    ax.set_xlim(0, 108)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.spines["bottom"].set_bounds(0, 100)
