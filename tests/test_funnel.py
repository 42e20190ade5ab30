"""Funnel analysis, checked against figures worked out by hand from tests/data/crm/leads_small.csv.

The twelve leads (see the file): eight marketing-sourced (L01-L08), three sales-sourced
(L09-L11), one partner referral (L12). Reached, counting skipped stages as passed:
lead 12, MQL 9 (L01-L06, L09, L10, L12), SAL 6 (L01-L03, L09, L10, L12), SQL 6,
opportunity 5 (L01, L02, L09, L10, L12), won 3 (L01, L09, L12).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.funnel import (
    CONVERSION_COLUMNS,
    analyse_funnel,
    first_touch_delays,
    funnel_waterfall,
    leakage,
    reached_stages,
    sourced_pipeline,
    speed_to_lead,
    stage_conversion,
    tracked_stages,
)
from alignkit.intake.crm import import_funnel
from alignkit.store.funnel import load_funnel_counts, load_leads
from alignkit.store.workspace import Workspace

CRM = Path(__file__).parent / "data" / "crm"


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    ws = Workspace(tmp_path_factory.mktemp("funnel") / "ws")
    ws.add_company("acme")
    import_funnel(CRM / "leads_small.csv", company="acme", workspace=ws)
    return load_leads(ws, "acme")


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    ws = Workspace(tmp_path_factory.mktemp("counts") / "ws")
    ws.add_company("acme")
    import_funnel(CRM / "counts_long.csv", company="acme", workspace=ws, period="2024-Q1")
    return load_funnel_counts(ws, "acme")


def test_waterfall_counts(leads: pd.DataFrame) -> None:
    fall = funnel_waterfall(leads).set_index("stage")
    assert list(fall["count"]) == [12, 9, 6, 6, 5, 3]
    assert list(fall["marketing"]) == [8, 6, 3, 3, 2, 1]
    assert list(fall["sales"]) == [3, 2, 2, 2, 2, 1]
    assert list(fall["other"]) == [1, 1, 1, 1, 1, 1]
    assert fall.loc["mql", "share_of_leads"] == pytest.approx(9 / 12)
    assert fall.loc["won", "from_previous"] == pytest.approx(3 / 5)
    assert np.isnan(fall.loc["lead", "from_previous"])
    assert fall["tracked"].all()


def test_stage_conversion_contract(leads: pd.DataFrame) -> None:
    conv = stage_conversion(leads)
    assert list(conv.columns) == CONVERSION_COLUMNS == ["from_stage", "to_stage", "entered",
                                                        "converted", "rate"]
    assert list(zip(conv["from_stage"], conv["to_stage"], strict=True)) == [
        ("lead", "mql"), ("mql", "sal"), ("sal", "sql"), ("sql", "opportunity"),
        ("opportunity", "won")]
    assert list(conv["entered"]) == [12, 9, 6, 6, 5]
    assert list(conv["converted"]) == [9, 6, 6, 5, 3]
    assert conv["rate"].tolist() == pytest.approx([0.75, 6 / 9, 1.0, 5 / 6, 0.6])


def test_conversion_of_one_source(leads: pd.DataFrame) -> None:
    conv = stage_conversion(leads, source="marketing")
    assert list(conv["entered"]) == [8, 6, 3, 3, 2]
    assert conv["rate"].tolist() == pytest.approx([6 / 8, 3 / 6, 1.0, 2 / 3, 0.5])


def test_leakage(leads: pd.DataFrame) -> None:
    # leads with an MQL date: L01-L06 and L12 (7); L04-L06 never accepted, L05-L06 never touched
    leak = leakage(leads).set_index("leak")
    assert leak.loc["not_accepted", ["count", "base"]].tolist() == [3, 7]
    assert leak.loc["not_accepted", "share"] == pytest.approx(3 / 7)
    assert leak.loc["not_touched", ["count", "base"]].tolist() == [2, 7]
    assert leak.loc["not_touched", "share"] == pytest.approx(2 / 7)


def test_sourced_pipeline_and_win_rate(leads: pd.DataFrame) -> None:
    src = sourced_pipeline(leads).set_index("source")
    assert list(src.index) == ["marketing", "sales", "other"]
    assert src.loc["marketing"].to_dict() == {
        "leads": 8, "opportunities": 2, "pipeline_amount": 15000.0, "won": 1, "lost": 1,
        "won_amount": 10000.0, "closed": 2, "win_rate": 0.5}
    assert src.loc["sales", ["opportunities", "pipeline_amount", "won", "closed"]].tolist() == [
        2, 28000.0, 1, 1]
    assert src.loc["sales", "win_rate"] == 1.0
    assert sourced_pipeline(leads).attrs["win_rate_of"] == "closed"


def test_win_rate_over_opportunities_when_no_loss_is_recorded(leads: pd.DataFrame) -> None:
    no_lost = leads.assign(outcome=leads["outcome"].where(leads["outcome"] != "lost"))
    src = sourced_pipeline(no_lost)
    assert src.attrs["win_rate_of"] == "opportunities"
    assert src.set_index("source").loc["marketing", "win_rate"] == pytest.approx(1 / 2)


def test_first_touch_delays(leads: pd.DataFrame) -> None:
    delays = first_touch_delays(leads)
    # owned by sales: leads with an MQL date (7) and the sales-sourced L09-L11 (3)
    assert len(delays) == 10 and delays["handoff"].sum() == 7
    hours = sorted(delays["hours"].dropna().round(4))
    assert hours == pytest.approx([0.1667, 0.3333, 0.5, 0.5, 1.0, 8.0, 24.0, 48.0], abs=1e-4)
    assert delays["hours"].isna().sum() == 2


def test_speed_to_lead_shares(leads: pd.DataFrame) -> None:
    speed = speed_to_lead(leads, sla_hours=24).set_index(["breakdown", "group"])
    overall = speed.loc[("all", "all")]
    assert overall[["leads", "touched", "within_1h", "within_sla"]].tolist() == [10, 8, 5, 7]
    assert overall["share_within_1h"] == pytest.approx(0.5)
    assert overall["share_within_sla"] == pytest.approx(0.7)
    assert overall["median_hours"] == pytest.approx(0.75)
    marketing = speed.loc[("source", "marketing")]
    assert marketing[["leads", "within_1h", "within_sla"]].tolist() == [6, 2, 3]
    sales = speed.loc[("source", "sales")]
    assert sales[["share_within_1h", "share_within_sla"]].tolist() == pytest.approx([2 / 3, 1.0])
    # teams: only the MQLs handed to them (Inside Sales L01-L05; Field Sales L06 and L12)
    inside = speed.loc[("owner_team", "Inside Sales")]
    field = speed.loc[("owner_team", "Field Sales")]
    assert inside[["leads", "within_1h", "within_sla"]].tolist() == [5, 2, 3]
    assert field[["leads", "touched", "within_1h", "within_sla"]].tolist() == [2, 1, 1, 1]
    assert list(speed.loc["owner_team"].index) == ["Inside Sales", "Field Sales"]


@pytest.mark.parametrize(("sla", "within"), [(0.5, 4), (1, 5), (8, 6), (24, 7), (48, 8)])
def test_sla_boundary_is_inclusive(leads: pd.DataFrame, sla: float, within: int) -> None:
    speed = speed_to_lead(leads, sla_hours=sla)
    assert speed.iloc[0]["within_sla"] == within
    assert speed.attrs["sla_hours"] == sla


def test_touch_before_hand_off_counts_as_immediate(leads: pd.DataFrame) -> None:
    early = leads.copy()
    first = early.index[0]
    early.loc[first, "first_touch_at"] = early.loc[first, "created_at"]  # before its MQL date
    assert first_touch_delays(early).loc[0, "hours"] == 0.0


def test_untracked_stage_leaves_conversion_empty(leads: pd.DataFrame) -> None:
    no_sal = leads.assign(sal_at=pd.NaT)
    assert tracked_stages(no_sal) == ("lead", "mql", "sql", "opportunity", "won")
    fall = funnel_waterfall(no_sal).set_index("stage")
    assert pd.isna(fall.loc["sal", "count"]) and not fall.loc["sal", "tracked"]
    assert fall.loc["sql", "from_previous"] == pytest.approx(6 / 9)  # from the MQL stage
    conv = stage_conversion(no_sal).set_index("to_stage")
    assert np.isnan(conv.loc["sal", "rate"]) and np.isnan(conv.loc["sql", "rate"])
    assert conv.loc["opportunity", "rate"] == pytest.approx(5 / 6)
    # "never accepted" then means never reached any later stage
    assert leakage(no_sal).set_index("leak").loc["not_accepted", "count"] == 3


def test_no_first_touch_column_means_touches_unknown(leads: pd.DataFrame) -> None:
    blind = leads.assign(first_touch_at=pd.NaT)
    assert pd.isna(leakage(blind).set_index("leak").loc["not_touched", "count"])


def test_reached_stages_counts_skipped_stages_as_passed(leads: pd.DataFrame) -> None:
    reached = reached_stages(leads)
    sales_sourced = leads["source"].astype(str).eq("sales") & leads["sql_at"].notna()
    assert reached.loc[sales_sourced, ["mql", "sal"]].all().all()


def test_stage_counts_give_waterfall_and_conversion(counts: pd.DataFrame) -> None:
    fall = funnel_waterfall(counts).set_index("stage")
    assert fall["count"].tolist()[:2] == [250, 100] and pd.isna(fall.loc["sal", "count"])
    assert fall["marketing"].isna().all()
    conv = stage_conversion(counts)
    assert conv["rate"].tolist()[0] == pytest.approx(0.4)
    assert conv["rate"].tolist()[3:] == pytest.approx([0.5, 0.25])
    with pytest.raises(ValueError, match="no lead source"):
        funnel_waterfall(counts, source="marketing")


def test_analyse_funnel_says_what_it_is_based_on(leads: pd.DataFrame,
                                                 counts: pd.DataFrame) -> None:
    full = analyse_funnel(leads, counts, sla_hours=4)
    assert full.basis == "leads" and full.sla_hours == 4.0
    assert full.first == pd.Timestamp("2024-01-02 09:00") and full.periods == ("2024-01",)
    only_counts = analyse_funnel(leads.iloc[:0], counts)
    assert only_counts.basis == "counts" and only_counts.periods == ("2024-Q1",)
    assert only_counts.leakage.empty and only_counts.speed.empty and only_counts.sourced.empty
    assert not only_counts.waterfall.empty
    nothing = analyse_funnel(leads.iloc[:0], counts.iloc[:0])
    assert nothing.basis == "none" and nothing.waterfall.empty
    assert list(nothing.conversion.columns) == CONVERSION_COLUMNS
    assert nothing.conversion["rate"].isna().all()
    with pytest.raises(ValueError):
        analyse_funnel(leads, sla_hours=0)


def test_inputs_are_not_modified(leads: pd.DataFrame) -> None:
    before = leads.copy()
    analyse_funnel(leads)
    pd.testing.assert_frame_equal(leads, before)
