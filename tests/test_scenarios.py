"""Scenario projection: funnel arithmetic, the speed-to-lead model, presets, CRM baselines."""

from __future__ import annotations

import pandas as pd
import pytest

from alignkit.plan.scenarios import (
    PRESETS,
    SPEED_MULTIPLIER,
    Baseline,
    FunnelSnapshot,
    Levers,
    baseline_from_sla,
    baseline_from_snapshot,
    compare_scenarios,
    lever_effects,
    lever_values,
    levers_from_values,
    load_funnel_snapshot,
    project,
    scenario_table,
    snapshot_from_leads,
    speed_factor,
)
from alignkit.plan.sla import FunnelRates, RevenueGoal, build_sla

# 400 leads, 25% become MQLs (100), 40% of those SQLs (40), 15% of SQLs won (6), deals of 20,000.
TODAY = Baseline(leads_per_month=400, lead_to_mql=0.25, mql_to_sql=0.4, sql_to_won=0.15,
                 deal_size=20_000, fast_contact_share=0.2)


def test_projection_without_levers_is_today() -> None:
    result = project(TODAY)
    assert (result.leads, result.mqls, result.sqls, result.won) == pytest.approx(
        (400, 100, 40, 6))
    assert result.pipeline == pytest.approx(40 * 20_000)
    assert result.revenue == pytest.approx(6 * 20_000)


@pytest.mark.parametrize(("before", "after", "expected"), [
    (0.2, 0.2, 1.0),
    (0.2, 0.6, 1.3 / 1.1),      # (1 + 0.5 x 0.6) / (1 + 0.5 x 0.2)
    (0.0, 1.0, 1.5),            # everyone reached fast: the full multiplier
    (0.5, 0.0, 1 / 1.25),       # slower follow-up loses SQLs
])
def test_speed_factor_worked_by_hand(before: float, after: float, expected: float) -> None:
    assert SPEED_MULTIPLIER == 1.5
    assert speed_factor(before, after) == pytest.approx(expected)


@pytest.mark.parametrize(("levers", "factor"), [
    (Levers(lead_volume=0.1), 1.1),
    (Levers(mql_to_sql=0.1), 1.1),
    (Levers(sql_to_won=-0.2), 0.8),
    (Levers(deal_size=0.05), 1.05),
    (Levers(fast_contact_gain=0.4), 1.3 / 1.1),
    (Levers(lead_volume=0.1, deal_size=0.1), 1.21),
])
def test_each_lever_scales_revenue_as_the_arithmetic_says(levers: Levers, factor: float) -> None:
    assert project(TODAY, levers).revenue == pytest.approx(project(TODAY).revenue * factor)


def test_rates_are_capped_at_one_hundred_percent() -> None:
    result = project(TODAY, Levers(mql_to_sql=5.0, sql_to_won=20.0, fast_contact_gain=3.0))
    assert result.sqls == pytest.approx(result.mqls)
    assert result.won == pytest.approx(result.sqls)


def test_presets_are_ordered_and_modest() -> None:
    frame = compare_scenarios(TODAY)
    assert list(frame["scenario"]) == ["Today", *PRESETS]
    assert frame["revenue_change"].iloc[0] == 0
    changes = frame["revenue_change_pct"].iloc[1:].tolist()
    assert changes == sorted(changes) and changes[0] > 0
    assert changes[-1] < 0.4  # the ambitious case stays believable


def test_custom_scenarios_replace_presets() -> None:
    frame = compare_scenarios(TODAY, {"More leads": Levers(lead_volume=0.5)})
    assert list(frame["scenario"]) == ["Today", "More leads"]
    assert frame["revenue_change_pct"].iloc[1] == pytest.approx(0.5)


def test_lever_effects_use_points_for_rates_and_rank_largest_first() -> None:
    effects = lever_effects(TODAY).set_index("lever")
    today = project(TODAY).revenue
    # 5 points more MQL->SQL: 40% -> 45% = x 1.125; 5 points more SQL->won: 15% -> 20% = x 1.333
    assert effects.loc["mql_to_sql", "revenue_change"] == pytest.approx(today * 0.125)
    assert effects.loc["sql_to_won", "revenue_change"] == pytest.approx(today / 3)
    assert effects.loc["lead_volume", "revenue_change_pct"] == pytest.approx(0.1)
    # reached within the hour 20% -> 40%: (1 + 0.5 x 0.4) / (1 + 0.5 x 0.2) = 1.2 / 1.1
    assert effects.loc["fast_contact_gain", "revenue_change_pct"] == pytest.approx(1.2 / 1.1 - 1)
    assert "40% to 45%" in effects.loc["mql_to_sql", "label"]
    changes = lever_effects(TODAY)["revenue_change"].tolist()
    assert changes == sorted(changes, reverse=True)


def test_slider_values_and_levers_round_trip() -> None:
    values = {"leads_per_month": 500.0, "mql_to_sql": 0.5, "sql_to_won": 0.12,
              "deal_size": 25_000.0, "fast_contact_share": 0.7}
    levers = levers_from_values(TODAY, **values)
    assert levers.lead_volume == pytest.approx(0.25)
    assert levers.fast_contact_gain == pytest.approx(0.5)
    assert lever_values(TODAY, levers) == pytest.approx(values)


def test_baseline_from_sla_reproduces_the_marketing_revenue_goal() -> None:
    goal = RevenueGoal(1_200_000, "year", 0.6, 20_000)
    baseline = baseline_from_sla(build_sla(goal, FunnelRates()))
    assert baseline.source == "plan"
    assert project(baseline).revenue == pytest.approx(goal.marketing_monthly)


def test_scenario_table_shows_assumptions_and_results() -> None:
    table = scenario_table(TODAY, compare_scenarios(TODAY), currency="USD")
    assert list(table.index) == ["Today", *PRESETS]
    assert table.loc["Today", "Leads a month"] == "400"
    assert table.loc["Today", "Revenue"] == "$120,000"
    assert table.loc["Expected", "Revenue"].endswith("%)")


def leads_frame() -> pd.DataFrame:
    """Ten marketing leads over 60 days and two sales leads, built to be counted by hand."""
    day = pd.Timestamp("2026-01-01")
    rows = []
    for k in range(10):
        created = day + pd.Timedelta(days=6 * k)
        mql = created + pd.Timedelta(days=1) if k < 8 else pd.NaT
        # MQLs 0-1 touched within the hour, 2-4 within 10 hours, 5-6 after two days, 7 never
        delay = {0: 0.5, 1: 1.0, 2: 3, 3: 5, 4: 10, 5: 48, 6: 60}.get(k)
        touch = mql + pd.Timedelta(hours=delay) if delay is not None else pd.NaT
        won = k < 5
        rows.append({"lead": f"m{k}", "created_at": created, "source": "marketing",
                     "mql_at": mql, "first_touch_at": touch,
                     "outcome": "won" if won else ("lost" if k < 8 else None),
                     "amount": 10_000.0 * (k + 1) if won else None})
    for k in range(2):
        rows.append({"lead": f"s{k}", "created_at": day + pd.Timedelta(days=54), "source": "sales",
                     "mql_at": pd.NaT, "first_touch_at": day + pd.Timedelta(days=54),
                     "outcome": "won", "amount": 150_000.0})
    frame = pd.DataFrame(rows)
    for column in ("sal_at", "sql_at", "opportunity_at", "closed_at"):
        frame[column] = pd.NaT  # the stages this small CRM does not track
    return frame.assign(owner=None, owner_team=None, period=None)


def test_snapshot_from_leads_worked_by_hand() -> None:
    snap = snapshot_from_leads(leads_frame(), None, sla_hours=24)
    months = 54 / (365.25 / 12)
    assert snap.months == pytest.approx(months)
    assert snap.leads_per_month == pytest.approx(10 / months)
    # won marketing deals 10k..50k: mean 30,000; all won revenue 150k + 300k
    assert snap.deal_size == pytest.approx(30_000)
    assert snap.marketing_share == pytest.approx(150_000 / 450_000)
    assert snap.revenue_per_month == pytest.approx(450_000 / months)
    # eight MQLs: 2 within the hour, 5 within 24 hours, 1 never touched
    assert snap.fast_contact_share == pytest.approx(2 / 8)
    assert snap.within_sla_share == pytest.approx(5 / 8)
    assert snap.untouched_share == pytest.approx(1 / 8)
    assert snap.has_data and snap.rates.measured == frozenset()


def test_snapshot_needs_enough_won_deals_for_a_deal_size() -> None:
    assert snapshot_from_leads(leads_frame(), None, min_won=6).deal_size is None


def test_snapshot_with_the_funnel_module_measures_rates() -> None:
    from alignkit.analysis.funnel import stage_conversion

    leads = leads_frame()
    marketing = leads[leads["source"] == "marketing"]
    snap = snapshot_from_leads(leads, stage_conversion(marketing))
    # 10 leads, 8 MQLs: lead->mql measured only if at least 20 leads entered -> default kept
    assert snap.rates == FunnelRates()
    many = pd.concat([marketing.assign(lead=marketing["lead"] + f"-{k}") for k in range(3)])
    measured = snapshot_from_leads(many, stage_conversion(many)).rates
    assert measured.lead_to_mql == pytest.approx(0.8)
    assert "lead_to_mql" in measured.measured


def test_kpi_baselines_are_the_metrics_layer_figures() -> None:
    from alignkit.analysis.metrics import measure_funnel

    empty = FunnelSnapshot(FunnelRates())
    assert empty.kpi_baselines() == {} and not empty.has_data
    leads = leads_frame()
    snap = snapshot_from_leads(leads, sla_hours=24)
    assert snap.kpi_baselines() == measure_funnel(leads, sla_hours=24).kpis
    # The scenario's MQL -> SQL rate is the KPI's baseline whenever both steps are measured.
    if {"mql_to_sal", "sal_to_sql"} <= snap.rates.measured:
        assert snap.rates.mql_to_sql == pytest.approx(snap.kpi_baselines()["mql_to_sql_rate"])


def test_baseline_from_snapshot_falls_back_where_the_data_is_silent() -> None:
    assert baseline_from_snapshot(FunnelSnapshot(FunnelRates()), TODAY) is TODAY
    snap = FunnelSnapshot(FunnelRates(lead_to_mql=0.5), leads_per_month=80, deal_size=None,
                          fast_contact_share=None)
    measured = baseline_from_snapshot(snap, TODAY)
    assert measured.source == "crm" and measured.leads_per_month == 80
    assert measured.lead_to_mql == 0.5 and measured.deal_size == TODAY.deal_size
    assert measured.fast_contact_share == TODAY.fast_contact_share


def test_a_company_without_funnel_data_gets_an_empty_snapshot(workspace) -> None:
    snap = load_funnel_snapshot(workspace, "acme")
    assert not snap.has_data and snap.rates == FunnelRates()


def test_the_model_is_written_once_and_translated_to_javascript() -> None:
    from alignkit.plan import scenarios

    script = scenarios.model_javascript()
    assert f"const SPEED_MULTIPLIER = {SPEED_MULTIPLIER!r};" in script
    for function in scenarios.MODEL_FUNCTIONS:
        assert f"function {function.__name__}(" in script
    # project() is the translated function: the same figures, in the same order
    args = (400, 0.25, 0.4, 0.15, 20_000, 0.2, 0.1, 0.05, 0.02, 0.1, 0.2, SPEED_MULTIPLIER)
    levers = Levers(lead_volume=0.1, mql_to_sql=0.05, sql_to_won=0.02, deal_size=0.1,
                    fast_contact_gain=0.2)
    assert tuple(vars(project(TODAY, levers)).values()) == scenarios.funnel_figures(*args)


def _looping_model(leads: float) -> float:
    total = 0.0
    for _ in range(3):
        total = total + leads
    return total


def test_python_the_translation_does_not_know_is_refused(monkeypatch) -> None:
    from alignkit.plan import scenarios

    monkeypatch.setattr(scenarios, "MODEL_FUNCTIONS", (_looping_model,))
    with pytest.raises(ValueError, match="no JavaScript translation"):
        scenarios.model_javascript()
