"""Report text for the published maturity levels and the survey's reliability (Identify).

Both read what :func:`alignkit.analysis.wave.score_wave` already published
(``WaveScores.maturity`` and ``WaveScores.reliability``); nothing is computed here.
"""

from __future__ import annotations

import math

import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.analysis.drivers import Drivers
from alignkit.analysis.maturity import levels_apart
from alignkit.analysis.wave import WaveScores
from alignkit.catalog.maturity import load_maturity_framework
from alignkit.text.escaping import escape_markdown
from alignkit.text.labels import TEAM_LABELS
from alignkit.text.tables import report_table

__all__ = ["drivers_markdown", "hbr_maturity_markdown", "reliability_table"]

#: Alpha below this is flagged wherever a dimension is read.
ALPHA_FLOOR = 0.6


def hbr_maturity_markdown(scores: WaveScores) -> str:
    """The company, sales and marketing on the HBR 2006 levels, and what the next level asks."""
    frame = scores.maturity
    if frame is None or frame.empty:
        return "Too few answers can be shown to place the teams on the published levels."
    fw = load_maturity_framework()
    rows = frame.set_index(frame["group"].astype(str))
    lines = [
        "**The published maturity levels.** Kotler, Rackham and Krishnaswamy (*Harvard Business "
        "Review*, July–August 2006) describe four levels of the relationship between sales and "
        "marketing. The same answers as the alignment index, rescaled to their 20–100 scale "
        "(20 × the average answer), place each group on one of them:", "",
        "| Group | Score (20–100) | Level |", "|:---|---:|:---|"]
    for group in [g for g in ("overall", "sales", "marketing") if g in rows.index]:
        row = rows.loc[group]
        shown = math.floor(row["score"] * 10) / 10  # never rounded up into the next band
        lines.append(f"| {TEAM_LABELS.get(group, group)} | {shown:.1f} | "
                     f"{int(row['level'])} · {row['level_name']} |")
    if "overall" in rows.index:
        level = next(lv for lv in fw.levels if lv.level == int(rows.loc["overall", "level"]))
        lines += ["", f"*What {level.name.lower()} looks like:* {level.looks_like}"]
        if level.level < len(fw.levels):
            lines += ["", f"*What the next level asks:* {level.next_step}"]
    apart = levels_apart(frame)
    if apart is not None:
        lines += ["", "Sales and marketing sit on the same level." if apart == 0 else
                  f"Sales and marketing sit **{apart} level{'s' if apart > 1 else ''} apart**: "
                  "the two teams do not experience the same relationship."]
    lines += ["", "The 0–100 alignment index above uses the same average on alignkit's own five "
                  "bands; the two scales rise and fall together."]
    return "\n".join(lines)


def reliability_table(scores: WaveScores) -> Styler:
    """Cronbach's alpha per dimension with the number of people who answered all of it."""
    frame = scores.reliability if scores.reliability is not None else pd.DataFrame()
    names = scores.dimensions.drop_duplicates("dimension").set_index("dimension")[
        "dimension_name"] if len(scores.dimensions) else pd.Series(dtype=object)
    rows = []
    for rec in frame.to_dict("records"):
        alpha = rec["alpha"]
        known = alpha is not None and not (isinstance(alpha, float) and math.isnan(alpha))
        rows.append({"Dimension": names.get(rec["dimension"], rec["dimension"]),
                     "Cronbach's alpha": f"{alpha:.2f}" if known else "\u2013",
                     "People": int(rec["n"]),
                     "Note": ("below 0.6: read this facet with care"
                              if known and alpha < ALPHA_FLOOR else
                              "" if known else "not shown (too few people, or items withheld)")})
    return report_table(pd.DataFrame(rows, columns=["Dimension", "Cronbach's alpha", "People",
                                                    "Note"]), "reliability")


_QUADRANT_WORDS = {"focus area": "**focus area**", "strength": "strength", "maintain": "maintain",
                   "lower priority": "lower priority"}


def drivers_markdown(drivers: Drivers, *, top: int = 6) -> str:
    """Which facets move the outcome statement most, or why this report cannot say."""
    if not drivers.available:  # the pool's size is about other clients: not stated here
        return (f"*No driver view for this survey:* it has {drivers.n} complete answers (every "
                "facet and the outcome statement), a driver view needs 30, and the pool of all "
                "clients in the workspace is too small to stand in.")
    whose = ("this company's answers" if drivers.source == "company" else
             f"the answers of all {drivers.companies} clients in the workspace, pooled, because "
             "this company has too few complete answers of its own")
    lines = [f"Computed from {whose} (n = {drivers.n}): together the fourteen facets explain "
             f"**{drivers.r2:.0%}** of how strongly people agree that the two teams work as one "
             "(R²). Each facet's share comes from general dominance, the average gain it brings "
             f"to every combination of the other facets; the range is a 95% bootstrap interval. "
             f"The quadrants split {escape_markdown(drivers.split)}.", "",
             "| Facet | Share of R² | 95% interval | Score (1–5) | Reading |",
             "|:---|---:|:---|---:|:---|"]
    for row in drivers.table.head(top).itertuples(index=False):
        lines.append(f"| {escape_markdown(row.dimension_name)} | {row.importance:.3f} | "
                     f"{row.ci_low:.3f} to {row.ci_high:.3f} | {row.score:.1f} | "
                     f"{_QUADRANT_WORDS.get(row.quadrant, row.quadrant)} |")
    focus = drivers.table[drivers.table["quadrant"] == "focus area"]["dimension_name"].tolist()
    if focus:
        lines += ["", "**Focus areas** (they move the outcome more than most and score low): "
                      + ", ".join(escape_markdown(f) for f in focus) + "."]
    return "\n".join(lines)
