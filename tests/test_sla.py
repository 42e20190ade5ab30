"""The SLA builder: revenue goal -> customers, SQLs, MQLs and leads, checked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignkit.exceptions import AlignkitError
from alignkit.plan.sla import (
    WEEKS_PER_MONTH,
    FunnelRates,
    RevenueGoal,
    SalesCommitment,
    agreement_markdown,
    assumptions_markdown,
    build_sla,
    choose_goal,
    commitments,
    count_text,
    rates_from_conversion,
    rates_table,
    volumes_needed,
)

STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]


def test_yearly_goal_worked_by_hand() -> None:
    # Goal 1,200,000 a year -> 100,000 a month; marketing brings 60% -> 60,000.
    # Deals of 20,000 -> 3 customers. Default rates:
    #   opportunities = 3 / 0.25 = 12;  SQLs = 12 / 0.6 = 20;  SALs = 20 / 0.5 = 40
    #   MQLs = 40 / 0.8 = 50;  leads = 50 / 0.25 = 200.
    # Per week = per month / (52 / 12): MQLs 50 * 12 / 52 = 11.54 -> 12 when rounded up.
    goal = RevenueGoal(1_200_000, "year", 0.6, 20_000)
    volumes = volumes_needed(goal, FunnelRates())
    assert list(volumes["stage"]) == STAGES
    assert volumes["per_month"].tolist() == pytest.approx([200, 50, 40, 20, 12, 3])
    assert volumes["per_week"].tolist() == pytest.approx(
        [200 * 12 / 52, 50 * 12 / 52, 40 * 12 / 52, 20 * 12 / 52, 12 * 12 / 52, 3 * 12 / 52])
    assert volumes["commit_month"].tolist() == [200, 50, 40, 20, 12, 3]
    assert volumes["commit_week"].tolist() == [47, 12, 10, 5, 3, 1]


def test_monthly_goal_with_measured_rates_worked_by_hand() -> None:
    # 90,000 a month, all from marketing, deals of 15,000 -> 6 customers.
    #   opportunities = 6 / 0.3 = 20;  SQLs = 20 / 0.5 = 40;  SALs = 40 / 0.4 = 100
    #   MQLs = 100 / 0.75 = 133.33 -> commit 134;  leads = 133.33 / 0.2 = 666.67 -> 667
    # MQLs a week = 133.33 / 4.333 = 30.77 -> 31.
    goal = RevenueGoal(90_000, "month", 1.0, 15_000)
    rates = FunnelRates(lead_to_mql=0.2, mql_to_sal=0.75, sal_to_sql=0.4,
                        sql_to_opportunity=0.5, opportunity_to_won=0.3)
    sla = build_sla(goal, rates)
    assert sla.volumes["per_month"].tolist() == pytest.approx(
        [666.667, 133.333, 100, 40, 20, 6], rel=1e-4)
    assert [sla.needed(s) for s in STAGES] == [667, 134, 100, 40, 20, 6]
    assert sla.needed("mql", per="week") == 31
    # Up to 6 attempts per MQL: 30.77 x 6 = 184.6 -> 185 attempts a week.
    assert sla.attempts_per_week == math.ceil(133.333 / WEEKS_PER_MONTH * 6)


def test_no_marketing_share_needs_no_leads() -> None:
    sla = build_sla(RevenueGoal(1_000_000, "year", 0.0, 10_000), FunnelRates())
    assert sla.volumes["commit_month"].tolist() == [0] * 6


def test_whole_numbers_are_not_rounded_up_by_float_noise() -> None:
    # 0.1 + 0.2 style noise: 3 / 0.3 is 10.000000000000002 in floating point.
    goal = RevenueGoal(30_000, "month", 1.0, 10_000)
    rates = FunnelRates(opportunity_to_won=0.3)
    assert build_sla(goal, rates).needed("opportunity") == 10


def test_derived_rates() -> None:
    rates = FunnelRates(lead_to_mql=0.2, mql_to_sal=0.5, sal_to_sql=0.5,
                        sql_to_opportunity=0.5, opportunity_to_won=0.4)
    assert rates.mql_to_sql == pytest.approx(0.25)
    assert rates.sql_to_won == pytest.approx(0.2)
    assert rates.lead_to_won == pytest.approx(0.2 * 0.25 * 0.2)
    assert [(a, b) for a, b, _ in rates.steps()] == list(zip(STAGES[:-1], STAGES[1:], strict=True))


def conversion(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    """A stage-conversion table as ``alignkit.analysis.funnel.stage_conversion`` returns it:
    ``entered``/``converted`` Int64 and NA where a stage is untracked."""
    table = pd.DataFrame([(a, b, pd.NA if math.isnan(r) else n,
                           pd.NA if math.isnan(r) else round(n * r), r) for a, b, n, r in rows],
                         columns=["from_stage", "to_stage", "entered", "converted", "rate"])
    return table.astype({"entered": "Int64", "converted": "Int64", "rate": float})


def test_measured_rates_replace_defaults_only_where_there_is_enough_data() -> None:
    table = conversion([
        ("lead", "mql", 400, 0.3),          # measured
        ("mql", "sal", 10, 0.9),            # too few leads: default kept
        ("sal", "sql", 120, 0.0),           # nobody converted: default kept
        ("sql", "opportunity", 60, float("nan")),  # untracked stage
        ("opportunity", "won", 50, 0.2),    # measured
        ("won", "renewal", 50, 0.5),        # not a funnel step: ignored
    ])
    rates = rates_from_conversion(table)
    assert rates.lead_to_mql == 0.3 and rates.opportunity_to_won == 0.2
    assert rates.mql_to_sal == FunnelRates().mql_to_sal
    assert rates.sal_to_sql == FunnelRates().sal_to_sql
    assert rates.measured == frozenset({"lead_to_mql", "opportunity_to_won"})
    sources = rates_table(rates)["Source"].tolist()
    assert sources.count("measured on marketing-sourced leads in the CRM data") == 2


def test_no_conversion_table_means_all_defaults() -> None:
    assert rates_from_conversion(None) == FunnelRates()
    assert rates_from_conversion(None).measured == frozenset()


def test_conversion_table_without_rate_column_is_refused() -> None:
    with pytest.raises(AlignkitError, match="rate"):
        rates_from_conversion(pd.DataFrame({"from_stage": ["lead"], "to_stage": ["mql"],
                                            "entered": [100]}))


@pytest.mark.parametrize("build", [
    lambda: RevenueGoal(1_000, "week", 0.5, 100),
    lambda: RevenueGoal(0, "year", 0.5, 100),
    lambda: RevenueGoal(1_000, "year", 1.5, 100),
    lambda: RevenueGoal(1_000, "year", 0.5, -1),
    lambda: FunnelRates(lead_to_mql=0),
    lambda: FunnelRates(mql_to_sal=1.2),
    lambda: SalesCommitment(first_touch_hours=0),
    lambda: SalesCommitment(attempts=0),
])
def test_impossible_inputs_are_refused(build) -> None:
    with pytest.raises(AlignkitError):
        build()


def test_agreement_states_both_sides_commitments() -> None:
    sla = build_sla(RevenueGoal(1_200_000, "year", 0.6, 20_000), FunnelRates(),
                    SalesCommitment(first_touch_hours=4, attempts=5, follow_up_days=10))
    sides = commitments(sla)
    assert "**50 MQLs a month**" in sides["marketing"][0]
    assert "about 12 a week" in sides["marketing"][0]
    assert "**200 new leads a month**" in sides["marketing"][1]
    assert "within 4 hours" in sides["sales"][0]
    assert "5 attempts over 10 days" in sides["sales"][1]
    text = agreement_markdown(sla, company="Acme Corp", currency="EUR")
    assert "€1,200,000 of new revenue a year" in text and "€100,000 a month" in text
    assert "| Marketing commits to | Sales commits to |" in text
    # 50 MQLs -> 20 SQLs, 12 opportunities, 3 won; sales-sourced 40,000 a month
    assert "about 20 SQLs, 12 opportunities and **3 won deals**" in text
    assert "€40,000 a month" in text
    assert agreement_markdown(sla, company="Acme Corp") == text  # EUR unless told otherwise
    in_francs = agreement_markdown(sla, company="Acme Corp", currency="CHF")
    assert "CHF 1,200,000 of new revenue a year" in in_francs and "€" not in in_francs


def test_a_quarterly_goal_is_spread_over_three_months() -> None:
    sla = build_sla(RevenueGoal(300_000, "quarter", 0.6, 20_000), FunnelRates())
    text = agreement_markdown(sla, company="Acme Corp", currency="USD")
    assert "$300,000 of new revenue a quarter" in text and "$100,000 a month" in text
    assert "**50 MQLs a month**" in commitments(sla)["marketing"][0]  # as the yearly 1.2M


def test_one_won_deal_is_singular() -> None:
    sla = build_sla(RevenueGoal(20_000, "month", 1.0, 20_000), FunnelRates())
    assert "**1 won deal**" in agreement_markdown(sla, company="Acme")


@pytest.mark.parametrize(("value", "text"), [
    (49.2, "50"), (10.0, "10"), (1234.1, "1,235"), (2.24, "2.3"), (3.0, "3"), (0.115, "0.2"),
    (0.0, "0"),
])
def test_count_text(value: float, text: str) -> None:
    assert count_text(value) == text


def test_choose_goal_prefers_stated_then_measured_then_assumed() -> None:
    measured = {"revenue_per_month": 81_234.0, "marketing_share": 0.4, "deal_size": None}
    goal, origin = choose_goal(deal_size=30_000, measured=measured)
    # 81,234 x 12 x 1.2 = 1,169,769.6 -> three significant digits: 1,170,000
    assert goal.amount == 1_170_000 and goal.period == "year"
    assert goal.marketing_share == 0.4 and goal.deal_size == 30_000
    assert origin == {"amount": "measured", "marketing_share": "measured", "deal_size": "stated"}
    monthly, origin = choose_goal(period="month", growth=0.0, measured={})
    assert monthly.amount == 200_000 and origin["amount"] == "assumed"


def test_assumptions_say_where_each_number_comes_from() -> None:
    goal = RevenueGoal(600_000, "year", 0.5, 25_000)
    none = assumptions_markdown(goal, {"amount": "stated"}, FunnelRates(), currency="USD")
    assert "$600,000 a year: as stated by the company" in none
    assert "$25,000" in none  # the average deal, in the same currency
    assert "no CRM funnel data" in none
    some = FunnelRates(lead_to_mql=0.3, measured=frozenset({"lead_to_mql"}))
    assert "1 of 5 measured" in assumptions_markdown(goal, {}, some)
