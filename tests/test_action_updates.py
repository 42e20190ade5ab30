"""Status updates from a file: checked row by row, stored in one transaction, kept raw."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from helpers import snapshot

from alignkit.exceptions import IntakeError
from alignkit.intake.action_updates import import_action_updates, read_action_update_file
from alignkit.store.actions import load_action_updates, load_actions, save_actions
from alignkit.store.workspace import Workspace

TRACKING = Path(__file__).parent / "data" / "tracking"


@pytest.fixture
def planned(workspace: Workspace) -> Workspace:
    save_actions(workspace, "acme", pd.DataFrame({"tactic": ["a", "b", "c"],
                                                  "title": ["One", "Two", "Three"]}))
    workspace.add_company("beta", "Beta Ltd")
    save_actions(workspace, "beta", pd.DataFrame({"tactic": ["z"], "title": ["Beta's"]}))
    return workspace


def test_import_of_the_fixture_file(planned: Workspace) -> None:
    result = import_action_updates(TRACKING / "updates.csv", company="acme", workspace=planned)
    assert (result.rows, result.added, result.unchanged) == (5, 5, 0)
    stored = load_actions(planned, "acme").set_index("id")["status"]
    assert stored.to_dict() == {1: "done", 2: "in_progress", 3: "dropped"}
    history = load_action_updates(planned, "acme")
    assert history.loc[history["action_id"] == 2, "progress"].tolist() == [0.4]
    assert "Draft shared, waiting for sales" in history["note"].tolist()
    raw = planned.raw_dir / (hashlib.sha256((TRACKING / "updates.csv").read_bytes()).hexdigest()
                             + ".csv")
    assert raw.read_bytes() == (TRACKING / "updates.csv").read_bytes()
    assert not raw.stat().st_mode & 0o222  # kept read-only


def test_importing_the_same_file_twice_changes_nothing(planned: Workspace) -> None:
    import_action_updates(TRACKING / "updates.csv", company="acme", workspace=planned)
    before = snapshot(planned)
    again = import_action_updates(TRACKING / "updates.csv", company="acme", workspace=planned)
    assert (again.added, again.unchanged) == (0, 5)
    assert snapshot(planned) == before


HEADER = "action_id,status,progress,note,updated_on\n"
BAD_FILES = {
    "missing column": ("action_id,status\n1,done\n", 1, None, "updated_on"),
    "unknown column": (HEADER.replace("note", "notes") + "1,done,,,2026-06-01\n", 1, "notes",
                       "header must be"),
    "unknown status": (HEADER + "1,done,,,2026-06-01\n2,finished,,,2026-06-01\n", 3, "status",
                       "'finished' is not a status"),
    "progress above 1": (HEADER + "1,in_progress,1.5,,2026-06-01\n", 2, "progress",
                         "out of range"),
    "progress not a number": (HEADER + "1,in_progress,half,,2026-06-01\n", 2, "progress",
                              "not a number"),
    "done but not complete": (HEADER + "1,done,0.5,,2026-06-01\n", 2, "progress",
                              "a done action"),
    "bad date": (HEADER + "1,done,,,01/06/2026\n", 2, "updated_on", "YYYY-MM-DD"),
    "unknown action": (HEADER + "1,done,,,2026-06-01\n99,done,,,2026-06-01\n", 3, "action_id",
                       "has no action 99"),
    "action of another company": (HEADER + "4,done,,,2026-06-01\n", 2, "action_id",
                                  "has no action 4"),
    "not a number": (HEADER + "one,done,,,2026-06-01\n", 2, "action_id", "not an action number"),
    "header only": (HEADER, None, None, "no updates"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_names_row_and_column_and_stores_nothing(planned: Workspace, tmp_path: Path,
                                                           case: str) -> None:
    text, row, column, needle = BAD_FILES[case]
    path = tmp_path / "updates.csv"
    path.write_text(text, encoding="utf-8")
    before = snapshot(planned)
    with pytest.raises(IntakeError) as err:
        import_action_updates(path, company="acme", workspace=planned)
    assert (err.value.row, err.value.column) == (row, column)
    assert needle in str(err.value) and "updates.csv" in str(err.value)
    assert snapshot(planned) == before
    assert path.read_text(encoding="utf-8") == text


def test_reading_does_not_need_a_store(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(HEADER + "7,Completed,100%,ok,2026-06-01\n", encoding="utf-8")
    frame = read_action_update_file(path, known={7}, company="acme")
    assert frame.iloc[0][["action_id", "status", "progress"]].tolist() == [7, "done", 1.0]
