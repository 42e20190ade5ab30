"""Words for the reports: headlines, findings and tables written from the scores.

Functions return Markdown strings or display-ready DataFrames; the notebooks
only show them. Hidden groups never appear with a figure.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from alignkit.wave import WaveData, WaveScores

__all__ = [
    "comments_markdown",
    "dimension_table",
    "key_findings",
    "participation_table",
    "report_heading",
]

TEAM_LABELS = {"overall": "All respondents", "sales": "Sales", "marketing": "Marketing",
               "leadership": "Leadership", "other": "Other"}


def report_heading(data: WaveData, scores: WaveScores) -> str:
    """The opening lines of the Identify report."""
    total = int(scores.sizes.loc[scores.sizes["group"] == "overall", "n"].iloc[0])
    return (
        f"# How well do sales and marketing work as one team at {data.company.name}?\n\n"
        f"This report reads the **{data.wave}** survey wave: **{total} people** answered "
        f"{len(data.instrument.items)} statements about {len(data.instrument.dimensions)} "
        "facets of working together, on a scale from 1 (strongly disagree) to 5 "
        "(strongly agree). It is the first step of the cycle *identify → plan → execute → "
        "recap*: finding where the two teams are out of step before agreeing what to change."
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
    lines = [
        f"- **Alignment index {overall['index']:.0f} of 100**, maturity level "
        f"{int(overall['level'])} (*{overall['level_name']}*).",
        f"- **Strongest:** {ranked.iloc[-1]['dimension_name']} "
        f"(mean {ranked.iloc[-1]['mean']:.1f}, {ranked.iloc[-1]['favourable']:.0%} favourable).",
        f"- **Weakest:** {ranked.iloc[0]['dimension_name']} "
        f"(mean {ranked.iloc[0]['mean']:.1f}, {ranked.iloc[0]['favourable']:.0%} favourable).",
    ]
    lines += _gap_findings(scores)
    return "\n".join(lines)


def _gap_findings(scores: WaveScores) -> list[str]:
    gaps = scores.gaps
    if gaps.empty:
        return ["- Sales and marketing cannot be compared: one of the two teams has fewer "
                f"than {scores.threshold} respondents."]
    clear = gaps[(gaps["low"] > 0) | (gaps["high"] < 0)]
    if clear.empty:
        return ["- Sales and marketing see every dimension much the same way: no gap is "
                "clearly larger than chance."]
    top = clear.loc[clear["gap"].abs().idxmax()]
    higher, lower = ("Sales", "Marketing") if top["gap"] > 0 else ("Marketing", "Sales")
    return [
        f"- **Largest perception gap:** {top['dimension_name']}: {higher} rates it "
        f"{abs(top['gap']):.1f} points higher than {lower} "
        f"({top['a_mean']:.1f} vs {top['b_mean']:.1f} for sales vs marketing).",
        f"- The two teams differ clearly on **{len(clear)} of {len(gaps)}** dimensions "
        "(90% interval of the gap excludes zero).",
    ]


def participation_table(scores: WaveScores) -> pd.DataFrame:
    """Who answered: respondents per group, or "fewer than k" for hidden groups."""
    rows = []
    for rec in scores.sizes.itertuples(index=False):
        if rec.n == 0:
            continue
        shown = f"fewer than {scores.threshold}" if rec.suppressed else str(rec.n)
        note = "not shown, to protect anonymity" if rec.suppressed else ""
        rows.append({"Group": TEAM_LABELS.get(rec.group, rec.group), "Respondents": shown,
                     "Note": note})
    table = pd.DataFrame(rows).set_index("Group")
    table.index.name = None  # no separate header row for the index
    return table


def dimension_table(scores: WaveScores) -> pd.DataFrame:
    """Mean per dimension (rows) and visible group (columns), one decimal."""
    shown = scores.dimensions[~scores.dimensions["suppressed"]]
    table = shown.pivot_table(index="dimension_name", columns="group", values="mean",
                              observed=True, sort=False)
    table = table.reindex(columns=[g for g in TEAM_LABELS if g in table.columns])
    table.columns = [TEAM_LABELS[g] for g in table.columns]
    table.index.name = None
    return table.round(1)


def comments_markdown(scores: WaveScores, *, limit: int = 8) -> str:
    """A few comments from visible teams, unattributed beyond the team."""
    if scores.comments.empty:
        return "_No comments can be shown for this wave._"
    picked = scores.comments.head(limit)
    quotes = [f"{_quote(c)}\n>\n> — *{TEAM_LABELS.get(t, t)}*" for t, c in
              zip(picked["team"], picked["comment"], strict=True)]
    return "\n\n".join(quotes)


def _quote(comment: str) -> str:
    # Respondents' text is data, never markup: escape HTML and Markdown.
    text = html.escape(comment.strip())
    text = re.sub(r"([\\`*_{}\[\]()#+!|~-])", r"\\\1", text)
    return "\n".join(f"> {line}" for line in text.splitlines())
