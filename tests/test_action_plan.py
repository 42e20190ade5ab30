"""From gaps to a ranked, stored, editable and exported joint action plan."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from alignkit.analysis.wave import WaveScores
from alignkit.catalog.instrument import load_instrument
from alignkit.catalog.playbook import Kpi, Playbook, Tactic, load_playbook
from alignkit.exceptions import StoreError
from alignkit.plan.actions import (
    PLACEHOLDER,
    build_action_plan,
    current_plan,
    edit_action,
    explain_actions,
    export_xlsx,
    gap_sizes,
    rank_tactics,
    store_plan,
)
from alignkit.plan.sla import FunnelRates, RevenueGoal, build_sla
from alignkit.store.actions import load_actions
from alignkit.store.workspace import Workspace

NAMES = load_instrument().dimension_names()
START = date(2026, 3, 2)


def scores(means: dict[str, float], gaps: dict[str, tuple[float, float, float]] | None = None,
           *, hidden: bool = False) -> WaveScores:
    """WaveScores with the overall mean of some dimensions and sales-marketing gaps
    ``dimension -> (gap, low, high)``."""
    dims = pd.DataFrame([{"dimension": d, "dimension_name": NAMES[d], "group": "overall", "n": 40,
                          "mean": np.nan if hidden else m, "favourable": 0.5,
                          "suppressed": hidden} for d, m in means.items()])
    gap_rows = pd.DataFrame([{"dimension": d, "dimension_name": NAMES[d], "a_mean": 3.0,
                              "b_mean": 3.0 - g, "n_a": 20, "n_b": 20, "gap": g, "low": lo,
                              "high": hi} for d, (g, lo, hi) in (gaps or {}).items()],
                            columns=["dimension", "dimension_name", "a_mean", "b_mean", "n_a",
                                     "n_b", "gap", "low", "high"])
    empty = pd.DataFrame()
    return WaveScores(sizes=empty, dimensions=dims, items=empty, index=empty, gaps=gap_rows,
                      comments=empty, hidden=frozenset(), threshold=5)


def test_gap_size_worked_by_hand() -> None:
    result = gap_sizes(scores(
        {"sla": 3.0, "goals": 3.5, "tools": 4.5, "content": 2.0},
        {"sla": (-1.2, -1.8, -0.6),   # reliable: counts 1.2
         "goals": (0.4, -0.1, 0.9),   # interval includes zero: counts 0
         "tools": (0.8, 0.2, 1.4)}))  # above the target, but the teams disagree
    got = result.set_index("dimension")
    assert got.loc["sla", "gap_size"] == pytest.approx(1.0 + 1.2)
    assert got.loc["goals", "gap_size"] == pytest.approx(0.5)
    assert got.loc["tools", "gap_size"] == pytest.approx(0.0 + 0.8)
    assert got.loc["content", "gap_size"] == pytest.approx(2.0)  # no gap row: shortfall only
    assert list(result["dimension"]) == ["sla", "content", "tools", "goals"]  # largest first


def test_no_gaps_when_everyone_is_hidden() -> None:
    assert gap_sizes(scores({"sla": 3.0}, hidden=True)).empty


def tactic(tid: str, dims: tuple[str, ...], effort: int, impact: int, weeks: int = 4) -> Tactic:
    return Tactic(tid, tid.replace("_", " ").title(), dims, effort, impact, weeks,
                  "A tactic used in these tests only.", ("First step",), ("meetings",))


BOOK = Playbook("test", "1.0.0", "alignkit-core",
                (Kpi("meetings", "Meetings", "count", "higher", "tracker", 4),),
                (tactic("sla_main", ("sla",), effort=3, impact=5, weeks=8),
                 tactic("sla_support", ("goals", "sla"), effort=1, impact=3),
                 tactic("sla_third", ("sla", "tools"), effort=3, impact=5, weeks=2),
                 tactic("goals_main", ("goals",), effort=2, impact=2),
                 tactic("tools_only", ("tools",), effort=1, impact=5)))
GAPS = gap_sizes(scores({"sla": 2.0, "goals": 3.5, "tools": 4.2}))  # 2.0, 0.5, 0.0


def test_priority_is_gap_times_impact_over_effort() -> None:
    # Nothing has to be covered: each tactic counts the dimension that gives it most reason.
    free = rank_tactics(GAPS, BOOK, top=10, per_dimension=10, cover=[]).set_index("tactic")
    assert free.loc["sla_main", "priority"] == pytest.approx(2.0 * 5 / 3)
    # goals is its main facet (need 0.5 x 1); sla only supported: 2.0 x 0.5 = 1.0 wins
    assert free.loc["sla_support", "dimension"] == "sla"
    assert free.loc["sla_support", "weight"] == 0.5
    assert free.loc["sla_support", "priority"] == pytest.approx(1.0 * 3 / 1)
    assert free.loc["goals_main", "priority"] == pytest.approx(0.5 * 2 / 2)
    assert "tools_only" not in free.index  # tools is above target: no need to meet
    # By default the lowest-scoring dimensions with a need (sla, goals) must each get an
    # action: the best one aimed first at goals is sla_support (0.5 x 3 / 1 = 1.5, more than
    # goals_main's 0.5), so it is taken for goals and counts that need in full.
    ranked = rank_tactics(GAPS, BOOK, top=10, per_dimension=10).set_index("tactic")
    assert ranked.loc["sla_support", "dimension"] == "goals"
    assert ranked.loc["sla_support", "weight"] == 1.0
    assert ranked.loc["sla_support", "priority"] == pytest.approx(0.5 * 3 / 1)
    assert ranked.loc["sla_main", "priority"] == pytest.approx(2.0 * 5 / 3)
    assert ranked.loc["goals_main", "priority"] == pytest.approx(0.5 * 2 / 2)
    assert "tools_only" not in ranked.index


def test_ties_go_to_the_quicker_tactic_and_dimensions_are_capped() -> None:
    ranked = rank_tactics(GAPS, BOOK, top=10, per_dimension=10)
    # sla_main and sla_third tie at 3.33: the one with impact in 2 weeks first
    assert list(ranked["tactic"][:2]) == ["sla_third", "sla_main"]
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    capped = rank_tactics(GAPS, BOOK, top=10, per_dimension=2)
    assert (capped["dimension"] == "sla").sum() == 2
    # sla and goals must be covered, so a plan of "top 1" still has one action for each;
    # the tie for sla goes to the quicker sla_third here too
    assert list(rank_tactics(GAPS, BOOK, top=1)["tactic"]) == ["sla_third", "sla_support"]
    assert list(rank_tactics(GAPS, BOOK, top=1, cover=[])["tactic"]) == ["sla_third"]


def test_ties_go_to_the_larger_perception_gap_before_the_quicker_tactic() -> None:
    # Both facets need 1.0, one all shortfall, the other half a clear perception gap.
    gaps = pd.DataFrame([
        {"dimension": "sla", "dimension_name": NAMES["sla"], "mean": 3.0, "shortfall": 1.0,
         "perception_gap": 0.0, "reliable": False, "gap_size": 1.0},
        {"dimension": "goals", "dimension_name": NAMES["goals"], "mean": 3.5, "shortfall": 0.5,
         "perception_gap": 0.5, "reliable": True, "gap_size": 1.0}])
    book = Playbook("tie", "1.0.0", "alignkit-core", BOOK.kpis,
                    (tactic("quick_sla", ("sla",), effort=1, impact=2, weeks=2),
                     tactic("slow_goals", ("goals",), effort=1, impact=2, weeks=10)))
    ranked = rank_tactics(gaps, book)
    assert ranked["priority"].tolist() == pytest.approx([2.0, 2.0])
    assert list(ranked["tactic"]) == ["slow_goals", "quick_sla"]


def test_build_action_plan_dates_owners_and_kpis() -> None:
    plan = build_action_plan(scores({"sla": 2.0, "handoff": 3.0}), start=START, top=3,
                             kpi_baselines={"first_touch_within_sla": 0.5})
    assert plan.attrs["source"] == "draft"
    assert (plan["sales_owner"] == PLACEHOLDER).all() and (plan["status"] == "planned").all()
    book = load_playbook()
    for row in plan.itertuples():
        weeks = book.tactic(row.tactic).weeks_to_impact
        assert row.due == pd.Timestamp(START) + pd.Timedelta(weeks=weeks)
        assert row.kpi == book.tactic(row.tactic).headline_kpi
    sla_rows = plan[plan["kpi"] == "first_touch_within_sla"]
    assert len(sla_rows) and (sla_rows["baseline"] == 0.5).all()
    assert (sla_rows["target"] == 0.9).all()
    unmeasured = plan[plan["kpi"] != "first_touch_within_sla"]
    assert unmeasured["baseline"].isna().all()


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    workspace.add_company("globex", "Globex")
    return workspace


def draft(top: int = 4) -> pd.DataFrame:
    return build_action_plan(scores({"sla": 2.0, "goals": 2.5, "content": 3.0}), start=START,
                             top=top)


def test_store_refuses_a_second_plan_and_replace_swaps_it(ws: Workspace) -> None:
    stored = store_plan(ws, "acme", draft())
    assert len(stored) == 4
    assert stored["id"].tolist() == [1, 2, 3, 4]  # numbered per company in priority order
    with pytest.raises(StoreError, match="already has a plan of 4 actions.*--replace"):
        store_plan(ws, "acme", draft())
    assert len(load_actions(ws, "acme")) == 4  # nothing added
    # All three facets score below agree, so each keeps an action even when only 2 are asked
    replaced = store_plan(ws, "acme", draft(top=2), replace=True)
    assert len(replaced) == 3
    assert set(replaced["dimension"]) == {"sla", "goals", "content"}
    assert replaced["id"].tolist() == [1, 2, 3]
    assert replaced["priority"].is_monotonic_decreasing


def test_explain_restores_the_reasons_of_a_stored_plan(ws: Workspace) -> None:
    plan = draft()
    stored = store_plan(ws, "acme", plan)
    gaps = gap_sizes(scores({"sla": 2.0, "goals": 2.5, "content": 3.0}))
    explained = explain_actions(stored, gaps)
    assert explained.attrs["source"] == "stored"
    assert list(explained["tactic"]) == list(plan["tactic"])
    assert explained["priority"].tolist() == pytest.approx(plan["priority"].tolist())
    assert explained["gap_size"].tolist() == pytest.approx(plan["gap_size"].tolist())
    assert explained["weight"].tolist() == plan["weight"].tolist()
    unknown = explain_actions(stored, gaps.iloc[:0])
    assert unknown["gap_size"].isna().all() and unknown["dimension_name"].notna().all()


def test_edit_changes_only_what_is_given(ws: Workspace) -> None:
    first = int(store_plan(ws, "acme", draft())["id"].iloc[0])
    row = edit_action(ws, "acme", first, sales_owner="  Priya ", due=date(2026, 5, 1))
    assert row["sales_owner"] == "Priya" and row["marketing_owner"] == PLACEHOLDER
    assert row["due"] == pd.Timestamp("2026-05-01")
    row = edit_action(ws, "acme", first, marketing_owner="Lena", target=0.75)
    assert (row["sales_owner"], row["marketing_owner"], row["target"]) == ("Priya", "Lena", 0.75)


@pytest.mark.parametrize(("changes", "message"), [
    ({}, "nothing to change"),
    ({"sales_owner": "  "}, "cannot be empty"),
])
def test_edit_refuses_empty_changes(ws: Workspace, changes: dict, message: str) -> None:
    first = int(store_plan(ws, "acme", draft())["id"].iloc[0])
    with pytest.raises(StoreError, match=message):
        edit_action(ws, "acme", first, **changes)


def test_edit_cannot_reach_another_companys_action(ws: Workspace) -> None:
    theirs = int(store_plan(ws, "globex", draft())["id"].iloc[0])
    with pytest.raises(StoreError, match=f"no action {theirs}"):
        edit_action(ws, "acme", theirs, sales_owner="Mallory")
    assert (load_actions(ws, "globex")["sales_owner"] == PLACEHOLDER).all()


def test_current_plan_drafts_in_memory_without_writing(ws: Workspace) -> None:
    sc = scores({"sla": 2.0, "goals": 2.5})
    drafted = current_plan(ws, "acme", sc, start="2026-03-02")
    assert drafted.attrs["source"] == "draft"
    assert drafted["due"].min() >= pd.Timestamp(START)
    assert load_actions(ws, "acme").empty
    store_plan(ws, "acme", drafted)
    assert current_plan(str(ws.root), "acme", sc).attrs["source"] == "stored"


def test_export_writes_two_sheets_with_neutralised_text(ws: Workspace, tmp_path: Path) -> None:
    stored = store_plan(ws, "acme", draft())
    first = int(stored["id"].iloc[0])
    edit_action(ws, "acme", first, sales_owner="=HYPERLINK(\"http://evil\")",
                marketing_owner="+Lena")
    plan = explain_actions(load_actions(ws, "acme"), gap_sizes(
        scores({"sla": 2.0, "goals": 2.5, "content": 3.0})))
    sla = build_sla(RevenueGoal(1_200_000, "year", 0.6, 20_000), FunnelRates())
    path = export_xlsx(plan, sla, tmp_path / "plan.xlsx", company="-Acme", currency="EUR")
    book = load_workbook(path)
    assert book.sheetnames == ["Action plan", "SLA"]
    actions = book["Action plan"]
    assert actions["A1"].value == "Joint action plan: -Acme"  # does not start with a formula sign
    header = [c.value for c in actions[4]]
    assert header[:3] == ["#", "Action", "Addresses"]
    assert "need x impact / effort" in actions["A2"].value
    assert [actions.cell(5 + k, 1).value for k in range(len(plan))] == plan["id"].tolist()
    assert actions["E5"].value == "'=HYPERLINK(\"http://evil\")"
    assert actions["F5"].value == "'+Lena"
    assert actions["G5"].is_date
    assert actions["I5"].value == "not measured yet"  # no CRM data behind this KPI
    texts = [c.value for row in book["SLA"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("Deliver 50 MQLs a month" in t for t in texts)
    assert "Signed for sales" in texts
    assert "\u20ac1,200,000" in texts and "\u20ac20,000" in texts  # goal and deal size in EUR
    assert not list(tmp_path.glob(".*.part"))


def test_demo_plans_are_staffed_dated_and_built_once(tmp_path: Path) -> None:
    import os

    from alignkit.analysis.metrics import plan_start
    from alignkit.demo import DEMO_COMPANIES
    from alignkit.demo.calendar import demo_calendar
    from alignkit.demo.plan import DEMO_OWNERS, populate

    copy = tmp_path / "demo"
    shutil.copytree(os.environ["ALIGNKIT_WORKSPACE"], copy)
    ws = Workspace(copy)
    # the plans started on a Monday seven weeks (and up to six days) before the demo was built
    start = demo_calendar().plan_start
    assert start.weekday() == 0
    assert timedelta(weeks=7) <= date.today() - start < timedelta(weeks=8)
    for company in DEMO_COMPANIES:
        before = load_actions(ws, company.slug)
        assert len(before) >= 3
        assert before["id"].tolist() == list(range(1, len(before) + 1))
        sales, marketing = DEMO_OWNERS[company.slug]
        assert set(before["sales_owner"]) <= set(sales)
        assert set(before["marketing_owner"]) <= set(marketing)
        assert before["due"].min() > pd.Timestamp(start)
        assert plan_start(before) == start
        populate(ws, company)
        after = load_actions(ws, company.slug)
        assert after[["id", "title", "due"]].equals(before[["id", "title", "due"]])
