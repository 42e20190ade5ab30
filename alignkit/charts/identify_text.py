"""Words for the reports: headlines, findings and tables written from the scores.

Functions return Markdown strings or display-ready DataFrames; the notebooks
only show them. Hidden groups never appear with a figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from alignkit.analysis.funnel import FunnelAnalysis
from alignkit.analysis.uncertainty import LEVEL, clear_flags, excludes_zero
from alignkit.analysis.wave import WaveData, WaveScores
from alignkit.charts.insight_text import alpha_flags, alpha_footnote, flag_name
from alignkit.text.escaping import escape_markdown
from alignkit.text.labels import TEAM_LABELS, TEAM_NAMES

__all__ = [
    "comments_markdown",
    "dimension_table",
    "disconnects_markdown",
    "funnel_overview",
    "key_findings",
    "participation_table",
    "report_heading",
    "sourced_pipeline_markdown",
    "speed_to_lead_markdown",
    "speed_to_lead_table",
]

def report_heading(data: WaveData, scores: WaveScores) -> str:
    """The opening lines of the Identify report."""
    total = int(scores.sizes.loc[scores.sizes["group"] == "overall", "n"].iloc[0])
    total += sum(scores.left_out.values())  # answered, though left out of the figures
    company, wave = escape_markdown(data.company.name), escape_markdown(data.wave)
    return (
        f"# How well do sales and marketing work as one team at {company}?\n\n"
        f"This report reads the **{wave}** survey wave: **{total} people** answered "
        f"{len(data.instrument.items)} statements about {len(data.instrument.dimensions)} "
        "facets of working together, on a scale from 1 (strongly disagree) to 5 "
        "(strongly agree). It is the first step of the cycle *identify → plan → execute → "
        "recap*: finding where the two teams are out of step before agreeing what to change."
        + (f" {scores.note}" if scores.note else "")
    )


def _overall_index(scores: WaveScores) -> pd.Series:
    return scores.index[scores.index["group"] == "overall"].iloc[0]


def key_findings(scores: WaveScores) -> str:
    """Three to five bullet points a consultant would say first."""
    overall = _overall_index(scores)
    if overall["suppressed"]:
        return (f"Fewer than {scores.threshold} people answered, so no results can be shown "
                "without risking their anonymity.")
    dims = scores.dimensions[(scores.dimensions["group"] == "overall")].dropna(subset=["mean"])
    ranked = dims.sort_values("mean")
    flags = alpha_flags(scores.reliability)
    best, worst = ranked.iloc[-1], ranked.iloc[0]
    lines = [
        f"- **Alignment index {overall['index']:.0f} of 100**, maturity level "
        f"{int(overall['level'])} (*{overall['level_name']}*).",
        f"- **Strongest:** {flag_name(best['dimension_name'], best['dimension'], flags)} "
        f"(mean {best['mean']:.1f}, {best['favourable']:.0%} favourable).",
        f"- **Weakest:** {flag_name(worst['dimension_name'], worst['dimension'], flags)} "
        f"(mean {worst['mean']:.1f}, {worst['favourable']:.0%} favourable).",
    ]
    lines += _gap_findings(scores, flags)
    names = dict(zip(dims["dimension"], dims["dimension_name"], strict=True))
    note = alpha_footnote(flags, names, [best["dimension"], worst["dimension"],
                                         *_gap_dimensions(scores)])
    return "\n".join(lines + (["", f"*{note}*"] if note else []))


def _gap_dimensions(scores: WaveScores) -> list[str]:
    """The dimension the largest clear gap finding names (none without a clear gap)."""
    gaps = scores.gaps
    if gaps.empty:
        return []
    clear = gaps[clear_flags(gaps)]
    return [] if clear.empty else [clear.loc[clear["gap"].abs().idxmax(), "dimension"]]


def _gap_findings(scores: WaveScores, flags: Mapping[str, float] | None = None) -> list[str]:
    gaps = scores.gaps
    if gaps.empty:
        return ["- Sales and marketing cannot be compared: one of the two teams has fewer "
                f"than {scores.threshold} respondents."]
    clear_rows = clear_flags(gaps)
    clear = gaps[clear_rows]
    level = round(100 * gaps.attrs.get("confidence", LEVEL))
    holm_only = int((excludes_zero(gaps["low"], gaps["high"]) & ~clear_rows).sum())
    on = f"{holm_only} more" if len(clear) else f"{holm_only} dimension{'s' * (holm_only > 1)}"
    caveat = (f" On {on}, the {level}% interval of the gap excludes zero, but the difference "
              f"is not clear after Holm adjustment for the {gaps.attrs.get('tests', len(gaps))}"
              " dimensions compared." if holm_only else "")
    if clear.empty:
        same = ("- Sales and marketing see every dimension much the same way: no gap is "
                "clearly larger than chance." if not holm_only else
                "- No gap between sales and marketing is clear.")
        return [same + caveat]
    top = clear.loc[clear["gap"].abs().idxmax()]
    sales, marketing = TEAM_NAMES["sales"], TEAM_NAMES["marketing"]
    higher, lower = (sales, marketing) if top["gap"] > 0 else (marketing, sales)
    return [
        f"- **Largest perception gap:** "
        f"{flag_name(top['dimension_name'], top['dimension'], flags or {})}: {higher} rates it "
        f"{abs(top['gap']):.1f} points higher than {lower} "
        f"({top['a_mean']:.1f} vs {top['b_mean']:.1f} for sales vs marketing).",
        f"- The two teams differ clearly on **{len(clear)} of {len(gaps)}** dimensions "
        "(bootstrap p-value below 5% after Holm adjustment for the dimensions compared)."
        + caveat,
    ]


def participation_table(scores: WaveScores) -> pd.DataFrame:
    """Who answered: respondents per group, or "fewer than k" for hidden groups."""
    rows = []
    for rec in scores.sizes.itertuples(index=False):
        if rec.n == 0:
            continue
        shown = f"fewer than {scores.threshold}" if rec.suppressed else str(rec.n)
        note = "left out of every figure, to protect anonymity" if rec.suppressed else ""
        rows.append({"Group": TEAM_LABELS.get(rec.group, str(rec.group).capitalize()),
                     "Respondents": shown, "Note": note})
    if scores.left_out:  # how many answers are in no figure, and why (alignkit.analysis.disclosure)
        rows.append({"Group": "Left out", "Respondents": str(sum(scores.left_out.values())),
                     "Note": f"fewer than {scores.threshold} even with the other small teams: "
                             "in no figure, the overall ones included"})
    table = pd.DataFrame(rows).set_index("Group")
    table.index.name = None  # no separate header row for the index
    return table


def dimension_table(scores: WaveScores) -> pd.DataFrame:
    """Mean per dimension (rows) and visible group (columns), one decimal."""
    shown = scores.dimensions[~scores.dimensions["suppressed"]]
    table = shown.pivot_table(index="dimension_name", columns="group", values="mean",
                              observed=True, sort=False)
    table = table.reindex(columns=[g for g in TEAM_LABELS if g in table.columns]
                          + [g for g in table.columns if g not in TEAM_LABELS])  # pools last
    table.columns = [TEAM_LABELS.get(g, str(g).capitalize()) for g in table.columns]
    table.index.name = None
    return table.round(1)


def comments_markdown(scores: WaveScores, *, limit: int = 8) -> str:
    """A few comments from visible teams, unattributed beyond the team."""
    if scores.comments.empty:
        return "_No comments can be shown for this wave._"
    picked = scores.comments.head(limit)
    quotes = [f"{_quote(c)}\n>\n> — *{escape_markdown(TEAM_LABELS.get(t, t))}*" for t, c in
              zip(picked["team"], picked["comment"], strict=True)]
    return "\n\n".join(quotes)


def _quote(comment: str) -> str:
    # Respondents' text is data, never markup; each of its lines stays a line of the quote.
    return "\n".join(f"> {escape_markdown(line)}" for line in str(comment).strip().splitlines())


# -- the CRM funnel -----------------------------------------------------------------
def _month(stamp: pd.Timestamp) -> str:
    return f"{stamp:%B %Y}"


def _rate(conversion: pd.DataFrame, a: str, b: str) -> float:
    row = conversion[(conversion["from_stage"] == a) & (conversion["to_stage"] == b)]
    return float(row["rate"].iloc[0]) if len(row) else float("nan")


def _hours_text(hours: float) -> str:
    if pd.isna(hours):
        return "not known"
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def funnel_overview(funnel: FunnelAnalysis, company: str,
                    kpis: dict[str, float] | None = None) -> str:
    """What the funnel data covers and its headline figures, or one sentence if there is none.

    ``kpis`` are the hand-off KPIs of :mod:`alignkit.analysis.metrics` (measured on
    marketing-sourced MQLs); when given, the sentences about MQLs quote them,
    so Identify states the same baselines as the Plan, Execute and Recap reports.
    """
    if funnel.basis == "none":
        return (f"No CRM funnel export has been imported for {escape_markdown(company)} yet, "
                "so this report reads the survey only.")
    fall = funnel.waterfall.set_index("stage")["count"]
    conv = funnel.conversion
    if funnel.basis == "counts":
        periods = [escape_markdown(p) for p in funnel.periods]
        span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
        intro = (f"The CRM export holds stage counts for {span} ({int(fall['lead']):,} leads), "
                 "not one row per lead: leakage at the hand-off, speed to lead and the split "
                 "between marketing- and sales-sourced pipeline cannot be computed from it.")
    else:
        intro = (f"**{int(fall['lead']):,} leads** were created between "
                 f"{_month(funnel.first)} and {_month(funnel.last)}; "
                 f"**{int(fall['won']):,}** of them have been won so far.")
    lines = [intro, "", "All leads, whatever their source, as the chart below counts them:", ""]
    measured = dict(kpis or {})
    for a, b, text in (("lead", "mql", "of leads became marketing qualified"),
                       ("mql", "sal", "of MQLs were accepted by sales"),
                       ("sal", "sql", "of accepted leads were qualified by sales"),
                       ("opportunity", "won", "of opportunities were won")):
        rate = _rate(conv, a, b)
        if (a, b) == ("mql", "sal") and measured:
            continue  # the hand-off is stated below, on the KPIs' own basis
        if not pd.isna(rate):
            lines.append(f"- **{rate:.0%}** {text}.")
    return "\n".join(lines + _handoff_lines(measured) + _leak_lines(funnel, measured))


def _handoff_lines(measured: dict[str, float]) -> list[str]:
    """The hand-off KPIs (marketing-sourced MQLs), as the Plan, Execute and Recap track them."""
    if "mql_acceptance_rate" not in measured:
        return []
    lines = ["", "**The hand-off.** Marketing's own MQLs, the leads the service level agreement "
                 "is about; these are the baselines the plan and its tracking start from:", ""]
    if "mqls_delivered" in measured:
        lines.append(f"- Marketing delivered **{measured['mqls_delivered']:.0f} MQLs a month**.")
    lines.append(f"- **{measured['mql_acceptance_rate']:.0%}** of marketing's MQLs were "
                 "accepted by sales.")
    if "mql_to_sql_rate" in measured:
        lines.append(f"- **{measured['mql_to_sql_rate']:.0%}** of marketing's MQLs became "
                     "sales qualified (SQL).")
    return lines


def _leak_lines(funnel: FunnelAnalysis, kpis: dict[str, float] | None = None) -> list[str]:
    measured = dict(kpis or {})
    if "mql_acceptance_rate" in measured:
        line = (f"- Of marketing's MQLs, **{1 - measured['mql_acceptance_rate']:.0%}** were never "
                "accepted by sales")
        if "untouched_mql_share" in measured:
            line += f" and **{measured['untouched_mql_share']:.0%}** were never contacted at all"
        return [line + "."]
    if funnel.leakage.empty or funnel.leakage["base"].max() == 0:
        return []
    leaks = funnel.leakage.set_index("leak")
    base = int(leaks["base"].iloc[0])
    lines = [f"- Of the **{base:,} MQLs** marketing handed over, **{leaks.loc['not_accepted', 'share']:.0%}**"
             " were never accepted by sales"]
    touched = leaks.loc["not_touched"]
    if pd.notna(touched["count"]):
        lines[0] += f" and **{touched['share']:.0%}** were never contacted at all"
    lines[0] += "."
    return lines


def speed_to_lead_markdown(funnel: FunnelAnalysis) -> str:
    """The speed-to-lead section: heading and findings; empty without lead-level data."""
    speed = funnel.speed
    if funnel.basis != "leads" or speed.empty:
        return ""
    by_source = speed[speed["breakdown"] == "source"].set_index("group")
    lines = ["### Speed to lead", "",
             f"The clock starts when marketing hands a lead over (its MQL date) or, for leads "
             f"sales found itself, when the lead was created. The agreed follow-up time used "
             f"here is **{funnel.sla_hours:g} hours**.", ""]
    for source, label in (("marketing", "Marketing-sourced leads"),
                          ("sales", "Sales-sourced leads")):
        if source in by_source.index:
            row = by_source.loc[source]
            lines.append(f"- {label}: **{row['share_within_1h']:.0%}** contacted within an hour, "
                         f"**{row['share_within_sla']:.0%}** within the SLA; median first touch "
                         f"after {_hours_text(row['median_hours'])}"
                         + (f", {int(row['leads'] - row['touched']):,} never contacted."
                            if row["leads"] > row["touched"] else "."))
    return "\n".join(lines)


def speed_to_lead_table(funnel: FunnelAnalysis) -> pd.DataFrame | None:
    """Speed to lead by source and owner team, ready to display; ``None`` without data."""
    speed = funnel.speed
    if funnel.basis != "leads" or speed.empty:
        return None
    names = {"all": "All leads handed to sales", "marketing": "Marketing-sourced",
             "sales": "Sales-sourced", "other": "Other sources"}
    table = pd.DataFrame({
        "Leads": speed["leads"].map("{:,}".format).to_numpy(),
        "Within 1 hour": speed["share_within_1h"].map("{:.0%}".format).to_numpy(),
        f"Within SLA ({funnel.sla_hours:g} h)":
            speed["share_within_sla"].map("{:.0%}".format).to_numpy(),
        "Median first touch": speed["median_hours"].map(_hours_text).to_numpy(),
        "Never contacted": (speed["leads"] - speed["touched"]).map("{:,}".format).to_numpy(),
    }, index=[names.get(g, g) if b != "owner_team" else f"MQLs owned by {g}"
              for b, g in zip(speed["breakdown"], speed["group"], strict=True)])
    return table


def sourced_pipeline_markdown(funnel: FunnelAnalysis) -> str:
    """The sourced-pipeline section: heading and findings; empty without lead-level data."""
    if funnel.basis != "leads" or funnel.sourced.empty:
        return ""
    rows = funnel.sourced.set_index("source")
    of_closed = funnel.sourced.attrs.get("win_rate_of", "closed") == "closed"
    total = rows["pipeline_amount"].sum()
    lines = ["### Who fills the pipeline", ""]
    for source in ("marketing", "sales"):
        label = TEAM_NAMES[source]
        if source not in rows.index:
            continue
        row = rows.loc[source]
        share = row["pipeline_amount"] / total if total else float("nan")
        won = ("no opportunity has closed yet" if pd.isna(row["win_rate"]) else
               f"it wins **{row['win_rate']:.0%}** of the opportunities that have closed"
               if of_closed else f"**{row['win_rate']:.0%}** of its opportunities were won (the "
               "export records no lost deals, so open and lost ones count alike)")
        lines.append(f"- {label} sourced **{int(row['leads']):,} leads** and "
                     f"**{int(row['opportunities']):,} opportunities** "
                     f"({share:.0%} of the pipeline value); {won}.")
    return "\n".join(lines)


def disconnects_markdown(disconnects: pd.DataFrame) -> str:
    """The ranked disconnects as a numbered list, each tagged survey or funnel."""
    if disconnects.empty:
        return ("No clear disconnect stands out: no practice is rated low, the teams see every "
                "dimension alike, and the funnel shows no marked leak.")
    where = {"survey": "survey", "funnel": "CRM funnel"}
    return "\n".join(f"{row.rank}. {row.finding} *({row.area}, {where[row.source]})*"
                     for row in disconnects.itertuples())
