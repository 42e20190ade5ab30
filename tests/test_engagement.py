"""Engagement settings, money, the metrics layer and the summary command."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from alignkit.analysis.metrics import kpi_records, measure_funnel, tracked_kpis, tracked_series
from alignkit.cli.app import main
from alignkit.exceptions import StoreError
from alignkit.store.settings import EngagementSettings, load_settings, override, save_settings
from alignkit.store.workspace import Workspace
from alignkit.text.money import format_money


@pytest.fixture
def acme(workspace: Workspace) -> Workspace:
    if "acme" not in {c.slug for c in workspace.companies()}:
        workspace.add_company("acme", "Acme Corp")
    return workspace


def test_settings_round_trip_and_reset(acme: Workspace) -> None:
    assert load_settings(acme, "acme") == EngagementSettings()
    saved = save_settings(acme, "acme", revenue_goal="2400000", period="quarter",
                          currency="usd", attempts="4", report_date="2027-01-31")
    assert saved.revenue_goal == 2_400_000 and saved.period == "quarter"
    assert saved.currency == "USD" and saved.attempts == 4
    assert load_settings(acme, "acme") == saved
    assert load_settings(acme, "acme").as_of() == date(2027, 1, 31)
    reset = save_settings(acme, "acme", revenue_goal="", report_date="")
    assert reset.revenue_goal is None and reset.report_date is None and reset.attempts == 4


@pytest.mark.parametrize("change", [{"attempts": "0"}, {"attempts": "2.5"}, {"period": "week"},
                                    {"currency": "euro"}, {"marketing_share": "60"},
                                    {"revenue_goal": "-5"}, {"report_date": "31/01/2027"},
                                    {"sla_hours": "nan"}])
def test_bad_settings_are_refused_and_nothing_changes(acme: Workspace, change: dict) -> None:
    save_settings(acme, "acme", attempts=5)
    with pytest.raises(StoreError, match="acme"):
        save_settings(acme, "acme", **change)
    assert load_settings(acme, "acme").attempts == 5


def test_override_counts_for_one_run_and_says_so() -> None:
    stored = EngagementSettings(revenue_goal=2_400_000)
    changed, notes = override(stored, revenue_goal=1_200_000, sla_hours=None)
    assert changed.revenue_goal == 1_200_000 and stored.revenue_goal == 2_400_000
    assert len(notes) == 1 and "for this run only" in notes[0] and "2,400,000" in notes[0]
    assert override(stored, revenue_goal=2_400_000) == (stored, [])


def test_cli_company_set_show_and_one_line_errors(acme: Workspace) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["company", "set", "acme", "--revenue-goal", "1200000",
                              "--currency", "GBP", "-w", str(acme.root)])
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(main, ["company", "show", "acme", "--json", "-w", str(acme.root)])
    settings = json.loads(shown.output)["settings"]
    assert settings["revenue_goal"] == 1_200_000 and settings["currency"] == "GBP"
    bad = runner.invoke(main, ["company", "set", "acme", "--attempts", "zero",
                               "-w", str(acme.root)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1 and "attempts" in bad.output


def test_money_has_one_format() -> None:
    assert format_money(1_234_567, "EUR") == "\u20ac1,234,567"
    assert format_money(1_234_567, "USD", compact=True) == "$1.2M"
    assert format_money(950, "CHF") == "CHF 950"
    assert format_money(-13_400, "GBP", compact=True) == "\u2212\u00a313k"


def _leads() -> pd.DataFrame:
    day = pd.Timestamp("2026-01-05 09:00")
    rows = []
    for k in range(40):  # 40 marketing MQLs: 30 accepted, 20 SQL, 5 won; 10 never touched
        rows.append({"lead": f"m{k}", "created_at": day + pd.Timedelta(days=k), "source": "marketing",
                     "mql_at": day + pd.Timedelta(days=k),
                     "sal_at": day + pd.Timedelta(days=k + 1) if k < 30 else pd.NaT,
                     "sql_at": day + pd.Timedelta(days=k + 2) if k < 20 else pd.NaT,
                     "opportunity_at": day + pd.Timedelta(days=k + 3) if k < 20 else pd.NaT,
                     "outcome": "won" if k < 5 else None,
                     "first_touch_at": (day + pd.Timedelta(days=k, hours=2 if k < 12 else 30))
                     if k < 30 else pd.NaT})
    for k in range(10):  # marketing leads that never became MQLs, and sales-sourced SQLs
        rows.append({"lead": f"x{k}", "created_at": day, "source": "marketing"})
        rows.append({"lead": f"s{k}", "created_at": day, "source": "sales",
                     "sql_at": day + pd.Timedelta(days=1)})
    return pd.DataFrame(rows)


def test_funnel_kpis_worked_by_hand() -> None:
    measures = measure_funnel(_leads(), sla_hours=24)
    assert measures.counts["mql"] == 40  # sales-sourced SQLs do not count as MQLs
    assert measures.kpis["mql_acceptance_rate"] == pytest.approx(30 / 40)
    assert measures.kpis["mql_to_sql_rate"] == pytest.approx(20 / 40)
    assert measures.kpis["sql_win_rate"] == pytest.approx(5 / 20)
    assert measures.kpis["untouched_mql_share"] == pytest.approx(10 / 40)
    assert measures.kpis["first_touch_within_sla"] == pytest.approx(12 / 40)
    assert measures.rates["lead_to_mql"] == pytest.approx(40 / 50)


def test_kpi_records_baseline_target_latest_and_series_agree() -> None:
    actions = pd.DataFrame({"id": [1, 2], "kpi": ["mql_acceptance_rate", "joint_meetings_held"],
                            "baseline": [0.5, float("nan")], "target": [0.8, 4.0]})
    obs = pd.DataFrame({"kpi": ["mql_acceptance_rate", "joint_meetings_held",
                                "joint_meetings_held", "joint_meetings_held"],
                        "observed_on": pd.to_datetime(["2026-03-01", "2026-02-01", "2026-03-01",
                                                       "2026-05-01"]),
                        "value": [0.6, 1.0, 2.0, 3.0], "target": [0.9, 5.0, 5.0, 5.0]})
    assert tracked_kpis(actions) == ["mql_acceptance_rate", "joint_meetings_held",
                                     "mqls_delivered", "first_touch_within_sla",
                                     "follow_up_attempts"]
    records = kpi_records(actions, obs, funnel_kpis={"mql_acceptance_rate": 0.55},
                          sla_targets={"mqls_delivered": 40.0, "follow_up_attempts": 6.0},
                          as_of=date(2026, 4, 1), baseline_on=date(2026, 2, 15)).set_index("id")
    assert records.loc["mql_acceptance_rate", ["baseline", "target", "latest"]].tolist() == \
        [0.55, 0.8, 0.6]  # CRM baseline, the plan's target (not the file's), latest recorded
    assert records.loc["joint_meetings_held", ["baseline", "latest"]].tolist() == [1.0, 2.0]
    assert records.loc["mqls_delivered", "target"] == 40.0
    series = tracked_series(records.reset_index(), obs, baseline_on=date(2026, 2, 15),
                            as_of=date(2026, 4, 1))
    first = series.groupby("kpi").first()
    assert first.loc["mql_acceptance_rate", "value"] == 0.55
    assert (series.groupby("kpi")["target"].nunique() == 1).all()


def test_summary_json_on_the_demo_has_the_agreed_shape() -> None:
    import os

    out = CliRunner().invoke(main, ["summary", "--company", "corvid-health", "--json",
                                    "-w", os.environ["ALIGNKIT_WORKSPACE"]])
    doc = json.loads(out.output)
    assert set(doc) >= {"index", "maturity", "sla", "actions", "kpis"}
    assert set(doc["sla"]) >= {"revenue_goal", "period", "currency", "mqls_per_month",
                               "leads_per_month", "sla_hours", "attempts"}
    assert {k["id"] for k in doc["kpis"]} >= {"mqls_delivered", "first_touch_within_sla",
                                              "follow_up_attempts"}
    assert all(0 <= k["baseline"] <= 1 for k in doc["kpis"]
               if k["unit"] == "share" and k["baseline"] is not None)
    statuses = {a["status"] for a in doc["actions"]}
    assert "done" in statuses and statuses & {"in_progress", "planned"}  # mid-flight


def test_the_heatmap_states_the_group_sizes_the_other_charts_state() -> None:
    import os

    from alignkit.charts.heatmap import heatmap
    from alignkit.track.summary import load_engagement

    eng = load_engagement("northwind-software", workspace=os.environ["ALIGNKIT_WORKSPACE"])
    scores = eng.scores
    fig = heatmap(scores.dimensions, anonymity_min=scores.threshold, sizes=scores.sizes)
    heads = " ".join(t.get_text() for ax in fig.axes for t in ax.get_xticklabels())
    shown = scores.index[~scores.index["suppressed"].astype(bool)]
    for row in shown.itertuples(index=False):
        assert f"n={int(row.n)}" in heads, row.group


def test_tracking_figures_are_worked_out_once_and_only_when_asked_for() -> None:
    import os

    from alignkit.analysis.metrics import plan_start
    from alignkit.track.actions import action_status
    from alignkit.track.summary import load_engagement

    eng = load_engagement("corvid-health", workspace=os.environ["ALIGNKIT_WORKSPACE"])
    lazy = ("status", "baseline_on", "kpis", "series")
    assert not set(lazy) & set(vars(eng))  # a report that shows none of them pays for none
    assert eng.owner_names() is not None and eng.overall_index() is not None
    assert not set(lazy) & set(vars(eng))
    # what they are once asked for: the same functions on what the engagement read
    start = plan_start(eng.plan) or eng.as_of
    assert eng.baseline_on == start
    pd.testing.assert_frame_equal(eng.status, action_status(eng.plan, eng.updates, as_of=eng.as_of))
    records = kpi_records(eng.plan, eng.observations, funnel_kpis=eng.snapshot.kpi_baselines(),
                          sla_targets={"mqls_delivered": float(eng.agreement.needed("mql")),
                                       "follow_up_attempts": float(eng.settings.attempts)},
                          as_of=eng.as_of, baseline_on=start)
    pd.testing.assert_frame_equal(eng.kpis, records)
    pd.testing.assert_frame_equal(eng.series, tracked_series(records, eng.observations,
                                                             baseline_on=start, as_of=eng.as_of))
    assert eng.status is eng.status and eng.kpis is eng.kpis  # computed once, then kept
