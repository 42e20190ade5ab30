"""Charts of the CRM funnel for the Identify report.

Same look as :mod:`alignkit.charts.identify` (10 in wide, bold left-aligned title, grey
"how to read it" line, no top/right spines, the team palette). Each builder takes
a frame from :mod:`alignkit.analysis.funnel` and returns a :class:`~matplotlib.figure.Figure`,
or ``None`` when there is nothing to draw (no lead-level data), so a notebook
cell showing it stays empty instead of showing an empty chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from alignkit.charts.style import (
    FIG_WIDTH,
    GRID,
    INK,
    MARGIN,
    MUTED,
    TEAM_COLOURS,
    new_figure,
    rect,
    row_labels,
    style_axes,
    text_width,
)

__all__ = ["sourced_pipeline_chart", "speed_to_lead_chart", "waterfall_chart"]

MARKETING_STAGES = ("lead", "mql")
LOST, LEAK = "#E3E6E8", "#D9776C"  # drop since the previous stage; MQLs sales never accepted
ALL_LEADS = "#5C7080"  # bars of stage counts that carry no source
SOURCE_LABELS = {"marketing": "Marketing-sourced", "sales": "Sales-sourced", "other": "Other sources"}
HOUR_TICKS = {5 / 60: "5 min", 15 / 60: "15 min", 1: "1 h", 4: "4 h", 24: "1 day",
              72: "3 days", 168: "1 week", 720: "30 days"}


def _count(value: float) -> str:
    return f"{int(value):,}"


def _money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f} M"
    return f"{value / 1e3:.0f} k" if abs(value) >= 1e3 else f"{value:.0f}"


def _hours(value: float) -> str:
    if value < 1:
        return f"{value * 60:.0f} min"
    return f"{value:.0f} h" if value < 48 else f"{value / 24:.0f} days"


# -- waterfall ------------------------------------------------------------------------
def waterfall_chart(waterfall: pd.DataFrame, leakage: pd.DataFrame | None = None, *,
                    title: str = "How leads move through the funnel") -> Figure | None:
    """Horizontal funnel: leads reaching each stage by source, conversion, and the hand-off leak.

    Parameters
    ----------
    waterfall
        :func:`alignkit.analysis.funnel.funnel_waterfall`.
    leakage
        :func:`alignkit.analysis.funnel.leakage`; when given, the MQLs sales never
        accepted are drawn in red on the SAL row and quantified underneath.
    title
        Chart title.

    Returns
    -------
    Figure or None
        Each bar split into marketing-, sales- and other-sourced leads (one
        neutral colour for stage counts without sources); a light segment shows
        what was lost since the previous stage. ``None`` for an empty waterfall.
    """
    if waterfall.empty or not waterfall["count"].notna().any():
        return None
    leak = _leak_rows(leakage)
    rows = waterfall.reset_index(drop=True)
    footnote = _leak_footnote(leak)
    body, bottom = 0.55 * len(rows), 0.5 + (0.3 if footnote else 0.0)
    by_source = _stack(rows) != ["all"]
    fig = new_figure(title, "How many leads reached each stage" + (
        ", by who sourced them (a lead that skipped a stage counts as having passed it)"
        if by_source else "") + ". The light segment shows the leads lost since the stage "
        "before.", body, top=0.5, bottom=bottom)
    left, note_w = MARGIN + text_width(list(rows["label"])) + 0.15, 2.3
    ax = fig.add_axes(rect(fig, left, bottom, FIG_WIDTH - left - MARGIN - note_w, body))
    sources = _draw_funnel(ax, rows, leak)
    _draw_funnel_notes(fig, ax, rows, note_w)
    handles = [Patch(color=_source_colour(s), label=SOURCE_LABELS.get(s, "All leads"))
               for s in sources]
    handles.append(Patch(color=LOST, label="Lost since the stage before"))
    if leak is not None:
        handles.append(Patch(color=LEAK, label="MQLs sales never accepted"))
    fig.legend(handles=handles, loc="lower left", ncols=len(handles), frameon=False,
               fontsize=9.5, labelcolor=INK, handlelength=1.2, columnspacing=1.2, borderpad=0,
               bbox_to_anchor=(MARGIN / FIG_WIDTH, (bottom + body + 0.12) / fig.get_figheight()))
    if footnote:
        fig.text(MARGIN / FIG_WIDTH, 0.15 / fig.get_figheight(), footnote, ha="left",
                 va="bottom", fontsize=10, color=INK)
    return fig


def _source_colour(source: str) -> str:
    return TEAM_COLOURS.get(source, TEAM_COLOURS["other"]) if source != "all" else ALL_LEADS


def _leak_rows(leakage: pd.DataFrame | None) -> pd.DataFrame | None:
    if leakage is None or leakage.empty or leakage["base"].max() == 0:
        return None
    return leakage.set_index("leak")


def _leak_footnote(leak: pd.DataFrame | None) -> str:
    if leak is None:
        return ""
    parts = []
    for key, what in (("not_accepted", "never accepted by sales"),
                      ("not_touched", "never touched by sales")):
        row = leak.loc[key]
        if pd.notna(row["count"]):
            parts.append(f"{_count(row['count'])} ({row['share']:.0%}) {what}")
    base = int(leak["base"].iloc[0])
    return (f"Of the {_count(base)} leads marketing handed to sales as MQLs: "
            + "; ".join(parts) + ".")


def _stack(rows: pd.DataFrame) -> list[str]:
    """Sources to stack, or ``["all"]`` when the counts carry no source split."""
    split = [s for s in SOURCE_LABELS if s in rows and rows[s].fillna(0).sum() > 0]
    return split or ["all"]


def _draw_funnel(ax: Axes, rows: pd.DataFrame, leak: pd.DataFrame | None) -> list[str]:
    sources = _stack(rows)
    counts = rows["count"].astype(float).to_numpy()
    previous = pd.Series(counts).ffill().shift(1).to_numpy()
    for i, row in rows.iterrows():
        if not row["tracked"]:
            ax.text(0, i, "  not tracked in this export", va="center", ha="left", fontsize=10,
                    color=MUTED, style="italic")
            continue
        start = 0.0
        for source in sources:
            width = counts[i] if source == "all" else float(row[source])
            ax.barh(i, width, left=start, height=0.62, color=_source_colour(source), zorder=2,
                    edgecolor="white", linewidth=0.6)
            start += width
        if i and not np.isnan(previous[i]) and previous[i] > counts[i]:
            lost = LEAK if (row["stage"] == "sal" and leak is not None) else LOST
            ax.barh(i, previous[i] - counts[i], left=counts[i], height=0.62, color=lost,
                    zorder=1)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, np.arange(len(rows)), list(rows["label"]))
    ax.set_xlim(0, np.nanmax(counts) * 1.02)
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_formatter(lambda v, _: _count(v))
    return sources


def _draw_funnel_notes(fig: Figure, ax: Axes, rows: pd.DataFrame, width: float) -> None:
    """Count and conversion from the previous stage, in a column right of the bars."""
    _, bottom, _, height = ax.get_position().bounds
    nax = fig.add_axes((1 - (MARGIN + width) / FIG_WIDTH, bottom, width / FIG_WIDTH, height),
                       sharey=ax)
    nax.set_axis_off()
    for i, row in rows.iterrows():
        if not row["tracked"]:
            continue
        nax.text(0, i, _count(row["count"]), ha="left", va="center", fontsize=10.5,
                 fontweight="bold", color=INK)
        if pd.notna(row["from_previous"]):
            nax.text(0.4, i, f"{row['from_previous']:.0%} of previous", ha="left",
                     va="center", fontsize=10, color=MUTED, transform=nax.get_yaxis_transform())


# -- speed to lead ----------------------------------------------------------------------
def speed_to_lead_chart(delays: pd.DataFrame, *, sla_hours: float = 24.0,
                        title: str = "How fast sales follows up") -> Figure | None:
    """Cumulative share of leads contacted against hours since hand-off, per source.

    Parameters
    ----------
    delays
        :func:`alignkit.analysis.funnel.first_touch_delays` (``source``, ``hours``).
    sla_hours
        The agreed follow-up time, drawn as a reference line next to one hour.
    title
        Chart title.

    Returns
    -------
    Figure or None
        One step line each for marketing- and sales-sourced leads, in the team
        colours, on a log time axis, with the share reached at one hour and at
        the SLA; leads never touched keep a line below 100%. ``None`` without
        delays.
    """
    sources = [s for s in ("marketing", "sales") if (delays["source"] == s).any()] \
        if not delays.empty else []
    if not sources or delays["hours"].notna().sum() == 0:
        return None
    fig = new_figure(title, "Share of the leads handed to sales that had been contacted after a "
                      "given time (log scale). Leads never contacted keep a line below 100%.",
                      3.6, top=0.45, bottom=0.6)
    ax = fig.add_axes(rect(fig, MARGIN + 0.55, 0.6, FIG_WIDTH - 2 * MARGIN - 1.9, 3.6))
    lo, hi = 2 / 60, 720.0
    for ref, text in ((1.0, "1 hour"), (sla_hours, f"SLA {_hours(sla_hours)}")):
        ax.axvline(ref, ymax=1 / 1.12, color="#5F676B", linewidth=1, linestyle=(0, (4, 3)),
                   zorder=1)
        ax.annotate(text, (ref, 1.0), xytext=(0, 4), textcoords="offset points", ha="center",
                    fontsize=9.5, color=MUTED, va="bottom")
    shares = {}
    for source in sources:
        hours = delays.loc[delays["source"] == source, "hours"]
        _draw_speed_line(ax, hours, source, lo, hi)
        shares[source] = [float((hours <= ref).sum()) / len(hours) for ref in (1.0, sla_hours)]
    for i, ref in enumerate((1.0, sla_hours)):
        _label_shares(ax, ref, {s: v[i] for s, v in shares.items()})
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xticks(list(HOUR_TICKS), list(HOUR_TICKS.values()))
    ax.minorticks_off()
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    style_axes(ax, grid="y")
    ax.spines["left"].set_bounds(0, 1)
    ax.set_xlabel("Time from hand-off to first sales touch", fontsize=10, color=MUTED)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.06), ncols=2, frameon=False, fontsize=10,
              labelcolor=INK, borderaxespad=0, borderpad=0)
    return fig


def _draw_speed_line(ax: Axes, hours: pd.Series, source: str, lo: float, hi: float) -> None:
    n = len(hours)
    touched = np.sort(hours.dropna().to_numpy(float).clip(lo, hi))
    x = np.concatenate([[lo], touched, [hi]])
    y = np.concatenate([[0.0], np.arange(1, len(touched) + 1) / n, [len(touched) / n]])
    ax.step(x, y, where="post", color=TEAM_COLOURS[source], linewidth=2.2, zorder=3,
            label=f"{SOURCE_LABELS[source]} leads (n={n:,})")


def _label_shares(ax: Axes, ref: float, shares: dict[str, float]) -> None:
    """Dots where the lines cross a reference line, labels kept apart from each other."""
    last = np.inf
    for source, share in sorted(shares.items(), key=lambda item: -item[1]):
        ax.scatter([ref], [share], s=36, color=TEAM_COLOURS[source], zorder=4,
                   edgecolor="white")
        y = min(share, last - 0.075)
        last = y
        ax.annotate(f"{share:.0%}", (ref * 1.15, y), va="center", ha="left", fontsize=10,
                    fontweight="bold", color=TEAM_COLOURS[source], zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})


# -- sourced pipeline ---------------------------------------------------------------------
def sourced_pipeline_chart(sourced: pd.DataFrame, *,
                           title: str = "Marketing- and sales-sourced pipeline") -> Figure | None:
    """Pipeline created, amount won and win rate, marketing- vs sales-sourced.

    Parameters
    ----------
    sourced
        :func:`alignkit.analysis.funnel.sourced_pipeline`.
    title
        Chart title.

    Returns
    -------
    Figure or None
        Left: pipeline (light) and won amount (solid) per source; right: win
        rate (won over closed opportunities). ``None`` for an empty frame.
    """
    if sourced.empty:
        return None
    rows = sourced.reset_index(drop=True)
    rows.attrs.update(sourced.attrs)
    labels = [f"{SOURCE_LABELS.get(s, s)}\n{_count(n)} leads \u00b7 {_count(o)} opportunities"
              for s, n, o in zip(rows["source"], rows["leads"], rows["opportunities"],
                                 strict=True)]
    body = 0.75 * len(rows)
    fig = new_figure(title, "Left: value of the opportunities each source created (light) and "
                      "the value won (solid). Right: share of closed opportunities that were "
                      "won.", body, top=0.45, bottom=0.55)
    left = MARGIN + text_width(labels) + 0.15
    gap, right_w = 0.5, 2.3
    money_w = FIG_WIDTH - left - MARGIN - gap - right_w
    money = fig.add_axes(rect(fig, left, 0.55, money_w, body))
    rate = fig.add_axes(rect(fig, left + money_w + gap, 0.55, right_w, body), sharey=money)
    _draw_money(money, rows, labels)
    _draw_win_rate(rate, rows)
    return fig


def _draw_money(ax: Axes, rows: pd.DataFrame, labels: list[str]) -> None:
    y = np.arange(len(rows))
    colours = [TEAM_COLOURS.get(s, TEAM_COLOURS["other"]) for s in rows["source"]]
    ax.barh(y, rows["pipeline_amount"], height=0.62, color=colours, alpha=0.3, zorder=2)
    ax.barh(y, rows["won_amount"], height=0.36, color=colours, zorder=3)
    top = max(float(rows["pipeline_amount"].max()), 1.0)
    for i, row in rows.iterrows():
        ax.annotate(f"{_money(row['pipeline_amount'])} pipeline \u00b7 "
                    f"{_money(row['won_amount'])} won", (row["pipeline_amount"], i),
                    xytext=(5, 0), textcoords="offset points", va="center", fontsize=10,
                    color=INK)
    ax.set_xlim(0, top * 1.55)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.xaxis.set_major_formatter(lambda v, _: _money(v))
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    ax.set_title("Pipeline and won amount", loc="left", fontsize=10.5, color=MUTED)


def _draw_win_rate(ax: Axes, rows: pd.DataFrame) -> None:
    y = np.arange(len(rows))
    colours = [TEAM_COLOURS.get(s, TEAM_COLOURS["other"]) for s in rows["source"]]
    rates = rows["win_rate"].astype(float).to_numpy()
    ax.barh(y, np.nan_to_num(rates), height=0.5, color=colours, zorder=2)
    of = "closed" if rows.attrs.get("win_rate_of", "closed") == "closed" else "opportunities"
    for i, (value, row) in enumerate(zip(rates, rows.itertuples(), strict=True)):
        text = "nothing closed yet" if np.isnan(value) else f"{value:.0%} of {row.closed:,} {of}"
        ax.annotate(text, (0 if np.isnan(value) else value, i), xytext=(5, 0),
                    textcoords="offset points", va="center", fontsize=10,
                    color=MUTED if np.isnan(value) else INK, fontweight="bold")
    ax.set_xlim(0, 1.45)
    ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"])
    ax.tick_params(axis="y", left=False, labelleft=False)
    style_axes(ax, grid="x")
    ax.grid(axis="x", color=GRID)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_bounds(0, 1)
    ax.set_title("Win rate", loc="left", fontsize=10.5, color=MUTED)
