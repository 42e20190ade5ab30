"""The words and tables of the Recap report, from a :class:`~alignkit.track.recap.WaveComparison`.

The heading, the findings, the tables of changes and gaps, how the process is
seen, and the plain-word recommendations for the next cycle. Every function
takes the comparison (and for the recommendations the KPI summary and action
status of :mod:`alignkit.track.kpis` and :mod:`alignkit.track.actions`) and returns
Markdown, a list of sentences or a display table; nothing is computed that the
comparison does not already hold.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.analysis.scoring import OVERALL
from alignkit.analysis.uncertainty import HOLM_MARK, clear_flags, excludes_zero, holm_note
from alignkit.charts.insight_text import alpha_flags, alpha_footnote, flag_name
from alignkit.text.escaping import escape_markdown
from alignkit.text.labels import TEAM_NAMES
from alignkit.text.numbers import signed
from alignkit.text.tables import report_table
from alignkit.track.recap import GAP_STATUS_LABELS, WaveComparison

__all__ = [
    "change_table",
    "recap_alpha_flags",
    "comparison_note",
    "gap_table",
    "next_cycle",
    "process_findings",
    "recap_findings",
    "recap_heading",
    "recommendations_markdown",
]

def _in_sentence(name: str) -> str:
    """A dimension name inside a sentence: lower-case first letter, unless an acronym."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def recap_heading(rc: WaveComparison) -> str:
    """The opening lines of the Recap report; one sentence when there is no follow-up."""
    name, baseline, followup = (escape_markdown(t) for t in (rc.company.name, rc.baseline,
                                                              rc.followup))
    if not rc.has_followup:
        return (f"# Recap: what moved at {name}?\n\nNo follow-up survey (wave "
                f"*{followup}*) has been imported for {name} yet, so this report shows the "
                "KPIs and the baseline view of the process only; the comparison appears once "
                "the second wave is in.")
    before, after = rc.respondents
    return (f"# Recap: what moved at {name}?\n\nThe follow-up survey (*{followup}*, {after} "
            f"people) asked the same questions as the baseline (*{baseline}*, {before} people). This "
            "report sets the two side by side: what changed, which disagreements between sales "
            "and marketing closed, how the agreed KPIs moved and what to work on next.")


def recap_alpha_flags(rc: WaveComparison) -> dict[str, float]:
    """Dimension -> the lower alpha of its two waves, for those below 0.6 in either wave."""
    rel = rc.reliability
    if rel is None or rel.empty:
        return {}
    return alpha_flags(rel.assign(alpha=rel[["alpha_before", "alpha_after"]].min(axis=1)))


def _names(frame: pd.DataFrame, flags: dict[str, float] | None = None) -> str:
    return ", ".join(f"{flag_name(r.dimension_name, r.dimension, flags or {})} "
                     f"({signed(r.change)})" for r in frame.itertuples())


def _alpha_note(rc: WaveComparison, frame: pd.DataFrame) -> str:
    """The footnote of the flagged dimensions named in ``frame`` (empty when none)."""
    names = dict(zip(frame["dimension"], frame["dimension_name"], strict=True))
    return alpha_footnote(recap_alpha_flags(rc), names, frame["dimension"]).replace(
        "did not move together", "did not move together in one of the two surveys")


def _holm_only(changes: pd.DataFrame) -> pd.Series:
    """Changes whose interval excludes zero but which are not clear after Holm."""
    return excludes_zero(changes["low"], changes["high"]) & ~changes["significant"].astype(bool)


def _holm_caveat(changes: pd.DataFrame, level: int) -> str:
    held = changes[_holm_only(changes)]
    if held.empty:
        return ""
    return (f" For {', '.join(held['dimension_name'])} the {level}% interval of the change "
            "excludes zero, but the change is not clear after Holm adjustment for the "
            f"{len(changes)} dimensions compared.")


def recap_findings(rc: WaveComparison) -> str:
    """Three to five bullet points: index, significant moves, gaps closed and remaining."""
    overall = rc.index[rc.index["group"] == OVERALL]
    if not rc.has_followup:
        start = (f"- **Alignment index at the baseline: {overall['before'].iloc[0]:.0f}** of 100 "
                 f"({overall['level_before'].iloc[0]}).\n" if len(overall) else "")
        return start + "- What moved since then appears once the follow-up survey is imported."
    lines = []
    if len(overall):
        r = overall.iloc[0]
        verdict = ("a clear change" if r.p_value < rc.alpha else "not clearly more than chance")
        lines.append(f"- **Alignment index {r.before:.0f} → {r.after:.0f}** of 100, {verdict} "
                     f"({round(100 * rc.confidence)}% interval of the change {signed(r.low)} to "
                     f"{signed(r.high)} points; maturity {r.level_before} → {r.level_after}).")
    moved = rc.changes[(rc.changes["group"] == OVERALL) & rc.changes["significant"]]
    up, down = moved[moved["change"] > 0], moved[moved["change"] < 0]
    flags = recap_alpha_flags(rc)
    overall_rows = rc.changes[rc.changes["group"] == OVERALL]
    rising = int((overall_rows["change"] >= 0.05).sum())
    lines.append(f"- **Clearly better:** {_names(up, flags)}." if len(up) else
                 f"- **No dimension moved clearly.** {rising} of {len(overall_rows)} rose a "
                 "little, none by more than chance could explain with this many respondents.")
    if len(down):
        lines.append(f"- **Clearly worse:** {_names(down, flags)}.")
    lines[-1] += _holm_caveat(overall_rows, round(100 * rc.confidence))
    if len(rc.gaps):
        parts = [f"{GAP_STATUS_LABELS[k].split(',')[0].lower()}: {', '.join(names)}"
                 for k in ("closed", "narrowed", "remains", "widened", "new")
                 if (names := rc.gaps.loc[rc.gaps["status"] == k, "dimension_name"].tolist())]
        lines.append("- **Perception gaps between sales and marketing** \u2014 "
                     + ("; ".join(parts) if parts else "none at either time") + ".")
    else:
        lines.append("- Sales and marketing cannot be compared: one of the two teams is too "
                     "small in one of the waves.")
    note = _alpha_note(rc, moved)
    return "\n".join(lines + (["", f"*{note}*"] if note else []))


def comparison_note(rc: WaveComparison) -> str:
    """Which teams were left out of the comparison, and why."""
    if not rc.has_followup:
        return "_Nothing has been compared yet._"
    if not rc.not_compared:
        return "Every team had enough respondents in both surveys to be compared."
    names = " and ".join(escape_markdown(TEAM_NAMES.get(t, t)) for t in sorted(rc.not_compared))
    return (f"{names} {'is' if len(rc.not_compared) == 1 else 'are'} not compared: in at least "
            f"one of the surveys, too few of them answered to be shown (fewer than "
            f"{rc.threshold}), or they were hidden so that a smaller group cannot be worked out.")


def change_table(rc: WaveComparison, group: str = OVERALL) -> Styler:
    """Display table of one group's changes, with interval and adjusted p-value.

    A change whose interval excludes zero but which is not clear after the Holm
    adjustment says so in the last column, never just nothing.
    """
    part = rc.changes[rc.changes["group"] == group]
    level = round(100 * rc.confidence)
    held = _holm_only(part).to_numpy() if len(part) else []
    flags = recap_alpha_flags(rc)
    rows = [{"Dimension": flag_name(r.dimension_name, r.dimension, flags),
             "Baseline": f"{r.before:.2f}",
             "Follow-up": f"{r.after:.2f}", "Change": signed(r.change),
             f"{level}% interval": f"{signed(r.low)} to {signed(r.high)}",
             "p (Holm)": "<0.001" if r.p_adjusted < 0.001 else f"{r.p_adjusted:.3f}",
             "Clear change": "yes" if r.significant else
             "no: not clear after Holm adjustment" if h else ""}
            for r, h in zip(part.itertuples(), held, strict=True)]
    table = report_table(pd.DataFrame(rows), "changes")
    note = _alpha_note(rc, part) if len(part) else ""
    if note:
        table = table.set_caption(note).set_table_styles(
            [{"selector": "caption", "props": "caption-side: bottom; text-align: left;"}],
            overwrite=False)
    return table


def gap_table(rc: WaveComparison) -> Styler:
    """Display table of the sales − marketing gaps in both waves and what became of them.

    A gap no longer clear whose follow-up interval still excludes zero is marked,
    and the table's caption says why.
    """
    order = rc.gaps.reindex(rc.gaps["gap_before"].abs().sort_values(ascending=False).index) \
        if len(rc.gaps) else rc.gaps
    order = order[order["status"] != "none"]
    held = (excludes_zero(order["low_after"], order["high_after"])
            & ~clear_flags(order, "low_after", "high_after", "clear_after")).to_numpy()
    rows = [{"Dimension": r.dimension_name, "Gap at baseline": signed(r.gap_before),
             "Gap now": signed(r.gap_after),
             "What happened": GAP_STATUS_LABELS[r.status] + (f" {HOLM_MARK}" if h else "")}
            for r, h in zip(order.itertuples(), held, strict=True)]
    table = report_table(pd.DataFrame(rows), "gaps")
    if any(held):
        tests = rc.gaps.attrs.get("tests_after", len(rc.gaps))
        table = table.set_caption(holm_note(tests, rc.confidence)).set_table_styles(
            [{"selector": "caption", "props": "caption-side: bottom; text-align: left;"}],
            overwrite=False)
    return table


def process_findings(rc: WaveComparison) -> str:
    """How all respondents see the process items now (and before)."""
    rows = rc.process[rc.process["group"] == OVERALL]
    if rows.empty:
        return "_Too few people answered the process statements to show them._"
    lines = []
    for r in rows.itertuples():
        now = r.fav_after if rc.has_followup else r.fav_before
        was = f" (baseline {r.fav_before:.0%})" if rc.has_followup else ""
        lines.append(f"- *{r.text}* \u2014 **{now:.0%} agree**{was}.")
    return "\n".join(lines)


_PROCESS_ADVICE = {
    "process_1": "walk both teams through the agreed lead process again and check it in the CRM",
    "process_2": "put the hand-off process in one place everybody can find and link it in the CRM",
    "process_3": "book a quarterly review of the joint plan with both teams in the room",
    "process_4": "show both teams what the joint work has won, in numbers, at the next all-hands",
}


def next_cycle(rc: WaveComparison, kpi_summary: pd.DataFrame | None = None,
               action_status: pd.DataFrame | None = None, *, limit: int = 6,
               material: float = 0.3) -> list[str]:
    """Plain-word recommendations for the next cycle, the most pressing first.

    Rules, in order: a clear decline; the two largest gaps still open (at
    least ``material`` points); the weakest dimensions that did not improve;
    the least-agreed process statement if under half agree; KPIs short of
    target and not improving; unfinished actions; what worked (to keep).
    """
    later = _process_advice(rc) + _kpi_advice(kpi_summary) + _action_advice(action_status)
    if not rc.has_followup:
        return ["Run the follow-up survey with the same questionnaire three to six months after "
                "the plan started, so the next recap can show what moved.", *later][:limit]
    overall = rc.changes[rc.changes["group"] == OVERALL]
    clear = overall["significant"].astype(bool)
    out = [f"**{r.dimension_name} fell** ({r.before:.1f} → {r.after:.1f}): find out why with both "
           "teams before adding new work." for r in overall[clear & (overall["change"] < 0)]
           .itertuples()]
    out += _gap_advice(rc.gaps, material)
    flat = overall[~clear].nsmallest(2, "after")
    if len(flat):
        out.append(f"**Still among the weakest and not moving:** {', '.join(flat['dimension_name'])}"
                   ": make them the focus of the next plan.")
    out += later
    kept = overall[clear & (overall["change"] > 0)]
    if len(kept):
        out.append(f"**Keep what worked** on {', '.join(kept['dimension_name'])}: write the new "
                   "habits into the documented process and into onboarding, so they last.")
    return out[:limit]


def _gap_advice(gaps: pd.DataFrame, material: float) -> list[str]:
    """The two largest gaps still open, if at least ``material`` points."""
    still = gaps[gaps["status"].isin(["remains", "widened", "new", "narrowed"])
                 & (gaps["gap_after"].abs() >= material)]
    still = still.reindex(still["gap_after"].abs().sort_values(ascending=False).index).head(2)
    return [f"**Sales and marketing still see {_in_sentence(r.dimension_name)} differently** "
            f"(sales {r.a_mean_after:.1f}, marketing {r.b_mean_after:.1f}): put examples from "
            "both sides on the table in one workshop and agree in writing what good looks like."
            for r in still.itertuples()]


def _kpi_advice(summary: pd.DataFrame | None) -> list[str]:
    if summary is None or summary.empty:
        return []
    stuck = summary[summary["status"].isin(["stalled", "worsening"])]
    if stuck.empty:
        return []
    labels = "; ".join(escape_markdown(label) for label in stuck["label"])
    return [f"**Not moving towards target:** {labels}. Check that the actions "
            "behind them are being done, or reset the targets together."]


def _action_advice(status: pd.DataFrame | None) -> list[str]:
    if status is None or status.empty:
        return []
    open_ = status[status["status"].isin(["planned", "in_progress"])]
    if open_.empty:
        return []
    return [f"**{len(open_)} of {len(status)} actions are not finished**: decide with both "
            "owners whether each carries over into the next plan or is dropped on purpose."]


def _process_advice(rc: WaveComparison) -> list[str]:
    rows = rc.process[rc.process["group"] == OVERALL]
    column = "fav_after" if rc.has_followup else "fav_before"
    if rows.empty or rows[column].min() >= 0.5:
        return []
    worst = rows.loc[rows[column].idxmin()]
    advice = _PROCESS_ADVICE.get(worst["item"], "talk it through in the recap meeting")
    return [f"Only {worst[column]:.0%} agree that *{worst['text'].rstrip('.').lower()}*: "
            f"{advice}."]


def recommendations_markdown(recommendations: list[str]) -> str:
    """A numbered list, or a sentence when there is nothing to recommend."""
    if not recommendations:
        return "Nothing stands out: keep the current routines and survey again in six months."
    return "\n".join(f"{k}. {text}" for k, text in enumerate(recommendations, 1))
