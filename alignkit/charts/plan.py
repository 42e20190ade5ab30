"""Charts, tables and words of the Plan report: gaps, the ranked plan, roadmap, SLA, scenarios.

Same look as :mod:`alignkit.charts.identify`: every function returns a 10-inch-wide
:class:`matplotlib.figure.Figure` built without pyplot, with a bold left-aligned
title and a grey line saying how to read it; nothing is shown or saved here.
Marketing's part of the funnel is drawn in the marketing colour, sales' part in
the sales colour (:data:`alignkit.charts.identify.TEAM_COLOURS`). The tables and
sentences of the report (:func:`plan_table`, :func:`priority_markdown`,
:func:`plan_findings`, :func:`markdown_table`) are built here too, from the
same frames; hidden groups never reach them because :mod:`alignkit.analysis.wave`
removed them before the plan was ranked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter, MonthLocator, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from alignkit.analysis.drivers import Drivers
from alignkit.catalog.playbook import Playbook, load_playbook
from alignkit.charts.insight_text import alpha_footnote, flag_name
from alignkit.charts.style import (
    INK,
    MARGIN,
    MUTED,
    TEAM_COLOURS,
    labelled_axes,
    message_figure,
    row_labels,
    style_axes,
    wrap,
)
from alignkit.plan.actions import IMPACT_WEIGHT_RANGE, PLACEHOLDER, TARGET_LEVEL
from alignkit.plan.sla import ServiceLevelAgreement, count_text
from alignkit.text.escaping import escape_chart_text, escape_markdown
from alignkit.text.money import DEFAULT_CURRENCY, format_money

__all__ = ["gap_size_chart", "lever_chart", "markdown_table", "plan_findings", "plan_table",
           "ranking_markdown",
           "priority_chart", "priority_markdown", "roadmap_chart", "scenario_chart",
           "sla_funnel_chart"]

SHORTFALL_COLOUR = "#5E7C8C"  # distance below the target level
PERCEPTION_COLOUR = "#C8553D"  # sales-marketing difference
TODAY_COLOUR = "#B7BEC2"
SCENARIO_COLOURS = ("#9CC3D5", "#4F8FB0", "#1F5F8B", "#123F5E")
_MARKETING_STAGES = ("lead", "mql")


def _legend(ax: Axes, handles: list, ncols: int) -> None:
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=ncols,
              frameon=False, fontsize=10, labelcolor=INK, handletextpad=0.4, columnspacing=1.6,
              borderaxespad=0.2, borderpad=0)


def _bar_labels(ax: Axes, y: np.ndarray, ends: np.ndarray, texts: list[str], *,
                bold: bool = False) -> None:
    for yi, end, text in zip(y, ends, texts, strict=True):
        ax.annotate(text, (end, yi), xytext=(5, 0), textcoords="offset points", ha="left",
                    va="center", fontsize=10, color=INK, fontweight="bold" if bold else "normal")


def gap_size_chart(gaps: pd.DataFrame, *, target_level: float = 4.0, limit: int = 14) -> Figure:
    """Need per dimension (what the plan ranks by), largest first, split into its two parts.

    Parameters
    ----------
    gaps
        :func:`alignkit.plan.actions.gap_sizes`: ``dimension_name, shortfall,
        perception_gap, gap_size``.
    target_level, limit
        The level quoted in the subtitle; most dimensions shown.
    """
    title = "Where the need is greatest"
    rows = gaps[gaps["gap_size"] > 0].head(limit)
    if rows.empty:
        return message_figure(title, f"Every facet already scores {target_level:g} or more, "
                                      "with no clear gap between the teams.")
    subtitle = (f"Need, in points on the 1\u20135 scale: how far the average answer lies below "
                f"{target_level:g} (agree), plus the perception gap between sales and marketing "
                "where that gap is clear.")
    labels = [wrap(n) for n in rows["dimension_name"]]
    fig, ax = labelled_axes(title, subtitle, labels, row=0.42, top=0.45, bottom=0.55,
                             right=MARGIN + 0.5)
    y = np.arange(len(rows))
    short, perception = rows["shortfall"].to_numpy(float), rows["perception_gap"].to_numpy(float)
    ax.barh(y, short, height=0.62, color=SHORTFALL_COLOUR, zorder=2)
    ax.barh(y, perception, left=short, height=0.62, color=PERCEPTION_COLOUR, zorder=2)
    _bar_labels(ax, y, short + perception, [f"{v:.1f}" for v in short + perception], bold=True)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.set_xlim(0, max(1.0, float((short + perception).max())) * 1.12)
    ax.set_xlabel("Need (points on the 1\u20135 scale)", fontsize=10, color=MUTED)
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    _legend(ax, [Patch(color=SHORTFALL_COLOUR, label=f"Below {target_level:g} (agree)"),
                 Patch(color=PERCEPTION_COLOUR, label="Sales and marketing see it differently")], 2)
    return fig


def priority_chart(plan: pd.DataFrame) -> Figure:
    """The actions in priority order, each bar labelled with how its priority came about."""
    title = "The joint action plan, ranked by priority"
    if plan.empty:
        return message_figure(title, "No action is needed: no facet shows a gap.")
    weighed = "impact_weight" in plan and plan["impact_weight"].fillna(1.0).ne(1.0).any()
    subtitle = ("Priority = need \u00d7 impact \u00f7 effort. A bigger need, a stronger tactic "
                "and less effort each move an action up." + (
                    " The need is weighed by how much the facet moves the sense of working as "
                    "one team (its driver weight)." if weighed else ""))
    labels = [wrap(f"{k}. {escape_chart_text(t)}", 36)
              for k, t in zip(plan["rank"], plan["title"], strict=True)]
    fig, ax = labelled_axes(title, subtitle, labels, row=0.5, top=0.2, bottom=0.5,
                             right=MARGIN + (4.0 if weighed else 2.9))
    y = np.arange(len(plan))
    values = plan["priority"].fillna(0).to_numpy(float)
    ax.barh(y, values, height=0.6, color=TEAM_COLOURS["sales"], alpha=0.9, zorder=2)
    notes = []
    for row in plan.itertuples(index=False):
        if pd.isna(row.gap_size) or pd.isna(row.impact):
            notes.append(f"{row.priority:.1f}")
            continue
        gap = row.gap_size * row.weight
        factor = getattr(row, "impact_weight", 1.0)
        factor = 1.0 if pd.isna(factor) else float(factor)
        weighed = "" if factor == 1.0 else f" \u00d7 driver weight {factor:.2f}"
        notes.append(f"{row.priority:.1f}  =  need {gap:.1f}{weighed} \u00d7 impact "
                     f"{int(row.impact)} \u00f7 effort {int(row.effort)}")
    _bar_labels(ax, y, values, notes)
    ax.set_ylim(len(plan) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.set_xlim(0, max(1.0, float(values.max())) * 1.04)
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Priority", fontsize=10, color=MUTED)
    return fig


def roadmap_chart(plan: pd.DataFrame) -> Figure:
    """When each action starts and is due: one bar per action, soonest due on top.

    An action starts ``weeks_to_impact`` before it is due (the playbook's
    estimate), so an edited due date moves only the end of its bar.
    """
    title = "Roadmap: when each action should show results"
    rows = plan.dropna(subset=["due"]).sort_values(["due", "rank"], kind="stable")
    if rows.empty:
        return message_figure(title, "No action has a due date yet.")
    weeks = rows["weeks_to_impact"].fillna(4).astype(int)
    starts = [d - timedelta(weeks=int(w)) for d, w in zip(rows["due"], weeks, strict=True)]
    subtitle = ("Each bar runs from the start of an action to its due date, when its KPI should "
                "move. Owners are named on each side.")
    labels = [wrap(escape_chart_text(t), 36) for t in rows["title"]]
    fig, ax = labelled_axes(title, subtitle, labels, row=0.5, top=0.2, bottom=0.55,
                             right=MARGIN + 2.6)
    y = np.arange(len(rows))
    left, right = date2num(starts), date2num(list(rows["due"]))
    ax.barh(y, right - left, left=left, height=0.56, color=TEAM_COLOURS["marketing"], alpha=0.85,
            zorder=2)
    _bar_labels(ax, y, right, [_due_note(rec) for rec in rows.itertuples(index=False)])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.set_xlim(left.min() - 3, right.max() + 3)
    ax.xaxis.set_major_locator(MonthLocator(interval=max(1, round((right.max() - left.min()) / 240))))
    ax.xaxis.set_major_formatter(DateFormatter("%b\n%Y"))
    style_axes(ax, grid="x")
    ax.spines["left"].set_visible(False)
    return fig


def _due_note(action: object) -> str:
    owners = [escape_chart_text(o) for o in (action.sales_owner, action.marketing_owner)
              if isinstance(o, str) and o and o != PLACEHOLDER]
    who = " & ".join(owners) if owners else "owners to be named"
    return f"due {action.due:%d %b} \u00b7 {who}"


def sla_funnel_chart(sla: ServiceLevelAgreement) -> Figure:
    """What the revenue goal needs from each funnel stage per month, as a centred funnel."""
    title = "What the revenue goal needs from the funnel each month"
    volumes = sla.volumes
    subtitle = ("Marketing delivers the leads and MQLs; sales turns them into accepted and "
                "qualified leads, opportunities and won deals. Figures are rounded up, below 10 "
                "to one decimal.")
    labels = [wrap(label, 26) for label in volumes["label"]]
    fig, ax = labelled_axes(title, subtitle, labels, row=0.5, top=0.45, bottom=0.25)
    y = np.arange(len(volumes))
    widths = volumes["per_month"].to_numpy(float)
    colours = [TEAM_COLOURS["marketing" if s in _MARKETING_STAGES else "sales"]
               for s in volumes["stage"]]
    ax.barh(y, widths, left=-widths / 2, height=0.7, color=colours, zorder=2)
    for yi, rec in zip(y, volumes.itertuples(index=False), strict=True):
        ax.text(widths.max() * 0.52, yi, f"{count_text(rec.per_month)} a month  \u00b7  "
                f"{count_text(rec.per_week)} a week", ha="left", va="center", fontsize=10.5,
                color=INK)
    ax.set_ylim(len(volumes) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.set_xlim(-widths.max() * 0.52, widths.max() * 1.15)
    ax.set_xticks([])
    style_axes(ax)
    ax.spines[["left", "bottom"]].set_visible(False)
    _legend(ax, [Patch(color=TEAM_COLOURS["marketing"], label="Marketing commits"),
                 Patch(color=TEAM_COLOURS["sales"], label="Sales converts")], 2)
    return fig


def _money(value: float, currency: str) -> str:
    """An amount as chart labels show it (:func:`alignkit.text.money.format_money`, compact)."""
    return format_money(value, currency, compact=True)  # one "$" per label: never mathtext


def _scenario_panel(ax: Axes, frame: pd.DataFrame, column: str, heading: str,
                    currency: str, goal: float | None = None) -> None:
    y = np.arange(len(frame))
    values = frame[column].to_numpy(float)
    colours = [TODAY_COLOUR] + list(SCENARIO_COLOURS[: len(frame) - 1])
    ax.barh(y, values, height=0.62, color=colours, zorder=2)
    today = values[0]
    ax.axvline(today, color="#5F676B", linewidth=1, linestyle=(0, (4, 3)), zorder=3)
    if goal:
        ax.axvline(goal, color=PERCEPTION_COLOUR, linewidth=1.4, zorder=3)
        ax.annotate(f"goal {_money(goal, currency)}", (goal, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -2), textcoords="offset points", ha="left", va="top", fontsize=9,
                    color=PERCEPTION_COLOUR)
    texts = [_money(v, currency) + ("" if k == 0 or not today else f"  ({(v - today) / today:+.0%})")
             for k, v in enumerate(values)]
    _bar_labels(ax, y, values, texts)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlim(0, max(1.0, float(values.max()), goal or 0) * 1.6)
    ax.set_xticks([])
    ax.set_title(heading, loc="left", fontsize=11, color=INK, fontweight="bold", pad=8)
    style_axes(ax)
    ax.spines[["left", "bottom"]].set_visible(False)


def scenario_chart(comparison: pd.DataFrame, *, currency: str = DEFAULT_CURRENCY, goal: float | None = None,
                   title: str = "What the scenarios are worth each month") -> Figure:
    """Qualified pipeline and won revenue per month, today (grey) against each scenario.

    Parameters
    ----------
    comparison
        :func:`alignkit.plan.scenarios.compare_scenarios`, first row today.
    currency, title
        Prefix of amounts (e.g. ``"€"``); chart title.
    goal
        Monthly revenue goal of the same deals, drawn as a red line on the revenue panel.
    """
    subtitle = ("Grey is today, the dashed line marks it; the percentage is the change against "
                "today. Pipeline is the value of new SQLs a month.")
    if goal:
        subtitle += " The red line is the monthly revenue goal for marketing-sourced deals."
    labels = list(comparison["scenario"])
    fig, ax = labelled_axes(title, subtitle, labels, row=0.5, top=0.45, bottom=0.2,
                             max_width=3.9)
    left, bottom, width, height = ax.get_position().bounds
    _scenario_panel(ax, comparison, "pipeline", "Value of new SQLs (at the average deal)", currency)
    row_labels(ax, np.arange(len(labels)), labels)
    second = fig.add_axes((left + width + 0.03, bottom, width, height), sharey=ax)
    _scenario_panel(second, comparison, "revenue", "Won revenue", currency, goal)
    second.tick_params(labelleft=False)
    return fig


def lever_chart(effects: pd.DataFrame, *, currency: str = DEFAULT_CURRENCY) -> Figure:
    """What each lever alone adds to won revenue per month, largest first."""
    title = "What moving each lever is worth"
    subtitle = ("Extra won revenue a month when one lever moves and everything else stays as "
                "today. Use it to see where effort pays most.")
    labels = [wrap(label, 30) for label in effects["label"]]
    fig, ax = labelled_axes(title, subtitle, labels, row=0.45, top=0.15, bottom=0.2,
                             right=MARGIN + 0.3)
    y = np.arange(len(effects))
    gains = effects["revenue_change"].to_numpy(float)
    ax.barh(y, gains, height=0.6, color=TEAM_COLOURS["sales"], alpha=0.9, zorder=2)
    _bar_labels(ax, y, gains, [f"+{_money(g, currency)}  ({p:+.0%})" for g, p in
                               zip(gains, effects["revenue_change_pct"], strict=True)])
    ax.set_ylim(len(effects) - 0.5, -0.5)
    row_labels(ax, y, labels)
    ax.set_xlim(0, max(1.0, float(gains.max())) * 1.35)
    ax.set_xticks([])
    style_axes(ax)
    ax.spines[["left", "bottom"]].set_visible(False)
    return fig


# -- tables and words of the Plan report -------------------------------------------
def plan_findings(plan: pd.DataFrame, gaps: pd.DataFrame, agreement: ServiceLevelAgreement,
                  comparison: pd.DataFrame, *, currency: str = DEFAULT_CURRENCY) -> str:
    """The four sentences a consultant opens the Plan report with (Markdown bullets)."""
    named = ((plan["sales_owner"] != PLACEHOLDER) & (plan["marketing_owner"] != PLACEHOLDER)).sum()
    if plan.attrs.get("source") == "stored":
        state = (f"**{len(plan)} actions agreed**, {named} of them with a named owner on both "
                 "sides.")
    else:
        state = (f"**{len(plan)} actions proposed** from the survey; owners and dates are to be "
                 "agreed in the planning workshop.")
    lines = [f"- {state}"]
    if len(gaps) and gaps["gap_size"].iloc[0] > 0:
        top = gaps.iloc[0]
        parts = f"{top['shortfall']:.1f} below agree"
        if top["perception_gap"] > 0:
            parts += f" plus a {top['perception_gap']:.1f}-point perception gap"
        lines.append(f"- **Most in need:** {top['dimension_name']} (need {top['gap_size']:.1f}: "
                     f"{parts}).")
    lines.append(f"- **The agreement:** marketing delivers {agreement.needed('mql')} MQLs a month;"
                 f" sales contacts each within {agreement.sales.first_touch_hours:g} hours.")
    expected = comparison[comparison["scenario"] == "Expected"]
    if len(expected):
        row = expected.iloc[0]
        lines.append(f"- **What it is worth:** the expected scenario adds about "
                     f"{escape_markdown(format_money(row['revenue_change'], currency))} of won "
                     "revenue a month "
                     f"from marketing-sourced deals ({row['revenue_change_pct']:+.0%}).")
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.2f}"


def ranking_markdown(drivers: Drivers | None, *, stored: bool = False) -> str:
    """How the plan was ranked, in plain words: by impact (and from which answers) or by need.

    ``stored``: the plan is the company's stored plan, whose numbers were given when
    it was built; the sentence then says the ranking rule, not that it was just applied.
    """
    done = "was ranked" if not stored else "was numbered, when it was stored,"
    if drivers is None or not drivers.available:
        return (f"**Ranked by need.** The plan {done} by each facet's need alone: this survey has "
                "no driver view that says which facets move the sense of working as one team "
                "(too few complete answers, here and in the pool of all clients).")
    whose = ("this company's own answers" if drivers.source == "company" else
             "the pooled answers of all clients in the workspace (this company has too few "
             "complete answers of its own)")
    low, high = IMPACT_WEIGHT_RANGE
    return (f"**Ranked by impact.** The plan {done} by need *and* impact: the Identify report's "
            f"driver view, computed from {whose} (n = {drivers.n}), shows how much each facet "
            "moves the sense of working as one team. Each facet's need is weighed by its "
            "*driver weight*, its share of R² over the average facet's (kept between "
            f"{low:g} and {high:g}), so a facet that moves the outcome and scores low comes "
            "first.")


def priority_markdown(plan: pd.DataFrame, *, target_level: float = TARGET_LEVEL,
                      drivers: Drivers | None = None,
                      flags: Mapping[str, float] | None = None) -> str:
    """How the ranking works, in plain words, worked through for the first action.

    With ``drivers`` (the driver view the plan was ranked with) it first says whether
    the plan is ranked by impact or by need; ``flags`` adds the footnote of the
    facets the plan addresses whose alpha is below 0.6.
    """
    weighed = "impact_weight" in plan and plan["impact_weight"].fillna(1.0).ne(1.0).any()
    text = (f"**How the actions are ranked.** For every facet of working together we measure its "
            f"*need* in points on the 1\u20135 scale: how far the average answer lies below "
            f"{target_level:g} (*agree*), plus the perception gap between sales and marketing "
            "when that gap is clear. Each tactic in the playbook is scored by the need it meets, "
            "how strongly it works (impact, 1\u20135) and how much work it takes (effort, "
            "1\u20135): **priority = need \u00d7 impact \u00f7 effort**. A tactic counts the full "
            "need of the facet it mainly targets and half the need of a facet it only supports. "
            + ("With a driver view, the need is first multiplied by the facet's driver weight. "
               if weighed else "")
            + "Each of the three lowest-scoring facets and every clear perception gap gets at "
            "least one action; the other places go to the highest priorities, at most two per "
            "facet. Ties go to the larger perception gap. Actions are numbered in priority order "
            "and keep their number in every report.")
    if drivers is not None:
        text = ranking_markdown(drivers, stored=plan.attrs.get("source") == "stored") \
            + "\n\n" + text
    note = alpha_footnote(flags or {}, dict(zip(plan["dimension"], plan["dimension_name"],
                                                strict=True)) if len(plan) else {},
                          plan["dimension"] if len(plan) else [])
    top = plan.dropna(subset=["gap_size", "weight", "impact", "effort"]).head(1)
    if top.empty:
        return text + (f"\n\n*{note}*" if note else "")
    row = top.iloc[0]
    parts = f"{_number(row['shortfall'])} below {target_level:g}"
    if row["perception_gap"] > 0:
        parts += f" plus a {_number(row['perception_gap'])}-point perception gap"
    gap = row["gap_size"] * row["weight"]
    half = "" if row["weight"] == 1 else (f", halved to {_number(gap)} because the tactic only "
                                          "supports this facet")
    factor = float(row["impact_weight"]) if "impact_weight" in row and pd.notna(
        row["impact_weight"]) else 1.0
    weighted = gap * factor
    times = ("" if factor == 1.0 else
             f"; its driver weight {factor:.2f} makes it {_number(weighted)}")
    return text + (
        f"\n\nFor example, action {int(row['rank'])}, *{escape_markdown(row['title'])}*, addresses "
        f"**{row['dimension_name']}**: {parts} gives a need of {_number(row['gap_size'])}{half}"
        f"{times}. With impact {int(row['impact'])} and "
        f"effort {int(row['effort'])} its priority is {_number(weighted)} \u00d7 "
        f"{int(row['impact'])} \u00f7 {int(row['effort'])} = "
        f"**{_number(weighted * row['impact'] / row['effort'])}**."
        + (f"\n\n*{note}*" if note else ""))


def _kpi_text(playbook: Playbook, kpi_id: str, baseline: float, target: float) -> tuple[str, str]:
    known = {k.id for k in playbook.kpis}
    if kpi_id not in known:
        return str(kpi_id or ""), ""
    kpi = playbook.kpi(kpi_id)
    today = kpi.format(baseline)
    return kpi.name, (f"{today} \u2192 {kpi.format(target)}" if today != "not measured yet"
                      else f"target {kpi.format(target)}")


def plan_table(plan: pd.DataFrame, playbook: Playbook | None = None, *,
               flags: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The plan as a client reads it: one row per action, in priority order.

    ``flags`` (:func:`alignkit.charts.insight_text.alpha_flags`) marks the facets
    whose statements did not move together with
    :data:`~alignkit.charts.insight_text.ALPHA_MARK`.
    """
    book = playbook or load_playbook()
    flags = flags or {}
    kpis = [_kpi_text(book, k, b, t)
            for k, b, t in zip(plan["kpi"], plan["baseline"], plan["target"], strict=True)]
    table = pd.DataFrame({
        "Action": plan["title"].to_numpy(),
        "Addresses": [flag_name(str(n), str(d), flags) for n, d in
                      zip(plan["dimension_name"], plan["dimension"], strict=True)],
        "Priority": [("\u2013" if pd.isna(p) else f"{p:.1f}") for p in plan["priority"]],
        "Sales owner": plan["sales_owner"].fillna(PLACEHOLDER).to_numpy(),
        "Marketing owner": plan["marketing_owner"].fillna(PLACEHOLDER).to_numpy(),
        "Due": [d.strftime("%d %b %Y") if pd.notna(d) else "\u2013" for d in plan["due"]],
        "KPI": [name for name, _ in kpis],
        "Today \u2192 target": [change for _, change in kpis],
    }, index=pd.Index(_numbers(plan), name="#"))
    return table


def _numbers(plan: pd.DataFrame) -> list[int]:
    """Each action's number: its stored id, else its rank."""
    column = plan["id"] if "id" in plan else plan["rank"]
    return [int(v) for v in column]


def action_details_markdown(plan: pd.DataFrame, playbook: Playbook | None = None) -> str:
    """Per action, by number: what the tactic involves and its first steps (Markdown)."""
    book = playbook or load_playbook()
    known = {t.id: t for t in book.tactics}
    blocks = []
    for number, row in zip(_numbers(plan), plan.to_dict("records"), strict=True):
        tactic = known.get(row["tactic"])
        if tactic is None:
            continue
        steps = "\n".join(f"   {k}. {escape_markdown(step)}"
                          for k, step in enumerate(tactic.first_steps, 1))
        blocks.append(f"**{number}. {escape_markdown(str(row['title']))}**\n\n"
                      f"{escape_markdown(tactic.description)}\n\n*First steps:*\n\n{steps}")
    return "\n\n".join(blocks) if blocks else "No actions yet."


_NUMBER = re.compile(r"^[\u2013\u2212+\-]?[\d.,%\u20ac$\u00a3 ()+\-]*$")


def markdown_table(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A DataFrame as a Markdown table: text left-aligned, numbers right-aligned.

    Cells are data, never markup: each passes through
    :func:`alignkit.text.escaping.escape_markdown`, so an owner typed as ``<b>Ann</b>``
    or ``$x$`` shows as typed.
    """
    table = frame.reset_index() if index else frame
    if index and frame.index.name is None:
        table = table.rename(columns={"index": ""})

    def text(value: Any) -> str:
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    raw = [[text(v) for v in row] for row in table.itertuples(index=False)]
    numeric = [all(_NUMBER.match(r[k]) for r in raw) for k in range(len(table.columns))]
    lines = ["| " + " | ".join(escape_markdown(text(c)) for c in table.columns) + " |",
             "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(escape_markdown(cell) for cell in row) + " |" for row in raw]
    return "\n".join(lines)
