"""Report text for the published maturity levels and the survey's reliability (Identify).

Both read what :func:`alignkit.analysis.wave.score_wave` already published
(``WaveScores.maturity`` and ``WaveScores.reliability``); nothing is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.analysis.benchmarks import Benchmark, count_band
from alignkit.analysis.comments import CommentThemes
from alignkit.analysis.drivers import Drivers
from alignkit.analysis.maturity import levels_apart
from alignkit.analysis.reliability import ALPHA_FLOOR
from alignkit.analysis.wave import WaveScores
from alignkit.catalog.maturity import load_maturity_framework
from alignkit.text.escaping import escape_markdown
from alignkit.text.labels import TEAM_LABELS
from alignkit.text.tables import report_table

__all__ = [
    "ALPHA_FLOOR",
    "ALPHA_MARK",
    "alpha_flags",
    "alpha_footnote",
    "benchmark_markdown",
    "comment_themes_markdown",
    "drivers_markdown",
    "flag_name",
    "hbr_maturity_markdown",
    "reliability_table",
]

#: The mark after a facet whose statements did not move together († is taken by Holm).
ALPHA_MARK = "‡"


# -- the alpha flag ------------------------------------------------------------------------------
def alpha_flags(reliability: pd.DataFrame | None, column: str = "alpha") -> dict[str, float]:
    """Dimension -> alpha of every dimension whose Cronbach's alpha is below 0.6.

    ``reliability`` is :attr:`WaveScores.reliability
    <alignkit.analysis.wave.WaveScores.reliability>` (or any frame with ``dimension``
    and ``column``); dimensions without an alpha are never flagged.
    """
    if reliability is None or reliability.empty or column not in reliability:
        return {}
    alphas = pd.to_numeric(reliability[column], errors="coerce")
    low = alphas.notna() & (alphas < ALPHA_FLOOR)
    return {str(d): float(a) for d, a in zip(reliability["dimension"][low], alphas[low],
                                              strict=True)}


def flag_name(name: str, dimension: str, flags: Mapping[str, float]) -> str:
    """``name`` with :data:`ALPHA_MARK` when ``dimension`` is flagged (``name`` is not escaped)."""
    return f"{name} {ALPHA_MARK}" if dimension in flags else name


def alpha_footnote(flags: Mapping[str, float], names: Mapping[str, str],
                   shown: Iterable[str] | None = None) -> str:
    """The footnote of the marked facets, each with its alpha; empty when none is marked.

    ``shown`` limits it to the dimensions that appear where the note stands.
    """
    keep = [d for d in flags if shown is None or d in set(shown)]
    if not keep:
        return ""
    each = "; ".join(f"{escape_markdown(names.get(d, d))} (α = {flags[d]:.2f})" for d in keep)
    return (f"{ALPHA_MARK} Answers to this facet's statements did not move together, so read its "
            f"score with care: {each}.")


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


def drivers_markdown(drivers: Drivers, *, top: int = 6,
                     flags: Mapping[str, float] | None = None) -> str:
    """Which facets move the outcome statement most, or why this report cannot say.

    ``flags`` (:func:`alpha_flags`) marks the facets whose alpha is below 0.6. The
    pool of clients is described by a band of its size, never its exact count.
    """
    if not drivers.available:  # the pool's size is about other clients: not stated here
        return (f"*No driver view for this survey:* it has {drivers.n} complete answers (every "
                "facet and the outcome statement), a driver view needs 30, and the pool of all "
                "clients in the workspace is too small to stand in.")
    flags = flags or {}
    whose = ("this company's own answers" if drivers.source == "company" else
             f"the pooled answers of all clients in the workspace ({count_band(drivers.companies)}"
             " clients), because this company has too few complete answers of its own; the "
             "scores are this company's own")
    lines = [f"**Source: {whose}** (n = {drivers.n} people). Together the fourteen facets "
             f"explain **{drivers.r2:.0%}** of how strongly people agree that the two teams work "
             "as one (R²). Each facet's share comes from general dominance, the average gain it "
             "brings to every combination of the other facets; the range is a 95% bootstrap "
             f"interval. The quadrants split {escape_markdown(drivers.split)}.", "",
             "| Facet | Share of R² | 95% interval | Score (1–5) | Reading |",
             "|:---|---:|:---|---:|:---|"]
    shown = drivers.table.head(top)
    for row in shown.itertuples(index=False):
        lines.append(f"| {escape_markdown(flag_name(row.dimension_name, row.dimension, flags))} | "
                     f"{row.importance:.3f} | {row.ci_low:.3f} to {row.ci_high:.3f} | "
                     f"{row.score:.1f} | {_QUADRANT_WORDS.get(row.quadrant, row.quadrant)} |")
    focus = drivers.table[drivers.table["quadrant"] == "focus area"]
    if len(focus):
        lines += ["", "**Focus areas** (they move the outcome more than most and score low): "
                      + ", ".join(escape_markdown(flag_name(n, d, flags)) for n, d in
                                  zip(focus["dimension_name"], focus["dimension"], strict=True))
                      + "."]
    names = dict(zip(drivers.table["dimension"], drivers.table["dimension_name"], strict=True))
    note = alpha_footnote(flags, names, [*shown["dimension"], *focus["dimension"]])
    return "\n".join(lines + (["", f"*{note}*"] if note else []))


# -- the portfolio benchmark ---------------------------------------------------------------------
def benchmark_markdown(benchmark: Benchmark | None, position: pd.DataFrame | None,
                       reason: str = "") -> str:
    """Where the company stands among the clients, in words; one sentence when not published.

    ``position`` is :func:`~alignkit.analysis.benchmarks.company_position` of this
    report's own figures. Only the band of the number of clients is given, and no
    other client is named or described.
    """
    if benchmark is None or position is None or position.empty:
        return f"*No portfolio benchmark in this report:* {escape_markdown(reason or 'none is published')}."
    own = position.dropna(subset=["value"])
    lines = [f"Among **{benchmark.companies} clients** (the number is given as a range): only "
             "the 25th, 50th, 75th and 90th percentiles are published, each rounded to a tenth of "
             "a point, and the 90th only from ten clients on (with fewer it would be the top "
             "client's own score).", ""]
    index = own[own["figure"] == "index"]
    if len(index):
        lines.append(f"- **Alignment index {index['value'].iloc[0]:.0f}**: "
                     f"{index['position'].iloc[0]} of the clients.")
    dims = own[own["figure"] != "index"]
    top = dims[dims["position"].str.startswith(("above the 90th", "at the 90th",
                                                "between the 75th", "above the 75th"))]
    low = dims[dims["position"].str.startswith("below the 25th")]
    if len(top):
        lines.append("- **Ahead of most clients:** " + ", ".join(
            escape_markdown(n) for n in top["label"]) + ".")
    if len(low):
        lines.append("- **Behind three in four clients:** " + ", ".join(
            escape_markdown(n) for n in low["label"]) + ".")
    if benchmark.withheld:
        lines.append(f"- {len(benchmark.withheld)} facet{'s are' if len(benchmark.withheld) > 1 else ' is'}"
                     " left out: too few clients have a figure for it.")
    return "\n".join(lines)


# -- comment themes ------------------------------------------------------------------------------
_LEAN_WORDS = {"positive": "leans positive", "negative": "leans negative",
               "mixed": "mixed or neutral"}


def comment_themes_markdown(themes: CommentThemes, dimension_names: Mapping[str, str]) -> str:
    """The comment themes: count, lean, the facets each is about and two or three quotes.

    Only what :func:`~alignkit.analysis.comments.comment_themes` kept is shown: comments
    of teams of at least its own threshold, with names, e-mail addresses and phone
    numbers masked. Every quote is escaped.
    """
    if not themes.themes:
        return (f"_No comments can be shown for this wave: comments are shown only for teams "
                f"of at least {themes.min_group} respondents._")
    lines = [f"{themes.used} comments from teams of at least {themes.min_group} respondents, "
             "grouped by the facet they talk about most. Names, e-mail addresses and phone "
             "numbers are masked."]
    for theme in themes.themes:
        about = [dimension_names.get(d, d) for d in theme.dimensions]
        also = f"; also about {', '.join(escape_markdown(a) for a in about[1:])}" \
            if len(about) > 1 else ""
        lines += ["", f"#### {escape_markdown(theme.label)}", "",
                  f"**{theme.count} comment{'s' * (theme.count != 1)}**, "
                  f"{_LEAN_WORDS.get(theme.lean, theme.lean)}{also}.", ""]
        for team, quote in theme.quotes:
            body = "\n".join(f"> {escape_markdown(line)}" for line in str(quote).splitlines())
            lines += [body, ">", f"> — *{escape_markdown(TEAM_LABELS.get(team, team))}*", ""]
    if themes.withheld:
        lines += ["*Comments of smaller teams are not shown.*"]
    return "\n".join(lines).rstrip() + "\n"
