"""Charts for the Execute stage: the action burn-up and the KPI trends against target.

Like :mod:`alignkit.charts.identify`, every function returns a 10-inch-wide
:class:`matplotlib.figure.Figure` built without pyplot, with a bold
left-aligned title and a grey line saying how to read it; nothing is shown or
saved here. An empty input gives a small figure with a message instead.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from alignkit.charts.style import (
    FIG_WIDTH,
    GRID,
    INK,
    MARGIN,
    MUTED,
    message_figure,
    new_figure,
    rect,
    style_axes,
    wrap,
)
from alignkit.track.kpis import STATUS_WORDS, format_kpi_value, kpi_definition

__all__ = ["STATUS_COLOURS", "burn_up_chart", "kpi_trends"]

DONE, WORKING, PLAN, SCOPE = "#17706A", "#9FCFC6", "#8A9196", "#2D3436"
#: Colour of a KPI's status word (met, improving, stalled, worsening, no target).
STATUS_COLOURS = {"met": "#17706A", "improving": "#2E8B7F", "stalled": "#B76E12",
                  "worsening": "#B2352B", "single": MUTED, "no_target": MUTED, "none": MUTED}


def _date_axis(ax: Axes) -> None:
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def burn_up_chart(series: pd.DataFrame, *, as_of: date,
                  title: str = "Action plan burn-up") -> Figure:
    """Planned scope, actions due and actions done over time.

    Parameters
    ----------
    series
        :func:`alignkit.track.actions.burn_up_series`: ``date, scope, due, done,
        in_progress``.
    as_of
        The report day, marked with a vertical line.
    title
        Chart title.
    """
    if series.empty or series["scope"].max() == 0:
        return message_figure(title, "No actions have been recorded yet.")
    now = series[series["date"] <= pd.Timestamp(as_of)].iloc[-1]
    subtitle = (f"On {as_of:%d %B %Y}: {int(now['done'])} of {int(now['scope'])} actions done, "
                f"{int(now['due'])} due by then. The teal area grows as actions are finished; "
                "where it stays below the grey line of due dates, work is late.")
    fig = new_figure(title, subtitle, 3.4, top=0.45, bottom=0.55)
    ax = fig.add_axes(rect(fig, MARGIN + 0.45, 0.55, FIG_WIDTH - 2 * MARGIN - 0.75, 3.4))
    handles = _draw_burn_up(ax, series)
    _mark_today(ax, as_of, float(series["scope"].max()), series["date"].max())
    ax.set_ylim(0, series["scope"].max() * 1.12)
    ax.set_xlim(series["date"].min(), series["date"].max())
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Actions", fontsize=10, color=MUTED)
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=4,
              frameon=False, fontsize=10, labelcolor=INK, handlelength=1.6,
              columnspacing=1.4, borderaxespad=0, borderpad=0)
    _date_axis(ax)
    style_axes(ax, grid="y")
    return fig


def _draw_burn_up(ax: Axes, series: pd.DataFrame) -> list:
    """Done and in-progress areas, due and scope steps; returns the legend handles."""
    x = series["date"]
    done, working = series["done"], series["done"] + series["in_progress"]
    return [
        ax.fill_between(x, 0, done, step="post", color=DONE, alpha=0.85, linewidth=0, zorder=2,
                        label="Done"),
        ax.fill_between(x, done, working, step="post", color=WORKING, alpha=0.8, linewidth=0,
                        zorder=2, label="In progress"),
        *ax.step(x, series["due"], where="post", color=PLAN, linewidth=2, zorder=3,
                 label="Due by each date"),
        *ax.step(x, series["scope"], where="post", color=SCOPE, linewidth=1.3,
                 linestyle=(0, (4, 3)), zorder=3, label="Whole plan (without dropped actions)"),
    ]


def _mark_today(ax: Axes, as_of: date, top: float, last: pd.Timestamp) -> None:
    """A vertical line on the report day, labelled on whichever side has room."""
    day = pd.Timestamp(as_of)
    ax.axvline(day, color=INK, linewidth=1, alpha=0.6, zorder=4)
    left = day >= last
    ax.annotate(f"{as_of:%d %b %Y}", (day, top * 1.1), xytext=(-4 if left else 4, 0),
                textcoords="offset points", fontsize=9.5, color=INK, va="top",
                ha="right" if left else "left")


def kpi_trends(observations: pd.DataFrame, summary: pd.DataFrame, *,
               title: str = "KPIs against their targets") -> Figure:
    """Small multiples: each KPI's observations over time with its target line.

    Parameters
    ----------
    observations
        :func:`alignkit.track.kpis.load_kpis`: ``kpi, observed_on, value, target``.
    summary
        :func:`alignkit.track.kpis.kpi_summary` of the same observations (status words).
    title
        Chart title.
    """
    if observations.empty:
        return message_figure(title, "No KPI observations have been recorded yet.")
    kpis = summary["kpi"].tolist()
    ncols = 2 if len(kpis) > 1 else 1
    nrows = math.ceil(len(kpis) / ncols)
    panel_h, gap_h = 2.1, 1.25  # the gap holds the date axis's month label and a two-line title
    subtitle = ("Each panel is one agreed KPI: the line is what was measured, the dashed line "
                "the target. The coloured word says whether the target is met, the KPI is "
                "moving towards it, has stalled or is moving away.")
    fig = new_figure(title, subtitle, nrows * panel_h + (nrows - 1) * gap_h, top=0.75,
                      bottom=0.45)
    lead, tail = 0.75, 0.6  # room for the y labels and the latest value of each panel
    width = (FIG_WIDTH - 2 * MARGIN - (lead + tail) * ncols) / ncols
    for k, row in enumerate(summary.itertuples()):
        r, c = divmod(k, ncols)
        left = MARGIN + lead + c * (width + lead + tail)
        bottom = 0.45 + (nrows - 1 - r) * (panel_h + gap_h)
        ax = fig.add_axes(rect(fig, left, bottom, width, panel_h))
        _kpi_panel(ax, observations[observations["kpi"] == row.kpi], row)
    return fig


def _kpi_panel(ax: Axes, obs: pd.DataFrame, row) -> None:
    obs = obs.sort_values("observed_on").dropna(subset=["observed_on", "value"])
    colour = STATUS_COLOURS[row.status]
    ax.set_title(wrap(row.label, 40), loc="left", fontsize=11.5, fontweight="bold", color=INK,
                 pad=20)
    ax.annotate(STATUS_WORDS[row.status], (0, 1), xycoords="axes fraction", xytext=(0, 6),
                textcoords="offset points", fontsize=10, color=colour, fontweight="bold")
    if obs.empty or row.status == "none":  # agreed, nothing measured by the report day
        since = ("Nothing measured yet" if pd.isna(row.first) else
                 f"Nothing measured since the baseline of {format_kpi_value(row.kpi, row.first)}")
        target = "" if pd.isna(row.target) else f"target {format_kpi_value(row.kpi, row.target)}"
        ax.text(0.5, 0.5, f"{since}\n{target}".strip(), transform=ax.transAxes, ha="center",
                va="center", fontsize=10, color=MUTED, linespacing=1.6)
        ax.set_xticks([])
        ax.set_yticks([])
        style_axes(ax)
        return
    ax.plot(obs["observed_on"], obs["value"], color=colour, linewidth=2.2, marker="o",
            markersize=4.5, zorder=3)
    _kpi_limits(ax, obs, row)
    if obs["target"].notna().any():
        ax.step(obs["observed_on"], obs["target"].ffill(), where="post", color=INK,
                linewidth=1.2, linestyle=(0, (4, 3)), alpha=0.75, zorder=2)
        first = obs["target"].dropna().iloc[0]
        lower, upper = ax.get_ylim()
        above = (first - lower) / (upper - lower) < 0.8  # near the top: below the line instead
        ax.annotate(f"target {format_kpi_value(row.kpi, row.target)}",
                    (obs["observed_on"].iloc[0], first), xytext=(0, 5 if above else -5),
                    textcoords="offset points", ha="left", va="bottom" if above else "top",
                    fontsize=9, color=MUTED)
    ax.annotate(format_kpi_value(row.kpi, row.latest), (obs["observed_on"].iloc[-1], row.latest),
                xytext=(6, 0), textcoords="offset points", va="center", fontsize=10,
                fontweight="bold", color=colour, annotation_clip=False)
    _date_axis(ax)
    style_axes(ax, grid="y")
    ax.grid(axis="y", color=GRID)


def _kpi_limits(ax: Axes, obs: pd.DataFrame, row) -> None:
    values = np.concatenate([obs["value"].to_numpy(float), obs["target"].dropna().to_numpy(float)])
    low, high = float(values.min()), float(values.max())
    pad = max((high - low) * 0.2, abs(high) * 0.05, 0.02 if high <= 1 else 0.5)
    unit = kpi_definition(row.kpi).unit
    lower = 0.0 if unit == "count" else max(low - pad, 0.0)
    upper = min(high + pad, 1.0) if unit == "share" else high + pad
    ax.set_ylim(lower, upper)
    ax.yaxis.set_major_locator(MaxNLocator(4, integer=unit == "count", steps=[1, 2, 5, 10]))
    if unit == "share":
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0 if upper - lower > 0.04
                                                      else 1))
