"""Charts for the Recap stage: what moved, which gaps closed, how the process is seen.

Every function takes a frame of :class:`alignkit.track.recap.WaveComparison` and
returns a 10-inch-wide :class:`matplotlib.figure.Figure` in the look of
:mod:`alignkit.charts.identify`; nothing is shown or saved here. Groups hidden for
anonymity never reach these frames. An empty frame (no follow-up yet) gives a
small figure with a message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from alignkit.analysis.uncertainty import HOLM_MARK, LEVEL, clear_flags, excludes_zero, holm_note
from alignkit.charts.style import (
    FIG_WIDTH,
    INK,
    MARGIN,
    MUTED,
    SCALE_NAMES,
    labelled_axes,
    message_figure,
    new_figure,
    rect,
    row_grid,
    row_labels,
    style_axes,
    team_colour,
    team_label,
    text_width,
    wrap,
)
from alignkit.text.numbers import signed
from alignkit.track.recap import GAP_STATUS_LABELS

__all__ = ["change_chart", "gap_change_chart", "process_chart"]

UP, DOWN, FLAT, BEFORE = "#17706A", "#B2352B", "#8A9196", "#B7BEC2"
GAP_STATUS_COLOURS = {"closed": UP, "narrowed": "#B76E12", "remains": DOWN, "widened": DOWN,
                      "new": DOWN, "unclear": MUTED, "none": MUTED}
NO_FOLLOWUP = "The follow-up survey has not been imported yet."


def _change_colour(change: float, significant: bool) -> str:
    if not significant:
        return FLAT
    return UP if change > 0 else DOWN


def _holm_only(low: pd.Series, high: pd.Series, clear: pd.Series) -> pd.Series:
    """Intervals that exclude zero around a difference that is not clear after Holm."""
    return excludes_zero(low, high) & ~clear.astype(bool)


def _footnote(fig: Figure, text: str) -> None:
    fig.text(MARGIN / FIG_WIDTH, 0.12 / fig.get_figheight(), text, ha="left", va="bottom",
             fontsize=9.5, color=MUTED)


def change_chart(changes: pd.DataFrame, *, group: str = "overall", confidence: float = LEVEL,
                 title: str = "What moved since the baseline") -> Figure:
    """Baseline and follow-up score per dimension, and the change with its interval.

    Parameters
    ----------
    changes
        :attr:`WaveComparison.changes`; only rows of ``group`` are drawn,
        largest rise first.
    group, confidence, title
        Which group; the interval level (for the subtitle); the title.

    A change whose interval excludes zero but which is not clear after the Holm
    adjustment is marked and explained in a footnote.
    """
    rows = changes[changes["group"] == group].sort_values("change", ascending=False)
    if rows.empty:
        return message_figure(title, NO_FOLLOWUP if not changes.attrs.get("followup", True) else
                               f"{team_label(group)}: too few respondents in one of the waves.")
    level = round(100 * confidence)
    subtitle = (f"{team_label(group)}. Left: average score (1\u20135) in the baseline (grey) "
                f"and the follow-up (coloured). Right: the change with its {level}% interval. "
                "Bold and coloured: a clear change (bootstrap p-value, Holm-adjusted for "
                f"{len(rows)} dimensions, below 5%).")
    labels = [wrap(n) for n in rows["dimension_name"]]
    marked = _holm_only(rows["low"], rows["high"], rows["significant"])
    fig, ax = labelled_axes(title, subtitle, labels, row=0.46, top=0.42,
                             bottom=1.1 if marked.any() else 0.85, right=MARGIN + 3.55)
    _draw_scores(ax, rows, labels)
    left, bottom, _, height = ax.get_position().bounds
    cax = fig.add_axes(((FIG_WIDTH - MARGIN - 3.25) / FIG_WIDTH, bottom, 2.45 / FIG_WIDTH,
                        height), sharey=ax)
    _draw_changes(cax, rows, marked.to_numpy())
    if marked.any():
        _footnote(fig, holm_note(len(rows), confidence))
    return fig


def _draw_scores(ax: Axes, rows: pd.DataFrame, labels: list[str]) -> None:
    y = np.arange(len(rows))
    colours = [_change_colour(c, s) for c, s in zip(rows["change"], rows["significant"],
                                                   strict=True)]
    for k, (a, b, colour) in enumerate(zip(rows["before"], rows["after"], colours, strict=True)):
        if abs(b - a) > 0.06:
            ax.annotate("", (b, k), (a, k), arrowprops={"arrowstyle": "-|>", "color": colour,
                                                        "lw": 1.6, "shrinkA": 5, "shrinkB": 5})
    ax.scatter(rows["before"], y, s=70, facecolor="white", edgecolor=BEFORE, linewidth=2,
               zorder=3)
    ax.scatter(rows["after"], y, s=80, color=colours, edgecolor="white", linewidth=1, zorder=4)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, labels)
    row_grid(ax, y)
    ax.set_xlim(0.8, 5.2)
    ax.set_xticks([1, 2, 3, 4, 5], [f"{i}\n{name}" for i, name in enumerate(SCALE_NAMES, 1)])
    style_axes(ax, grid="x")
    ax.tick_params(axis="x", labelsize=9)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_bounds(1, 5)
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                      markeredgecolor=BEFORE, markeredgewidth=2, markersize=8, label="Baseline"),
               Line2D([], [], marker="o", linestyle="", color=UP, markersize=8,
                      label="Follow-up")]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False,
              fontsize=10, labelcolor=INK, handletextpad=0.3, borderaxespad=0.2, borderpad=0)


def _draw_changes(ax: Axes, rows: pd.DataFrame, marked: np.ndarray) -> None:
    reach = max(float(np.nanmax(np.abs(rows[["low", "high"]].to_numpy(float)))), 0.5) * 1.1
    ax.axvline(0, color=INK, linewidth=1, alpha=0.5, zorder=1)
    for k, r in enumerate(rows.itertuples()):
        colour = _change_colour(r.change, r.significant)
        ax.hlines(k, r.low, r.high, color=colour, linewidth=2.2, alpha=0.55, zorder=2)
        ax.scatter([r.change], [k], s=55, color=colour if r.significant else "white",
                   edgecolor=colour, linewidth=1.6, zorder=3)
        text = signed(r.change) + (f" {HOLM_MARK}" if marked[k] else "")
        ax.annotate(text, (reach, k), xytext=(8, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=10, color=INK if r.significant else MUTED,
                    fontweight="bold" if r.significant else "normal", annotation_clip=False)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel("Change in points", fontsize=9.5, color=MUTED)
    ax.annotate("Change", (0, 1), xycoords="axes fraction", xytext=(0, 9),
                textcoords="offset points", va="center", fontsize=10, color=MUTED)


def gap_change_chart(gaps: pd.DataFrame, *, confidence: float | None = None,
                     title: str = "Perception gaps: which closed, which remain") -> Figure:
    """Sales − marketing gap per dimension in the baseline and the follow-up.

    Parameters
    ----------
    gaps
        :attr:`WaveComparison.gaps` (:func:`alignkit.track.recap.gap_changes`).
        Dimensions without a clear gap in either wave are left out.
    confidence, title
        The interval level of the gaps (default: the one they were computed at);
        the title.

    A follow-up interval that excludes zero around a gap that is not clear after
    the Holm adjustment is marked and explained in a footnote.
    """
    if gaps.empty:
        return message_figure(title, NO_FOLLOWUP if not gaps.attrs.get("followup", True) else
                               "Sales and marketing cannot both be shown in the two waves.")
    rows = gaps[gaps["status"] != "none"]
    if rows.empty:
        return message_figure(title, "Sales and marketing saw every dimension alike in both "
                                      "waves: there was no gap to close.")
    rows = rows.reindex(rows["gap_before"].abs().sort_values(ascending=False).index)
    confidence = confidence or float(gaps.attrs.get("confidence", LEVEL))
    material = gaps.attrs.get("material", 0.3)
    subtitle = ("Gap = sales score minus marketing score; 0 means both teams see it alike. Grey "
                f"ring: baseline; dot and bar: follow-up with its {round(100 * confidence)}% "
                "interval. A gap is closed when it was clear at the baseline, is no longer "
                f"clear, and moved toward 0 by at least {material:g} points or half its size.")
    labels = [wrap(n) for n in rows["dimension_name"]]
    marked = _holm_only(rows["low_after"], rows["high_after"],
                        clear_flags(rows, "low_after", "high_after", "clear_after"))
    notes = [GAP_STATUS_LABELS[s] + (f" {HOLM_MARK}" if m else "")
             for s, m in zip(rows["status"], marked, strict=True)]
    note_w = text_width(notes, 10, "bold") + 0.15
    fig, ax = labelled_axes(title, subtitle, labels, row=0.5, top=0.3,
                             bottom=1.1 if marked.any() else 0.85, right=MARGIN + note_w + 0.25)
    _draw_gap_rows(ax, rows, labels)
    for k, (note, status) in enumerate(zip(notes, rows["status"], strict=True)):
        ax.annotate(note, (1, k), xycoords=("axes fraction", "data"), xytext=(14, 0),
                    textcoords="offset points", va="center", fontsize=10, fontweight="bold",
                    color=GAP_STATUS_COLOURS[status], annotation_clip=False)
    if marked.any():
        _footnote(fig, holm_note(gaps.attrs.get("tests_after", len(gaps)), confidence))
    return fig


def _draw_gap_rows(ax: Axes, rows: pd.DataFrame, labels: list[str]) -> None:
    y = np.arange(len(rows))
    values = rows[["gap_before", "gap_after", "low_after", "high_after"]].to_numpy(float)
    reach = max(float(np.nanmax(np.abs(values))), 0.5) * 1.15
    ax.axvspan(-reach, reach, color="white", zorder=0)
    ax.axvline(0, color=INK, linewidth=1.2, alpha=0.6, zorder=1)
    for k, r in enumerate(rows.itertuples()):
        colour = GAP_STATUS_COLOURS[r.status]
        ax.hlines(k, r.low_after, r.high_after, color=colour, linewidth=2.4, alpha=0.5, zorder=2)
        if abs(r.gap_after - r.gap_before) > 0.08:
            ax.annotate("", (r.gap_after, k), (r.gap_before, k), arrowprops={
                "arrowstyle": "-|>", "color": colour, "lw": 1.3, "shrinkA": 5, "shrinkB": 5})
    ax.scatter(rows["gap_before"], y, s=70, facecolor="white", edgecolor=BEFORE, linewidth=2,
               zorder=3)
    ax.scatter(rows["gap_after"], y, s=75, color=[GAP_STATUS_COLOURS[s] for s in rows["status"]],
               edgecolor="white", linewidth=1, zorder=4)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, labels)
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    for text, side, shift in (("\u2190 marketing rates it higher", "right", -8),
                              ("sales rates it higher \u2192", "left", 8)):
        ax.annotate(text, (0, 0), xycoords=("data", "axes fraction"), xytext=(shift, -30),
                    textcoords="offset points", ha=side, va="top", fontsize=10, color=MUTED)


def process_chart(process: pd.DataFrame, *, groups: tuple[str, ...] = ("overall", "sales",
                                                                      "marketing"),
                  title: str = "How the teams see the process") -> Figure:
    """Share agreeing with each process statement, per visible group, in both waves.

    Parameters
    ----------
    process
        :attr:`WaveComparison.process` (:func:`alignkit.track.recap.process_view`);
        without a follow-up (``fav_after`` all NaN) only the baseline is drawn.
    groups
        Groups to draw, one panel each, if present (hidden groups never are).
    title
        Chart title.
    """
    process = process[process["group"].isin(groups)]
    if process.empty:
        return message_figure(title, "Too few people answered the process statements.")
    followup = process["fav_after"].notna().any()
    groups = [g for g in groups if g in set(process["group"])]
    items = process.drop_duplicates("item")
    labels = [wrap(t, 40) for t in items["text"]]
    subtitle = ("Share who agree or strongly agree with each statement, "
                + ("baseline (light) and follow-up (dark)." if followup else
                   "in the baseline survey (no follow-up yet)."))
    body = 0.62 * len(items) * (2 if followup else 1.3)
    fig = new_figure(title, subtitle, body, top=0.45, bottom=0.5)
    left = MARGIN + text_width(labels) + 0.2
    width = (FIG_WIDTH - left - MARGIN - 0.35 * (len(groups) - 1)) / len(groups)
    for k, group in enumerate(groups):
        ax = fig.add_axes(rect(fig, left + k * (width + 0.35), 0.5, width, body))
        _process_panel(ax, process[process["group"] == group], items, followup, group)
        if k == 0:
            row_labels(ax, np.arange(len(items)), labels)
        else:
            ax.set_yticks([])  # no labels, no grid: its rows need no ticks
    return fig


def _process_panel(ax: Axes, part: pd.DataFrame, items: pd.DataFrame, followup: bool,
                   group: str) -> None:
    part = part.set_index("item").reindex(items["item"])
    y = np.arange(len(items))
    colour = team_colour(group)
    bars = [("fav_before", -0.19 if followup else 0.0, 0.36 if followup else 0.55, 0.35)]
    if followup:
        bars.append(("fav_after", 0.19, 0.36, 0.95))
    for column, shift, height, alpha in bars:
        values = part[column].to_numpy(float) * 100
        ax.barh(y + shift, np.nan_to_num(values), height=height, color=colour, alpha=alpha,
                zorder=2)
        for k, v in enumerate(values):
            text = "\u2013" if np.isnan(v) else f"{v:.0f}%"
            ax.annotate(text, (0 if np.isnan(v) else v, k + shift), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=9, color=INK)
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
    style_axes(ax, grid="x")
    ax.set_title(team_label(group), loc="left", fontsize=10.5, fontweight="bold", color=colour)
