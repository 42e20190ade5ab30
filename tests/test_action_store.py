"""The action store: save, load and update a company's joint action plan."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from alignkit.action_store import (
    ACTION_COLUMNS,
    load_action_updates,
    load_actions,
    record_action_update,
    save_actions,
)
from alignkit.exceptions import StoreError, UnknownCompanyError
from alignkit.store import Workspace


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
