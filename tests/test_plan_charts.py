"""Plan charts: the right data in the right place, the shared look, and no pyplot."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from alignkit.analysis.wave import WaveScores
from alignkit.catalog.instrument import load_instrument
from alignkit.charts import plan as plan_charts
from alignkit.charts.identify import TEAM_COLOURS
from alignkit.plan.actions import PLACEHOLDER, build_action_plan, gap_sizes
from alignkit.plan.scenarios import Baseline, baseline_from_sla, compare_scenarios, lever_effects
from alignkit.plan.sla import FunnelRates, RevenueGoal, build_sla

NAMES = load_instrument().dimension_names()


def scores(means: dict[str, float], gaps: dict[str, tuple[float, float, float]]) -> WaveScores:
    """WaveScores with overall means and sales-marketing gaps ``dimension -> (gap, low, high)``."""
    dims = pd.DataFrame([{"dimension": d, "dimension_name": NAMES[d], "group": "overall",
                          "n": 40, "mean": m, "favourable": 0.5, "suppressed": False}
                         for d, m in means.items()])
    gap_rows = pd.DataFrame([{"dimension": d, "gap": g, "low": lo, "high": hi}
                             for d, (g, lo, hi) in gaps.items()])
    empty = pd.DataFrame()
    return WaveScores(sizes=empty, dimensions=dims, items=empty, index=empty, gaps=gap_rows,
                      comments=empty, hidden=frozenset(), threshold=5)

SCORES = scores({"sla": 3.0, "handoff": 2.5, "goals": 3.8, "tools": 4.4},
                {"sla": (-1.2, -1.8, -0.6), "goals": (0.3, -0.2, 0.8)})
GAPS = gap_sizes(SCORES)
PLAN = build_action_plan(SCORES, start=date(2026, 3, 2), top=4)
SLA = build_sla(RevenueGoal(1_200_000, "year", 0.6, 20_000), FunnelRates())
TODAY = Baseline(400, 0.25, 0.4, 0.15, 20_000, 0.2)


def bars(fig: Figure, axes: int = 0) -> list[Rectangle]:
    ax = fig.axes[axes]
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]


def texts(fig: Figure) -> str:
    found = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        found += [t.get_text() for t in ax.texts]
        found += [t.get_text() for t in ax.get_yticklabels()]
        found.append(ax.get_title())
        legend = ax.get_legend()
        if legend:
            found += [t.get_text() for t in legend.get_texts()]
    return "\n".join(found)


ALL = {
    "gap_size_chart": lambda: plan_charts.gap_size_chart(GAPS),
    "priority_chart": lambda: plan_charts.priority_chart(PLAN),
    "roadmap_chart": lambda: plan_charts.roadmap_chart(PLAN),
    "sla_funnel_chart": lambda: plan_charts.sla_funnel_chart(SLA),
    "scenario_chart": lambda: plan_charts.scenario_chart(compare_scenarios(TODAY),
                                                         currency="EUR"),
    "lever_chart": lambda: plan_charts.lever_chart(lever_effects(TODAY), currency="EUR"),
}


@pytest.mark.parametrize("name", ALL)
def test_every_chart_has_the_shared_look(name: str) -> None:
    fig = ALL[name]()
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == 10
    title = fig.texts[0]
    assert title.get_fontweight() == "bold" and title.get_horizontalalignment() == "left"
    assert fig.texts[1].get_text()  # the grey line that says how to read it
    for ax in fig.axes:
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


def test_gap_bars_stack_shortfall_and_perception() -> None:
    fig = plan_charts.gap_size_chart(GAPS)
    shown = GAPS[GAPS["gap_size"] > 0]
    widths = sorted(round(b.get_width(), 6) for b in bars(fig))
    expected = sorted(round(v, 6) for v in [*shown["shortfall"], *shown["perception_gap"]]
                      if v > 0)
    assert widths == expected
    assert "Where the need is greatest" in texts(fig)
    assert "Sales and marketing see it differently" in texts(fig)
    assert "Tools" not in texts(fig)  # above target and no gap: not drawn


def test_priority_bars_follow_the_plan_and_show_the_formula() -> None:
    fig = plan_charts.priority_chart(PLAN)
    assert [round(b.get_width(), 6) for b in bars(fig)] == [round(p, 6) for p in PLAN["priority"]]
    row = PLAN.iloc[0]
    assert (f"{row['priority']:.1f}  =  need {row['gap_size'] * row['weight']:.1f} \u00d7 impact "
            f"{row['impact']} \u00f7 effort {row['effort']}") in texts(fig)
    assert "Priority = need \u00d7 impact \u00f7 effort" in texts(fig)


def test_roadmap_bars_end_on_due_dates_and_name_owners() -> None:
    from matplotlib.dates import num2date

    staffed = PLAN.assign(sales_owner=["Priya"] + [PLACEHOLDER] * (len(PLAN) - 1),
                          marketing_owner=["Lena"] + [PLACEHOLDER] * (len(PLAN) - 1))
    fig = plan_charts.roadmap_chart(staffed)
    ends = sorted(num2date(b.get_x() + b.get_width()).date() for b in bars(fig))
    assert ends == sorted(d.date() for d in staffed["due"])
    words = texts(fig)
    assert "Priya & Lena" in words and "owners to be named" in words


def test_sla_funnel_colours_each_sides_stages() -> None:
    fig = plan_charts.sla_funnel_chart(SLA)
    drawn = bars(fig)
    assert len(drawn) == 6
    colours = [to_hex(b.get_facecolor()) for b in drawn]
    assert colours[:2] == [TEAM_COLOURS["marketing"].lower()] * 2
    assert set(colours[2:]) == {TEAM_COLOURS["sales"].lower()}
    assert [round(b.get_width(), 6) for b in drawn] == [200, 50, 40, 20, 12, 3]
    assert "50 a month" in texts(fig)


def test_scenario_chart_draws_pipeline_and_revenue_against_today() -> None:
    comparison = compare_scenarios(TODAY)
    fig = plan_charts.scenario_chart(comparison, currency="EUR", goal=150_000)
    pipeline, revenue = bars(fig, 0), bars(fig, 1)
    assert [b.get_width() for b in pipeline] == pytest.approx(comparison["pipeline"].tolist())
    assert [b.get_width() for b in revenue] == pytest.approx(comparison["revenue"].tolist())
    assert fig.axes[0].get_title(loc="left") == "Value of new SQLs (at the average deal)"
    assert fig.axes[1].get_title(loc="left") == "Won revenue"
    words = texts(fig)
    # today: 40 SQLs x 20,000 = 800,000 of new SQLs; 6 won deals = 120,000 of revenue
    assert "€800k" in words and "€120k" in words and "goal €150k" in words
    assert f"({comparison['revenue_change_pct'].iloc[2]:+.0%})" in words


def test_lever_chart_bars_are_the_gains() -> None:
    effects = lever_effects(TODAY)
    fig = plan_charts.lever_chart(effects, currency="EUR")
    assert [b.get_width() for b in bars(fig)] == pytest.approx(effects["revenue_change"].tolist())


@pytest.mark.parametrize(("build", "message"), [
    (lambda: plan_charts.gap_size_chart(GAPS.iloc[:0]), "already scores"),
    (lambda: plan_charts.priority_chart(PLAN.iloc[:0]), "No action is needed"),
    (lambda: plan_charts.roadmap_chart(PLAN.assign(due=pd.NaT)), "No action has a due date"),
])
def test_empty_inputs_give_a_message_not_an_error(build, message: str) -> None:
    fig = build()
    assert message in texts(fig)


def test_amounts_read_like_people_say_them() -> None:
    assert plan_charts._money(5_647, "EUR") == "€5.6k"
    assert plan_charts._money(666_667, "USD") == "$667k"
    assert plan_charts._money(1_088_267, "") == "1.1M"
    assert plan_charts._money(999_600, "GBP") == "£1M"  # not "£1000k"
    assert plan_charts._money(45_500, "CHF") == "CHF 46k"  # no sign of its own: the code
    assert plan_charts._money(-250, "EUR") == "\u2212€250"
    assert np.isclose(float(plan_charts._money(0.0, "").replace(",", "")), 0)


def test_report_words_explain_the_ranking() -> None:
    plan = build_action_plan(scores({"sla": 3.0}, {"sla": (-1.0, -1.5, -0.5)}), start=date(2026, 3, 2))
    text = plan_charts.priority_markdown(plan)
    top = plan.iloc[0]
    assert "priority = need \u00d7 impact \u00f7 effort" in text
    assert "three lowest-scoring facets and every clear perception gap" in text
    assert f"*{top['title']}*" in text
    assert "1.00 below 4 plus a 1.00-point perception gap gives a need of 2.00" in text
    assert f"= **{top['priority']:.2f}**" in text


def test_plan_table_and_findings() -> None:
    plan = build_action_plan(scores({"sla": 2.0}, {}), start=date(2026, 3, 2),
                             kpi_baselines={"first_touch_within_sla": 0.42})
    table = plan_charts.plan_table(plan)
    assert list(table.columns) == ["Action", "Addresses", "Priority", "Sales owner",
                                   "Marketing owner", "Due", "KPI", "Today \u2192 target"]
    assert table.index.name == "#" and list(table.index) == plan["id"].tolist()
    assert "42% \u2192 90%" in set(table["Today \u2192 target"])
    sla = build_sla(RevenueGoal(1_200_000, "year", 0.6, 20_000), FunnelRates())
    text = plan_charts.plan_findings(plan, gap_sizes(scores({"sla": 2.0}, {})), sla,
                         compare_scenarios(baseline_from_sla(sla)), currency="EUR")
    assert f"**{len(plan)} actions proposed**" in text
    assert f"**Most in need:** {NAMES['sla']} (need 2.0: 2.0 below agree)." in text
    assert "marketing delivers 50 MQLs a month" in text
    assert "expected scenario adds about €" in text
    # with a clear perception gap on top of the shortfall, the sentence names both parts
    both = plan_charts.plan_findings(PLAN, GAPS, sla, compare_scenarios(baseline_from_sla(sla)))
    assert (f"**Most in need:** {NAMES['sla']} (need 2.2: 1.0 below agree plus a 1.2-point "
            "perception gap)") in both


def test_markdown_table_escapes_what_people_type() -> None:
    frame = pd.DataFrame({"Owner": ["<script>x</script>", "a|b", "*bold*"],
                          "Priority": ["6.9", "4.0", "\u2013"]}, index=pd.RangeIndex(1, 4))
    text = plan_charts.markdown_table(frame)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a\\|b" in text and "\\*bold\\*" in text
    assert text.splitlines()[1] == "|---:|:---|---:|"
