"""Where the disconnects are: survey gaps and funnel leaks ranked on one scale.

Every finding gets a **severity** from 0 to 1: how far the measure sits from a
healthy value, divided by the distance at which it is as bad as it usually
gets, capped at 1. A finding only counts once it passes a floor:

=====================  ==========================================  ===========================
finding                severity                                    listed when
=====================  ==========================================  ===========================
perception gap         abs(gap) / 1.5 points                       clear after Holm (5%)
weak practice          (3.5 - mean) / 1.5                          overall mean below 3.0
MQLs never accepted    share / 0.40                                share of MQLs >= 10%
MQLs never touched     share / 0.25                                share of MQLs >= 5%
slow follow-up         (1 - share within SLA) / 0.50               share within SLA < 80%
win-rate gap           abs(difference) / 0.25                      >= 8 points, >= 20 closed each
=====================  ==========================================  ===========================

Each finding names the survey dimension it belongs to, so the Plan stage can pick
tactics for it.
"""

from __future__ import annotations

import pandas as pd

from alignkit.analysis.funnel import FunnelAnalysis
from alignkit.analysis.uncertainty import clear_flags
from alignkit.analysis.wave import WaveScores
from alignkit.text.labels import TEAM_NAMES

__all__ = ["DISCONNECT_COLUMNS", "funnel_disconnects", "rank_disconnects", "survey_disconnects"]

DISCONNECT_COLUMNS = ["rank", "source", "area", "finding", "severity", "dimension"]
#: The dimension each funnel finding belongs to.
FUNNEL_DIMENSIONS = {"not_accepted": "definitions", "not_touched": "handoff", "speed": "sla",
                     "win_rate": "data"}


def _capped(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))


def _row(source: str, area: str, finding: str, severity: float, dimension: str) -> dict:
    return {"source": source, "area": area, "finding": finding, "severity": _capped(severity),
            "dimension": dimension}


def survey_disconnects(scores: WaveScores, *, weakest: int = 3) -> pd.DataFrame:
    """Reliable perception gaps and the weakest practices of a scored wave.

    Only what the report may show is used: gaps between visible teams and the
    overall scores (hidden when fewer people answered than the threshold).
    """
    rows = []
    gaps = scores.gaps
    if not gaps.empty:
        a, b = gaps.attrs.get("a", "sales"), gaps.attrs.get("b", "marketing")
        for gap in gaps[clear_flags(gaps)].itertuples():
            higher, lower = (a, b) if gap.gap > 0 else (b, a)
            rows.append(_row(
                "survey", "Perception gap",
                f"{TEAM_NAMES.get(higher, higher)} rates **{gap.dimension_name}** "
                f"{abs(gap.gap):.1f} points higher than {TEAM_NAMES.get(lower, lower).lower()} "
                f"({gap.a_mean:.1f} vs {gap.b_mean:.1f} for {a} vs {b}).",
                abs(gap.gap) / 1.5, gap.dimension))
    overall = scores.dimensions[(scores.dimensions["group"] == "overall")
                                & ~scores.dimensions["suppressed"].astype(bool)]
    low = overall[overall["mean"] < 3.0].nsmallest(weakest, "mean")
    for dim in low.itertuples():
        rows.append(_row("survey", "Weak practice",
                         f"**{dim.dimension_name}** is rated low across the company (mean "
                         f"{dim.mean:.1f} of 5, {dim.favourable:.0%} favourable).",
                         (3.5 - dim.mean) / 1.5, dim.dimension))
    return pd.DataFrame(rows, columns=DISCONNECT_COLUMNS[1:])


def _leak_rows(funnel: FunnelAnalysis) -> list[dict]:
    rows = []
    leaks = funnel.leakage.set_index("leak") if not funnel.leakage.empty else None
    if leaks is None or leaks["base"].max() == 0:
        return rows
    accepted, touched = leaks.loc["not_accepted"], leaks.loc["not_touched"]
    if accepted["share"] >= 0.10:
        rows.append(_row("funnel", "Hand-off leakage",
                         f"**{accepted['share']:.0%} of MQLs are never accepted by sales** "
                         f"({int(accepted['count']):,} of {int(accepted['base']):,}).",
                         accepted["share"] / 0.40, FUNNEL_DIMENSIONS["not_accepted"]))
    if pd.notna(touched["count"]) and touched["share"] >= 0.05:
        rows.append(_row("funnel", "Hand-off leakage",
                         f"**{touched['share']:.0%} of MQLs are never contacted by sales** "
                         f"({int(touched['count']):,} of {int(touched['base']):,}).",
                         touched["share"] / 0.25, FUNNEL_DIMENSIONS["not_touched"]))
    return rows


def _speed_row(funnel: FunnelAnalysis) -> list[dict]:
    speed = funnel.speed
    marketing = speed[(speed["breakdown"] == "source") & (speed["group"] == "marketing")]
    if marketing.empty:
        return []
    row = marketing.iloc[0]
    if row["share_within_sla"] >= 0.8:
        return []
    return [_row("funnel", "Speed to lead",
                 f"**Only {row['share_within_sla']:.0%} of marketing's leads are contacted "
                 f"within the {funnel.sla_hours:g}-hour SLA**, {row['share_within_1h']:.0%} "
                 "within an hour.", (1 - row["share_within_sla"]) / 0.5,
                 FUNNEL_DIMENSIONS["speed"])]


def _win_rate_row(funnel: FunnelAnalysis) -> list[dict]:
    sourced = funnel.sourced.set_index("source") if not funnel.sourced.empty else None
    if sourced is None or not {"marketing", "sales"} <= set(sourced.index):
        return []
    m, s = sourced.loc["marketing"], sourced.loc["sales"]
    enough = min(m["closed"], s["closed"]) >= 20
    diff = m["win_rate"] - s["win_rate"]
    if not enough or pd.isna(diff) or abs(diff) < 0.08:
        return []
    lower, higher = ("marketing", "sales") if diff < 0 else ("sales", "marketing")
    return [_row("funnel", "Win rate",
                 f"**{lower.title()}-sourced opportunities are won less often**: "
                 f"{sourced.loc[lower, 'win_rate']:.0%} against "
                 f"{sourced.loc[higher, 'win_rate']:.0%} for {higher}-sourced ones.",
                 abs(diff) / 0.25, FUNNEL_DIMENSIONS["win_rate"])]


def funnel_disconnects(funnel: FunnelAnalysis) -> pd.DataFrame:
    """Hand-off leakage, slow follow-up and a win-rate gap, where the funnel shows them."""
    rows = _leak_rows(funnel) + _speed_row(funnel) + _win_rate_row(funnel)
    return pd.DataFrame(rows, columns=DISCONNECT_COLUMNS[1:])


def rank_disconnects(scores: WaveScores, funnel: FunnelAnalysis | None = None, *,
                     top: int = 6) -> pd.DataFrame:
    """The ``top`` disconnects from the survey and the funnel, most severe first.

    Returns
    -------
    pandas.DataFrame
        ``rank, source, area, finding, severity, dimension``; ``finding`` is
        one Markdown sentence, ``source`` is ``survey`` or ``funnel``.
    """
    parts = [survey_disconnects(scores)]
    if funnel is not None and funnel.basis == "leads":
        parts.append(funnel_disconnects(funnel))
    found = pd.concat([p for p in parts if not p.empty] or [parts[0]], ignore_index=True)
    ranked = found.sort_values("severity", ascending=False, kind="stable").head(top)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked.reset_index(drop=True)
