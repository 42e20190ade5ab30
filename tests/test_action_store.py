"""The action store: save, load and update a company's joint action plan."""

from __future__ import annotations

import sqlite3
from datetime import date

import numpy as np
import pandas as pd
import pytest

from alignkit.exceptions import StoreError, UnknownCompanyError
from alignkit.store.actions import (
    ACTION_COLUMNS,
    load_action_updates,
    load_actions,
    record_action_update,
    record_action_updates,
    save_actions,
    update_action,
)
from alignkit.store.workspace import Workspace


def plan(n: int = 2, **extra) -> pd.DataFrame:
    return pd.DataFrame({"tactic": [f"tactic_{k}" for k in range(n)],
                         "title": [f"Action {k}" for k in range(n)], **extra})


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    workspace.add_company("beta", "Beta Ltd")
    return workspace


def test_saved_actions_come_back_in_order_with_defaults(ws: Workspace) -> None:
    saved = save_actions(ws, "acme", plan(2, due=["2026-07-01", None], sales_owner=["Dana", "Eli"],
                                           target=[0.9, 4.0]))
    assert list(saved.columns) == ACTION_COLUMNS
    assert saved["title"].tolist() == ["Action 0", "Action 1"]
    assert saved["status"].tolist() == ["planned", "planned"]
    assert saved["due"].iloc[0] == pd.Timestamp("2026-07-01") and pd.isna(saved["due"].iloc[1])
    assert saved["sales_owner"].tolist() == ["Dana", "Eli"]
    assert saved["target"].astype(float).tolist() == [0.9, 4.0]
    assert saved["id"].is_unique
    assert load_actions(ws, "acme").equals(saved)


def test_actions_of_one_company_are_invisible_to_another(ws: Workspace) -> None:
    save_actions(ws, "acme", plan(3))
    assert load_actions(ws, "beta").empty
    assert load_action_updates(ws, "beta").empty


def test_saving_adds_unless_replace(ws: Workspace) -> None:
    first = save_actions(ws, "acme", plan(2))
    assert len(save_actions(ws, "acme", plan(1))) == 3
    record_action_update(ws, "acme", int(first["id"].iloc[0]), status="in_progress",
                         updated_on=date(2026, 6, 1))
    replaced = save_actions(ws, "acme", plan(1), replace=True)
    assert len(replaced) == 1
    assert load_action_updates(ws, "acme").empty  # the old actions' updates went with them


@pytest.mark.parametrize(("frame", "message"), [
    (pd.DataFrame({"title": ["x"]}), "tactic"),
    (pd.DataFrame({"tactic": ["x"]}), "title"),
    (plan(1, status=["finished"]), "unknown action status"),
])
def test_invalid_plans_are_refused(ws: Workspace, frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        save_actions(ws, "acme", frame)
    assert load_actions(ws, "acme").empty


def test_unknown_company_is_refused(ws: Workspace) -> None:
    with pytest.raises(UnknownCompanyError):
        save_actions(ws, "nope", plan(1))
    with pytest.raises(UnknownCompanyError):
        load_actions(ws, "nope")


def test_update_sets_status_and_keeps_history(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    record_action_update(ws, "acme", action, status="in_progress", progress=0.4,
                         note="Kick-off held", updated_on=date(2026, 6, 3))
    record_action_update(ws, "acme", action, status="done", updated_on=date(2026, 7, 1))
    assert load_actions(ws, "acme")["status"].tolist() == ["done"]
    history = load_action_updates(ws, "acme")
    assert history["status"].tolist() == ["in_progress", "done"]
    assert history["updated_on"].tolist() == [pd.Timestamp("2026-06-03"),
                                              pd.Timestamp("2026-07-01")]
    assert history["progress"].iloc[0] == 0.4 and history["note"].iloc[0] == "Kick-off held"


def test_updates_are_listed_by_date_not_by_entry(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    record_action_update(ws, "acme", action, status="done", updated_on=date(2026, 8, 1))
    record_action_update(ws, "acme", action, status="in_progress", updated_on=date(2026, 7, 1))
    assert load_action_updates(ws, "acme")["status"].tolist() == ["in_progress", "done"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"status": "finished"}, "unknown action status"),
    ({"status": "in_progress", "progress": 1.5}, "between 0 and 1"),
    ({"status": "in_progress", "progress": -0.1}, "between 0 and 1"),
])
def test_invalid_updates_are_refused(ws: Workspace, kwargs: dict, message: str) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    with pytest.raises(StoreError, match=message):
        record_action_update(ws, "acme", action, updated_on=date(2026, 6, 1), **kwargs)
    assert load_action_updates(ws, "acme").empty


def test_an_action_of_another_company_cannot_be_updated(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    with pytest.raises(StoreError, match="company 'beta' has no action"):
        record_action_update(ws, "beta", action, status="done", updated_on=date(2026, 6, 1))
    assert load_actions(ws, "acme")["status"].tolist() == ["planned"]


# -- reported defects: each reproduced first, then fixed ------------------------------------
def test_a_missing_status_value_means_planned(ws: Workspace) -> None:
    saved = save_actions(ws, "acme", plan(3, status=["done", None, np.nan]))
    assert saved["status"].tolist() == ["done", "planned", "planned"]


@pytest.mark.parametrize(("frame", "message"), [
    (plan(2, title=["First", None]), r"action row 2: the title is empty"),
    (plan(2, title=["First", "   "]), r"action row 2: the title is empty"),
    (plan(3, tactic=["a", "b", np.nan]), r"action row 3: the tactic is empty"),
])
def test_a_missing_title_or_tactic_names_the_row(ws: Workspace, frame: pd.DataFrame,
                                                 message: str) -> None:
    with pytest.raises(StoreError, match=message):
        save_actions(ws, "acme", frame)
    assert load_actions(ws, "acme").empty


@pytest.mark.parametrize(("due", "message"), [
    ("2026-13-01", r"action row 2: due '2026-13-01' is not a date"),
    ("soon", r"action row 2: due 'soon' is not a date"),
])
def test_an_unreadable_due_date_names_row_and_value(ws: Workspace, due: str,
                                                    message: str) -> None:
    with pytest.raises(StoreError, match=message):
        save_actions(ws, "acme", plan(2, due=["2026-07-01", due]))
    assert load_actions(ws, "acme").empty


@pytest.mark.parametrize("column", ["baseline", "target", "priority"])
@pytest.mark.parametrize("value", ["high", "inf", "4 leads"])
def test_a_non_numeric_figure_is_refused(ws: Workspace, column: str, value: str) -> None:
    with pytest.raises(StoreError, match=rf"action row 1: {column} '{value}' is not a number"):
        save_actions(ws, "acme", plan(1, **{column: [value]}))
    assert load_actions(ws, "acme").empty


def test_numeric_text_figures_are_stored_as_numbers(ws: Workspace) -> None:
    saved = save_actions(ws, "acme", plan(2, baseline=["0.4", " "], target=[0.9, "4"],
                                          priority=[3, np.nan], due=["", "2026-07-01"]))
    assert saved["baseline"].iloc[0] == 0.4 and pd.isna(saved["baseline"].iloc[1])  # blank: none
    assert pd.isna(saved["due"].iloc[0]) and saved["due"].iloc[1] == pd.Timestamp("2026-07-01")
    assert saved["target"].tolist() == [0.9, 4.0]
    with sqlite3.connect(ws.db_path) as con:
        kinds = con.execute("SELECT DISTINCT typeof(baseline), typeof(target) FROM actions "
                            "WHERE baseline IS NOT NULL").fetchall()
    assert kinds == [("real", "real")]


def test_an_earlier_update_entered_later_does_not_set_the_status(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    record_action_update(ws, "acme", action, status="done", updated_on=date(2026, 8, 1))
    record_action_update(ws, "acme", action, status="in_progress", updated_on=date(2026, 7, 1))
    assert load_actions(ws, "acme")["status"].tolist() == ["done"]
    record_action_update(ws, "acme", action, status="dropped", updated_on=date(2026, 8, 1))
    assert load_actions(ws, "acme")["status"].tolist() == ["dropped"]  # same day: latest entry


NUMERIC_ACTION_DTYPES = {"id": "Int64", "baseline": "float64", "target": "float64",
                         "priority": "float64"}
NUMERIC_UPDATE_DTYPES = {"action_id": "Int64", "progress": "float64"}


@pytest.mark.parametrize("rows", [0, 2], ids=["empty", "all null"])
def test_numeric_columns_have_stable_dtypes(ws: Workspace, rows: int) -> None:
    if rows:
        ids = save_actions(ws, "acme", plan(rows))["id"].astype(int).tolist()
        for action in ids:
            record_action_update(ws, "acme", action, status="in_progress",
                                 updated_on=date(2026, 6, 1))
    actions, updates = load_actions(ws, "acme"), load_action_updates(ws, "acme")
    assert len(actions) == len(updates) == rows
    assert {c: str(actions[c].dtype) for c in NUMERIC_ACTION_DTYPES} == NUMERIC_ACTION_DTYPES
    assert {c: str(updates[c].dtype) for c in NUMERIC_UPDATE_DTYPES} == NUMERIC_UPDATE_DTYPES
    assert str(actions["due"].dtype).startswith("datetime64")
    assert str(updates["updated_on"].dtype).startswith("datetime64")


# -- several updates at once ----------------------------------------------------------------
def update_rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["action_id", "status", "progress", "note", "updated_on"])


def test_updates_are_recorded_at_once_and_set_the_latest_status(ws: Workspace) -> None:
    first, second = save_actions(ws, "acme", plan(2))["id"].astype(int)
    added = record_action_updates(ws, "acme", update_rows(
        (first, "done", None, None, date(2026, 8, 1)),
        (first, "in_progress", 0.5, "halfway", date(2026, 7, 1)),
        (second, "in_progress", 0.2, None, "2026-06-15"),
    ))
    assert added == 3
    assert load_actions(ws, "acme")["status"].tolist() == ["done", "in_progress"]
    history = load_action_updates(ws, "acme")
    assert history["status"].tolist() == ["in_progress", "in_progress", "done"]
    assert history["note"].tolist()[1] == "halfway"


def test_recording_the_same_updates_twice_adds_nothing(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    rows = update_rows((action, "in_progress", 0.4, "kick-off", date(2026, 6, 1)))
    assert record_action_updates(ws, "acme", rows) == 1
    assert record_action_updates(ws, "acme", rows) == 0
    assert len(load_action_updates(ws, "acme")) == 1


def test_no_updates_record_nothing(ws: Workspace) -> None:
    assert record_action_updates(ws, "acme", update_rows()) == 0


@pytest.mark.parametrize(("row", "message"), [
    ((1, "finished", None, None, date(2026, 6, 1)), r"update row 2: unknown action status"),
    ((1, "in_progress", 1.5, None, date(2026, 6, 1)), r"update row 2: progress .* between 0 and 1"),
    ((1, "in_progress", "half", None, date(2026, 6, 1)), r"update row 2: progress 'half'"),
    ((1, "in_progress", None, None, "2026-13-01"), r"update row 2: updated_on '2026-13-01'"),
    ((1, "in_progress", None, None, None), r"update row 2: updated_on is empty"),
    ((99, "done", None, None, date(2026, 6, 1)), r"update row 2: company 'acme' has no action 99"),
])
def test_a_bad_update_names_its_row_and_records_nothing(ws: Workspace, row: tuple,
                                                        message: str) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    row = (action if row[0] == 1 else row[0], *row[1:])
    good = (action, "done", None, None, date(2026, 6, 1))
    with pytest.raises(StoreError, match=message):
        record_action_updates(ws, "acme", update_rows(good, row))
    assert load_action_updates(ws, "acme").empty
    assert load_actions(ws, "acme")["status"].tolist() == ["planned"]


def test_updates_of_another_companys_action_are_refused(ws: Workspace) -> None:
    action = int(save_actions(ws, "acme", plan(1))["id"].iloc[0])
    with pytest.raises(StoreError, match="company 'beta' has no action"):
        record_action_updates(ws, "beta", update_rows((action, "done", None, None,
                                                       date(2026, 6, 1))))
    assert load_action_updates(ws, "acme").empty


def test_updates_need_their_columns(ws: Workspace) -> None:
    with pytest.raises(StoreError, match="updated_on"):
        record_action_updates(ws, "acme", pd.DataFrame({"action_id": [1], "status": ["done"]}))


# -- changing an action ---------------------------------------------------------------------
def test_an_action_is_changed_field_by_field(ws: Workspace) -> None:
    saved = save_actions(ws, "acme", plan(2, due=["2026-07-01", "2026-08-01"]))
    action = int(saved["id"].iloc[1])
    update_action(ws, "acme", action, {"sales_owner": "Dana", "due": date(2026, 9, 15),
                                       "target": "0.9"})
    now = load_actions(ws, "acme")
    assert now.loc[1, ["sales_owner", "due", "target"]].tolist() == \
        ["Dana", pd.Timestamp("2026-09-15"), 0.9]
    assert now.loc[0].drop("updated_at").equals(saved.loc[0].drop("updated_at"))  # untouched


@pytest.mark.parametrize(("changes", "message"), [
    ({}, "cannot change nothing"),
    ({"status": "done"}, "cannot change status; .* its status by an update"),
    ({"id": 5}, "cannot change id"),
    ({"due": "2026-02-30"}, r"action \d+: due '2026-02-30' is not a date"),
    ({"target": "most"}, r"action \d+: target 'most' is not a number"),
    ({"title": " "}, r"action \d+: the title is empty"),
])
def test_a_bad_change_is_refused(ws: Workspace, changes: dict, message: str) -> None:
    saved = save_actions(ws, "acme", plan(1))
    with pytest.raises(StoreError, match=message):
        update_action(ws, "acme", int(saved["id"].iloc[0]), changes)
    assert load_actions(ws, "acme").equals(saved)


def test_an_action_of_another_company_cannot_be_changed(ws: Workspace) -> None:
    saved = save_actions(ws, "acme", plan(1))
    with pytest.raises(StoreError, match="company 'beta' has no action"):
        update_action(ws, "beta", int(saved["id"].iloc[0]), {"sales_owner": "Eve"})
    assert load_actions(ws, "acme").equals(saved)
