"""The action tracker: status on a day, overdue, burn-up, the report words, the demo data."""

from __future__ import annotations

import os
from datetime import date

import numpy as np
import pandas as pd
import pytest
from helpers import snapshot

from alignkit.exceptions import AlignkitError
from alignkit.store.actions import load_action_updates, load_actions
from alignkit.store.workspace import Workspace
from alignkit.track.actions import (
    action_status,
    as_of_date,
    burn_up_series,
    execute_findings,
    execute_heading,
    on_track_markdown,
    status_overview,
)


def actions(*dues: str | None, stored: tuple[str, ...] = ()) -> pd.DataFrame:
    """Actions 1..n with the given due dates (stored status ``planned`` unless given)."""
    n = len(dues)
    return pd.DataFrame({
        "id": range(1, n + 1), "tactic": ["t"] * n, "title": [f"A{k}" for k in range(1, n + 1)],
        "dimension": ["sla"] * n, "sales_owner": ["Dana"] * n, "marketing_owner": ["Lee"] * n,
        "due": pd.to_datetime(list(dues)), "kpi": [None] * n, "baseline": [None] * n,
        "target": [None] * n, "priority": [None] * n,
        "status": list(stored) or ["planned"] * n, "created_at": [""] * n, "updated_at": [""] * n,
    })


def updates(*rows: tuple[int, str, str, float | None]) -> pd.DataFrame:
    """``(action_id, day, status, progress)`` rows as :func:`load_action_updates` returns them."""
    frame = pd.DataFrame(rows, columns=["action_id", "updated_on", "status", "progress"])
    frame["updated_on"] = pd.to_datetime(frame["updated_on"])
    return frame.assign(note=None)


NO_UPDATES = updates()


# status, progress, overdue, days overdue, due soon -- for one action due 2026-07-01
STATUS_CASES = {
    "never updated, not yet due": ([], "2026-06-01", ("planned", 0.0, False, 0, False)),
    "never updated, late": ([], "2026-07-11", ("planned", 0.0, True, 10, False)),
    "due today is not late": ([], "2026-07-01", ("planned", 0.0, False, 0, True)),
    "due within two weeks": ([], "2026-06-20", ("planned", 0.0, False, 0, True)),
    "in progress, late": ([(1, "2026-06-05", "in_progress", 0.3)], "2026-07-03",
                          ("in_progress", 0.3, True, 2, False)),
    "progress without a figure keeps the last one": (
        [(1, "2026-06-05", "in_progress", 0.3), (1, "2026-06-15", "in_progress", None)],
        "2026-06-20", ("in_progress", 0.3, False, 0, True)),
    "done late is not overdue": ([(1, "2026-08-01", "done", None)], "2026-09-01",
                                 ("done", 1.0, False, 0, False)),
    "dropped is not overdue": ([(1, "2026-06-10", "dropped", None)], "2026-09-01",
                               ("dropped", np.nan, False, 0, False)),
    "updates after the day are ignored": ([(1, "2026-08-01", "done", None)], "2026-07-15",
                                          ("planned", 0.0, True, 14, False)),
    "same-day updates: the later entry wins": (
        [(1, "2026-06-05", "in_progress", 0.5), (1, "2026-06-05", "done", None)],
        "2026-06-05", ("done", 1.0, False, 0, False)),
}


@pytest.mark.parametrize("case", sorted(STATUS_CASES))
def test_status_on_a_day(case: str) -> None:
    rows, day, expected = STATUS_CASES[case]
    got = action_status(actions("2026-07-01"), updates(*rows), as_of=date.fromisoformat(day))
    row = got.iloc[0]
    status, progress, overdue, days, soon = expected
    assert row["status"] == status
    assert (np.isnan(progress) and np.isnan(row["progress"])) or row["progress"] == progress
    assert (bool(row["overdue"]), int(row["days_overdue"]), bool(row["due_soon"])) == \
        (overdue, days, soon)


def test_an_action_without_updates_keeps_its_stored_status() -> None:
    got = action_status(actions("2026-07-01", stored=("done",)), NO_UPDATES,
                        as_of=date(2026, 9, 1))
    assert got["status"].tolist() == ["done"] and not got["overdue"].any()


def test_an_action_without_due_date_is_never_overdue() -> None:
    got = action_status(actions(None), NO_UPDATES, as_of=date(2030, 1, 1))
    assert not got["overdue"].iloc[0] and not got["due_soon"].iloc[0]


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-03-31", date(2026, 3, 31)), (date(2025, 1, 2), date(2025, 1, 2)),
    (" 2026-01-05 ", date(2026, 1, 5)),
])
def test_as_of_date(value, expected) -> None:
    assert as_of_date(value) == expected


def test_empty_as_of_means_today() -> None:
    assert as_of_date("") == date.today() and as_of_date(None) == date.today()


def test_bad_as_of_is_a_readable_error() -> None:
    with pytest.raises(AlignkitError, match="YYYY-MM-DD"):
        as_of_date("31/03/2026")


def test_burn_up_counts_by_hand() -> None:
    # A1 due 06-15 done 06-10; A2 due 06-29 in progress from 06-08; A3 due 07-13 dropped 06-22.
    plan = actions("2026-06-15", "2026-06-29", "2026-07-13")
    history = updates((1, "2026-06-01", "in_progress", 0.1), (1, "2026-06-10", "done", None),
                      (2, "2026-06-08", "in_progress", 0.5), (3, "2026-06-22", "dropped", None))
    series = burn_up_series(plan, history, as_of=date(2026, 6, 24)).set_index("date")
    assert series.index[0] == pd.Timestamp("2026-06-01")
    assert series.index[-1] == pd.Timestamp("2026-06-29")  # the last live action's due date
    expected = {  # day: (scope, due, done, in progress)
        "2026-06-01": (3, 0, 0, 1), "2026-06-08": (3, 0, 0, 2), "2026-06-15": (3, 1, 1, 1),
        "2026-06-22": (2, 1, 1, 1), "2026-06-24": (2, 1, 1, 1),
    }
    for day, counts in expected.items():
        assert tuple(series.loc[day, ["scope", "due", "done", "in_progress"]]) == counts, day
    after = series.loc["2026-06-29"]
    assert (after["scope"], after["due"]) == (2, 2)
    assert np.isnan(after["done"]) and np.isnan(after["in_progress"])


def test_burn_up_without_updates_starts_on_the_report_day() -> None:
    series = burn_up_series(actions("2026-01-01"), NO_UPDATES, as_of=date(2026, 3, 4))
    assert series["date"].tolist() == [pd.Timestamp("2026-03-04")]
    assert series[["scope", "due", "done"]].iloc[0].tolist() == [1, 1, 0]


@pytest.mark.parametrize(("done", "late", "word"), [
    (4, 1, "on track"), (3, 2, "slipping"), (1, 3, "off track"), (0, 0, "Nothing was due"),
])
def test_verdict_thresholds(done: int, late: int, word: str) -> None:
    n = done + late + 1  # plus one action not yet due
    dues = ["2026-05-01"] * (done + late) + ["2026-12-01"]
    history = updates(*[(k + 1, "2026-04-20", "done", None) for k in range(done)])
    status = action_status(actions(*dues), history, as_of=date(2026, 6, 1))
    text = execute_findings(status, as_of=date(2026, 6, 1))
    assert word in text
    assert f"**{done} of {n} actions are done**" in text


@pytest.mark.parametrize(("kpis", "text"), [
    (pd.DataFrame(), "No action plan and no KPI figures have been recorded"),
    (pd.DataFrame({"kpi": ["x"]}), "No action plan has been recorded for Acme Corp yet"),
])
def test_without_actions_the_report_says_so_once(kpis: pd.DataFrame, text: str) -> None:
    status = action_status(actions()[0:0], NO_UPDATES, as_of=date(2026, 6, 1))
    heading = execute_heading("Acme Corp", "baseline", status, kpis, as_of=date(2026, 6, 1))
    body = heading.split("\n\n", 1)[1]
    assert text in body and body.count(". ") == 0 and body.endswith(".")
    assert execute_findings(status, as_of=date(2026, 6, 1)) == ""
    assert status_overview(status).data.empty


def test_on_track_lists_late_actions_longest_first() -> None:
    status = action_status(actions("2026-05-20", "2026-05-01"), NO_UPDATES,
                           as_of=date(2026, 6, 1))
    text = on_track_markdown(status, pd.DataFrame(columns=["label", "status"]))
    assert text.index("*A2* is 31 days late") < text.index("*A1* is 12 days late")


def test_on_track_says_so_when_there_is_nothing_to_decide_yet() -> None:
    status = action_status(actions("2026-07-20", "2026-08-01"), NO_UPDATES,
                           as_of=date(2026, 6, 1))
    text = on_track_markdown(status, pd.DataFrame(columns=["label", "status"]))
    assert text.startswith("Nothing to decide yet") and "late" in text


# -- demo data -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the session's demo workspace (built by the root conftest), safe to change."""
    import os
    import shutil

    target = tmp_path_factory.mktemp("demo") / "ws"
    shutil.copytree(os.environ["ALIGNKIT_WORKSPACE"], target)
    return Workspace(target)


def test_demo_profiles_execute_their_plans_differently(demo_copy: Workspace) -> None:
    from alignkit.analysis.metrics import plan_start, tracked_kpis
    from alignkit.track.kpis import kpi_summary, load_kpis

    today = date.today()  # the demo counts back from the day it is built
    on_time, moved = {}, {}
    for slug in ("northwind-software", "bluepeak-logistics", "corvid-health"):
        plan = load_actions(demo_copy, slug)
        history = load_action_updates(demo_copy, slug)
        start = plan_start(plan)
        assert start.weekday() == 0 and (today - start).days // 7 == 7, slug
        assert history["updated_on"].max() <= pd.Timestamp(today)  # nothing after today
        status = action_status(plan, history, as_of=today)
        done_late = status["done_on"].notna() & (status["done_on"] > status["due"])
        assert status["late"].equals(status["overdue"] | done_late), slug
        on_time[slug] = ((status["status"] == "done") & ~status["late"]).mean()
        observations = load_kpis(demo_copy, slug)
        # figures every two weeks from the plan's start, for exactly the tracked KPIs
        assert set(observations["kpi"]) == set(tracked_kpis(plan)), slug
        days = (observations["observed_on"] - pd.Timestamp(start)).dt.days
        assert (days >= 0).all() and (days % 14 == 0).all(), slug
        assert observations["observed_on"].max() <= pd.Timestamp(today)
        summary = kpi_summary(observations).set_index("kpi")
        kpis = summary["status"]
        moved[slug] = summary["closed"].median()  # share of the way to target, typically
        assert len(kpis) == len(tracked_kpis(plan)), slug
        if slug == "northwind-software":  # moves fastest: every KPI improves or is met
            assert set(kpis) <= {"met", "improving"}
            assert kpis["first_touch_within_sla"] in ("met", "improving")
        if slug == "bluepeak-logistics":  # barely moves
            assert set(kpis) == {"stalled"}
        if slug == "corvid-health":  # in between: moving, not stalled
            assert "improving" in set(kpis) and "stalled" not in set(kpis)
    assert on_time["northwind-software"] > on_time["corvid-health"] > \
        on_time["bluepeak-logistics"]
    assert moved["northwind-software"] > moved["corvid-health"] > \
        moved["bluepeak-logistics"]


def test_demo_data_is_added_once(demo_copy: Workspace) -> None:
    from alignkit.demo import DEMO_COMPANIES, execute, followup

    before = snapshot(demo_copy)
    for company in DEMO_COMPANIES:
        execute.populate(demo_copy, company)
        followup.populate(demo_copy, company)
    assert snapshot(demo_copy) == before


@pytest.mark.parametrize("company", ["northwind-software", "bluepeak-logistics", "corvid-health"])
def test_burn_up_statuses_match_action_status_on_every_day(company: str) -> None:
    from alignkit.track.actions import _statuses_on

    ws = Workspace(os.environ["ALIGNKIT_WORKSPACE"])  # the demo workspace of conftest.py
    plan, history = load_actions(ws, company), load_action_updates(ws, company)
    assert len(history)
    days = list(pd.date_range(history["updated_on"].min() - pd.Timedelta(days=3),
                              history["updated_on"].max() + pd.Timedelta(days=3), freq="D"))
    for day, status in zip(days, _statuses_on(plan, history, days), strict=True):
        expected = action_status(plan, history, as_of=day.date())["status"].tolist()
        assert status.tolist() == expected, day
