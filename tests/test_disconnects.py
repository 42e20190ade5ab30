"""Ranking survey gaps and funnel leaks on one severity scale (see alignkit.analysis.disconnects)."""

from __future__ import annotations

import pandas as pd
import pytest

from alignkit.analysis.disconnects import (
    DISCONNECT_COLUMNS,
    funnel_disconnects,
    rank_disconnects,
    survey_disconnects,
)
from alignkit.analysis.funnel import FunnelAnalysis
from alignkit.analysis.wave import WaveScores

NAMES = {"sla": "Two-way SLA", "handoff": "Lead hand-off", "goals": "Shared goals",
         "data": "Closed-loop reporting", "content": "Content", "tools": "CRM and tools"}


def scores(dims: dict[str, tuple[float, float, bool]], gaps: list[tuple]) -> WaveScores:
    """``dims``: id -> (overall mean, favourable, suppressed); ``gaps``: (id, a, b, low, high)."""
    dimensions = pd.DataFrame([
        {"dimension": d, "dimension_name": NAMES[d], "group": "overall", "n": 40, "mean": m,
         "favourable": f, "suppressed": s} for d, (m, f, s) in dims.items()])
    gap_frame = pd.DataFrame([
        {"dimension": d, "dimension_name": NAMES[d], "a_mean": a, "b_mean": b, "n_a": 20,
         "n_b": 15, "gap": a - b, "low": lo, "high": hi} for d, a, b, lo, hi in gaps],
        columns=["dimension", "dimension_name", "a_mean", "b_mean", "n_a", "n_b", "gap", "low",
                 "high"])
    gap_frame.attrs.update({"a": "sales", "b": "marketing", "confidence": 0.9})
    empty = pd.DataFrame()
    return WaveScores(sizes=empty, dimensions=dimensions, items=empty, index=empty,
                      gaps=gap_frame, comments=empty, hidden=frozenset(), threshold=5)


SCORES = scores(
    {"sla": (2.2, 0.15, False), "handoff": (2.9, 0.3, False), "goals": (3.8, 0.7, False),
     "data": (1.5, 0.05, True), "content": (2.95, 0.35, False), "tools": (2.99, 0.4, False)},
    [("sla", 2.2, 4.2, -2.4, -1.6), ("handoff", 2.6, 3.2, -1.0, -0.2),
     ("goals", 3.9, 3.6, -0.1, 0.7)])


def funnel(*, not_accepted: int = 30, not_touched: int = 10, within_sla: float = 0.6,
           sales_won: int = 14, sales_lost: int = 26) -> FunnelAnalysis:
    leakage = pd.DataFrame({"leak": ["not_accepted", "not_touched"],
                            "label": ["never accepted", "never touched"],
                            "count": [not_accepted, not_touched], "base": [100, 100]})
    leakage["share"] = leakage["count"] / 100
    speed = pd.DataFrame([
        {"breakdown": "all", "group": "all", "share_within_1h": 0.4, "share_within_sla": 0.9},
        {"breakdown": "source", "group": "marketing", "share_within_1h": 0.05,
         "share_within_sla": within_sla}])
    sourced = pd.DataFrame([
        {"source": "marketing", "won": 10, "lost": 40, "closed": 50, "win_rate": 0.2},
        {"source": "sales", "won": sales_won, "lost": sales_lost, "closed": sales_won + sales_lost,
         "win_rate": sales_won / (sales_won + sales_lost)}])
    empty = pd.DataFrame()
    return FunnelAnalysis(basis="leads", waterfall=empty, conversion=empty, leakage=leakage,
                          sourced=sourced, speed=speed, delays=empty, sla_hours=24.0,
                          first=None, last=None, periods=())


def test_survey_findings_and_their_severity() -> None:
    found = survey_disconnects(SCORES).set_index(["area", "dimension"])["severity"]
    assert found[("Perception gap", "sla")] == 1.0  # 2.0 points / 1.5, capped
    assert found[("Perception gap", "handoff")] == pytest.approx(0.6 / 1.5)
    assert ("Perception gap", "goals") not in found  # its interval includes zero
    assert found[("Weak practice", "sla")] == pytest.approx(1.3 / 1.5)
    assert found[("Weak practice", "content")] == pytest.approx(0.55 / 1.5)
    assert ("Weak practice", "data") not in found  # hidden for anonymity
    assert ("Weak practice", "tools") not in found  # only the three weakest
    assert ("Weak practice", "goals") not in found


def test_funnel_findings_and_their_severity() -> None:
    found = funnel_disconnects(funnel()).set_index("dimension")
    assert found.loc["definitions", "severity"] == pytest.approx(0.30 / 0.40)
    assert found.loc["handoff", "severity"] == pytest.approx(0.10 / 0.25)
    assert found.loc["sla", "severity"] == pytest.approx(0.4 / 0.5)
    assert found.loc["data", "severity"] == pytest.approx(0.15 / 0.25)
    assert "**30% of MQLs are never accepted by sales** (30 of 100)" in found.loc["definitions",
                                                                                  "finding"]
    assert "Marketing-sourced opportunities are won less often" in found.loc["data", "finding"]


@pytest.mark.parametrize(("change", "missing"), [
    ({"not_accepted": 9}, "definitions"), ({"not_touched": 4}, "handoff"),
    ({"within_sla": 0.8}, "sla"), ({"sales_won": 7, "sales_lost": 12}, "data"),
    ({"sales_won": 11, "sales_lost": 29}, "data"),  # 27.5% vs 20%: under 8 points apart
])
def test_floors_keep_small_problems_out(change: dict, missing: str) -> None:
    assert missing not in set(funnel_disconnects(funnel(**change))["dimension"])


def test_ranking_mixes_survey_and_funnel_most_severe_first() -> None:
    ranked = rank_disconnects(SCORES, funnel(), top=6)
    assert list(ranked.columns) == DISCONNECT_COLUMNS
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5, 6]
    assert list(zip(ranked["area"], ranked["dimension"], strict=True)) == [
        ("Perception gap", "sla"), ("Weak practice", "sla"), ("Speed to lead", "sla"),
        ("Hand-off leakage", "definitions"), ("Win rate", "data"),
        ("Perception gap", "handoff")]
    assert ranked["severity"].is_monotonic_decreasing
    assert set(ranked["source"]) == {"survey", "funnel"}


def test_without_lead_level_funnel_only_the_survey_counts() -> None:
    alone = rank_disconnects(SCORES, None, top=10)
    assert set(alone["source"]) == {"survey"} and len(alone) == 5
    counts_only = FunnelAnalysis(**{**funnel().__dict__, "basis": "counts"})
    assert rank_disconnects(SCORES, counts_only, top=10).equals(alone)


def test_nothing_found_gives_an_empty_table() -> None:
    calm = scores({"goals": (4.1, 0.8, False)}, [("goals", 4.0, 4.2, -0.5, 0.1)])
    ranked = rank_disconnects(calm, funnel(not_accepted=2, not_touched=1, within_sla=0.95,
                                           sales_won=10, sales_lost=40))
    assert ranked.empty and list(ranked.columns) == DISCONNECT_COLUMNS
