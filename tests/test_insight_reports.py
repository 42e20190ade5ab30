"""Insight in the stage reports: the quadrant chart, the benchmark and comment sections,
the plan's ranking by impact and the alpha flag, from hand-made inputs (no workspace)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alignkit.analysis.benchmarks import Benchmark, company_position, stored_benchmark
from alignkit.analysis.comments import comment_themes
from alignkit.analysis.drivers import SCORE_SPLIT, Drivers, key_drivers
from alignkit.analysis.wave import WaveScores
from alignkit.catalog.instrument import load_instrument
from alignkit.charts.benchmark import benchmark_chart
from alignkit.charts.drivers import QUADRANT_COLOURS, quadrant_chart
from alignkit.charts.heatmap import heatmap
from alignkit.charts.identify_text import key_findings
from alignkit.charts.insight_text import (
    ALPHA_MARK,
    alpha_flags,
    benchmark_markdown,
    comment_themes_markdown,
    drivers_markdown,
)
from alignkit.charts.plan import plan_table, priority_markdown, ranking_markdown
from alignkit.plan.actions import IMPACT_WEIGHT_RANGE, build_action_plan, gap_sizes, must_cover
from alignkit.store.benchmark import save_benchmark
from alignkit.store.workspace import Workspace

INSTRUMENT = load_instrument()
NAMES = INSTRUMENT.dimension_names()
DIMS = list(NAMES)


def drivers(importance: dict[str, float], scores: dict[str, float], *, source: str = "company",
            companies: int = 1) -> Drivers:
    """A driver view with the given importances (others small) and scores (others 3.0)."""
    imp = np.array([importance.get(d, 0.005) for d in DIMS])
    score = np.array([scores.get(d, 3.0) for d in DIMS])
    high = imp > imp.mean()
    quadrant = [{(True, False): "focus area", (True, True): "strength",
                 (False, True): "maintain", (False, False): "lower priority"}[(h, s >= SCORE_SPLIT)]
                for h, s in zip(high, score, strict=True)]
    table = pd.DataFrame({"dimension": DIMS, "dimension_name": [NAMES[d] for d in DIMS],
                          "importance": imp, "ci_low": imp / 2, "ci_high": imp * 2,
                          "score": score, "quadrant": quadrant})
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return Drivers(company="acme", wave="baseline", source=source, n=64, r2=float(imp.sum()),
                   table=table, split="importance at an equal share of R²", resamples=20,
                   companies=companies)


def wave_scores(means: dict[str, float], alphas: dict[str, float] | None = None) -> WaveScores:
    dims = pd.DataFrame([{"dimension": d, "dimension_name": NAMES[d], "group": "overall",
                          "n": 40, "mean": m, "favourable": 0.5, "suppressed": False}
                         for d, m in means.items()])
    index = pd.DataFrame([{"group": "overall", "n": 40, "index": 50.0, "level": 3,
                           "level_name": "Coordinated", "suppressed": False}])
    rel = pd.DataFrame([{"dimension": d, "dimension_name": NAMES[d], "items": 3, "n": 40,
                         "alpha": (alphas or {}).get(d, 0.8), "flag": False} for d in means])
    empty = pd.DataFrame()
    gaps = pd.DataFrame(columns=["dimension", "dimension_name", "a_mean", "b_mean", "gap", "low",
                                 "high"])
    gaps.attrs.update({"a": "sales", "b": "marketing"})
    return WaveScores(sizes=empty, dimensions=dims, items=empty, index=index, gaps=gaps,
                      comments=empty, hidden=frozenset(), threshold=5, reliability=rel)


# -- the quadrant chart -------------------------------------------------------------------------
def _all_text(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


@pytest.mark.parametrize("source, words", [("company", "this company's own answers"),
                                           ("portfolio", "pooled answers of all clients")])
def test_the_quadrant_chart_says_its_source_n_and_r2(source: str, words: str) -> None:
    view = drivers({"incentives": 0.12, "handoff": 0.09}, {"incentives": 2.4, "handoff": 3.9},
                   source=source, companies=7)
    text = _all_text(quadrant_chart(view))
    assert words in text and "n = 64" in text and f"R² = {view.r2:.2f}" in text
    assert "7 clients" not in text and "all 7" not in text  # the pool's size is never given


def test_each_dot_is_coloured_by_its_quadrant_of_the_table() -> None:
    view = drivers({"incentives": 0.12, "handoff": 0.09, "tools": 0.07, "goals": 0.002},
                   {"incentives": 2.4, "handoff": 3.9, "tools": 2.9, "goals": 4.1})
    fig = quadrant_chart(view)
    from matplotlib.collections import PathCollection
    dots = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)][0]
    colours = {tuple(np.round(rgba[:3], 3)) for rgba in dots.get_facecolors()}
    by_dim = dict(zip(view.table["dimension"], view.table["quadrant"], strict=True))
    assert by_dim["incentives"] == "focus area" and by_dim["handoff"] == "strength"
    from matplotlib.colors import to_rgb
    expected = {tuple(np.round(to_rgb(QUADRANT_COLOURS[q]), 3)) for q in by_dim.values()}
    assert colours == expected
    offsets = dots.get_offsets()
    row = view.table.set_index("dimension").loc["incentives"]
    assert any(np.allclose(o, (row["score"], row["importance"])) for o in offsets)


def test_quadrant_labels_do_not_overlap() -> None:
    rng = np.random.default_rng(3)
    view = drivers({d: float(v) for d, v in zip(DIMS, rng.uniform(0.005, 0.06, len(DIMS)),
                                                strict=True)},
                   {d: float(v) for d, v in zip(DIMS, rng.uniform(2.6, 3.6, len(DIMS)),
                                                strict=True)})
    fig = quadrant_chart(view)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts
             if t.get_text() and t.get_bbox_patch() is not None]
    assert len(boxes) == len(DIMS)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_w <= 1 or overlap_h <= 1, (a, b)


def test_no_driver_view_gives_a_message_not_a_chart() -> None:
    fig = quadrant_chart(Drivers(company="acme", wave="baseline", source=None, n=12,
                                 reason="too few"))
    assert "No driver view" in _all_text(fig)


def test_the_driver_text_gives_the_pool_as_a_band() -> None:
    text = drivers_markdown(drivers({"incentives": 0.1}, {}, source="portfolio", companies=6))
    assert "5–9 clients" in text and " 6 clients" not in text


# -- the benchmark section ----------------------------------------------------------------------
FIGURES = pd.DataFrame([["index", "Alignment index", 40.0, 50.0, 60.0, 70.0],
                        ["goals", NAMES["goals"], 2.8, 3.1, 3.4, 3.8],
                        ["tools", NAMES["tools"], 2.5, 2.9, 3.3, 3.6]],
                       columns=["figure", "label", "p25", "p50", "p75", "p90"])


def test_the_benchmark_reads_only_a_built_and_published_file(tmp_path) -> None:
    ws = Workspace(tmp_path / "ws")
    bench, why = stored_benchmark(ws)
    assert bench is None and "no portfolio benchmark has been built" in why
    save_benchmark(ws, Benchmark(FIGURES, (), "5–9", 5).to_json())
    bench, why = stored_benchmark(ws)
    assert bench is not None and why == "" and bench.companies == "5–9"
    save_benchmark(ws, {**Benchmark(FIGURES, (), "5–9", 5).to_json(), "min_companies": 3})
    assert stored_benchmark(ws)[0] is None


def test_the_benchmark_text_and_chart_show_the_band_and_own_values_only() -> None:
    bench = Benchmark(FIGURES, ("process",), "5–9", 5)
    position = company_position(bench, {"index": 55.0, "goals": 2.6, "tools": 3.7})
    text = benchmark_markdown(bench, position)
    assert "5–9 clients" in text and "Alignment index 55" in text
    assert NAMES["goals"] in text.split("Behind three in four clients:")[1]
    assert NAMES["tools"] in text.split("Ahead of most clients:")[1].split("\n")[0]
    fig = benchmark_chart(position, companies=bench.companies)
    from matplotlib.collections import PathCollection
    dots = [tuple(c.get_offsets()[0]) for ax in fig.axes for c in ax.collections
            if isinstance(c, PathCollection)]
    assert sorted(x for x, _ in dots) == [2.6, 3.7, 55.0]
    assert "5–9 clients" in _all_text(fig)


def test_without_a_benchmark_one_sentence_says_why() -> None:
    text = benchmark_markdown(None, None, "no portfolio benchmark has been built")
    assert text.count("\n") == 0 and "No portfolio benchmark" in text


# -- comment themes -----------------------------------------------------------------------------
def test_the_comment_section_never_shows_a_group_below_ten() -> None:
    comments = pd.DataFrame({"team": ["sales"] * 12 + ["marketing"] * 8,
                             "comment": ["The hand-off is slow and leads go cold"] * 12
                             + ["Nobody <b>reads</b> our campaign briefs, call 0171 555 0199"] * 8})
    themes = comment_themes(comments, {"sales": 12, "marketing": 8}, threshold=5,
                            dimension_names=NAMES)
    text = comment_themes_markdown(themes, NAMES)
    assert "hand-off is slow" in text and "campaign briefs" not in text and "0171" not in text
    assert "12 comments" in text and "teams of at least 10 respondents" in text
    assert "<b>" not in text


# -- the plan ranks by impact -------------------------------------------------------------------
MEANS = {"sla": 2.6, "tools": 2.6, "goals": 3.9, "content": 4.2, "handoff": 3.8}


def test_a_low_scoring_driver_comes_first_when_there_is_a_driver_view() -> None:
    sc = wave_scores(MEANS)
    by_need = build_action_plan(sc, start=date(2026, 3, 2))
    view = drivers({"tools": 0.2, "sla": 0.002}, MEANS)
    by_impact = build_action_plan(sc, start=date(2026, 3, 2), drivers=view)
    assert by_impact.iloc[0]["dimension"] == "tools"
    assert by_need.iloc[0]["dimension"] != "tools" or by_need.iloc[0]["priority"] < by_impact.iloc[
        0]["priority"]
    # The guarantees hold: every must-cover dimension still gets an action.
    assert set(must_cover(gap_sizes(sc))) <= set(by_impact["dimension"])
    weights = gap_sizes(sc, drivers=view).set_index("dimension")["impact_weight"]
    assert weights["tools"] == IMPACT_WEIGHT_RANGE[1] and weights["sla"] == IMPACT_WEIGHT_RANGE[0]
    assert (gap_sizes(sc)["impact_weight"] == 1.0).all()


def test_the_plan_says_how_it_ranked() -> None:
    view = drivers({"tools": 0.2}, MEANS, source="portfolio", companies=6)
    plan = build_action_plan(wave_scores(MEANS), start=date(2026, 3, 2), drivers=view)
    text = priority_markdown(plan, drivers=view)
    assert text.startswith("**Ranked by impact.**") and "pooled answers of all clients" in text
    assert "driver weight" in text
    none = Drivers(company="acme", wave="baseline", source=None, n=8, reason="too few")
    assert ranking_markdown(none).startswith("**Ranked by need.**")


def test_the_worked_example_gives_the_first_actions_priority() -> None:
    view = drivers({"tools": 0.2}, MEANS)
    plan = build_action_plan(wave_scores(MEANS), start=date(2026, 3, 2), drivers=view)
    text = priority_markdown(plan, drivers=view)
    assert f"**{plan.iloc[0]['priority']:.2f}**" in text


# -- the alpha flag -----------------------------------------------------------------------------
def test_a_dimension_under_0_6_is_flagged_in_findings_heatmap_and_plan() -> None:
    sc = wave_scores(MEANS, {"sla": 0.52, "content": 0.71})
    flags = alpha_flags(sc.reliability)
    assert flags == {"sla": pytest.approx(0.52)}
    findings = key_findings(sc)
    assert f"{NAMES['sla']} {ALPHA_MARK}" in findings and "α = 0.52" in findings
    assert f"{NAMES['content']} {ALPHA_MARK}" not in findings
    fig = heatmap(sc.dimensions, flags=flags)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(ALPHA_MARK in t and "agreement" in t for t in labels)
    assert not any(ALPHA_MARK in t and "Content" in t for t in labels)
    plan = build_action_plan(sc, start=date(2026, 3, 2))
    table = plan_table(plan, flags=flags)
    marked = table["Addresses"].str.endswith(ALPHA_MARK)
    assert marked.any() and (plan["dimension"][marked.to_numpy()] == "sla").all()
    assert "α = 0.52" in priority_markdown(plan, flags=flags)


def test_key_drivers_still_rank_planted_first_for_the_chart() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(3, 0.7, size=(120, len(DIMS)))
    frame = pd.DataFrame(x, columns=DIMS)
    frame["outcome"] = 0.9 * x[:, DIMS.index("tools")] + rng.normal(0, 0.3, 120)
    view = key_drivers(frame, INSTRUMENT, resamples=0)
    assert view.table.iloc[0]["dimension"] == "tools"
    assert isinstance(quadrant_chart(view), Figure)


def test_only_name_like_words_of_an_owner_are_masked() -> None:
    from alignkit.analysis.comments import mask_people

    owner = "Ann O'Neil <img src=x onerror=\"alert('x')\">"
    texts = pd.Series(["Ann said the src=x tag <img is fine", "Ask O'Neil about it"])
    masked = mask_people(texts, [owner]).tolist()
    assert masked == ["[name] said the src=x tag <img is fine", "Ask [name] about it"]


def test_recap_marks_a_change_whose_alpha_is_low_in_either_wave() -> None:
    from alignkit.charts.recap_text import change_table, recap_alpha_flags, recap_findings
    from alignkit.store.workspace import Company
    from alignkit.track.recap import CHANGE_COLUMNS, GAP_CHANGE_COLUMNS, WaveComparison

    rows = [["overall", d, NAMES[d], 40, 40, 3.0, 3.6, 0.6, 0.3, 0.9, 0.7, 0.001, 0.004, True]
            for d in ("sla", "goals")]
    changes = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    rel = pd.DataFrame({"dimension": ["sla", "goals"], "alpha_before": [0.8, 0.75],
                        "alpha_after": [0.55, np.nan]})
    rc = WaveComparison(company=Company("acme", "Acme", None), baseline="baseline",
                        followup="followup", has_followup=True, changes=changes,
                        gaps=pd.DataFrame(columns=GAP_CHANGE_COLUMNS),
                        process=pd.DataFrame(), index=pd.DataFrame(columns=["group"]),
                        not_compared=frozenset(), respondents=(40, 40), threshold=5,
                        confidence=0.95, alpha=0.05, reliability=rel)
    assert recap_alpha_flags(rc) == {"sla": pytest.approx(0.55)}
    findings = recap_findings(rc)
    assert f"{NAMES['sla']} {ALPHA_MARK}" in findings and f"{NAMES['goals']} {ALPHA_MARK}" \
        not in findings and "α = 0.55" in findings
    table = change_table(rc)
    assert list(table.data["Dimension"]) == [f"{NAMES['sla']} {ALPHA_MARK}", NAMES["goals"]]
    assert "α = 0.55" in (table.caption or "")
