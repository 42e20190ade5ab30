"""``alignkit action …`` and ``alignkit kpi …`` as a user meets them.

Most commands run in this process through click's runner; a few run as real
processes to check what a user's shell sees (one line on stderr, exit status).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from alignkit.cli.app import main
from alignkit.store.actions import save_actions
from alignkit.store.workspace import Workspace

TRACKING = Path(__file__).parent / "data" / "tracking"


def run(*args: str) -> SimpleNamespace:
    """Run ``alignkit`` in this process (click's runner), with no workspace in the environment."""
    result = CliRunner().invoke(main, list(args), env={"ALIGNKIT_WORKSPACE": None})
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout,
                           stderr=result.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess:
    """Run ``alignkit`` in a fresh process, exactly as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "ALIGNKIT_WORKSPACE"}
    return subprocess.run([sys.executable, "-m", "alignkit", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def snapshot(root: Path) -> str:
    con = sqlite3.connect(root / "alignkit.db")
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    raw = sorted(p.name for p in (root / "raw").glob("*")) if (root / "raw").exists() else []
    return hashlib.sha256((dump + "".join(raw)).encode()).hexdigest()


@pytest.fixture
def ws(workspace: Workspace) -> Path:
    save_actions(workspace, "acme", pd.DataFrame({
        "tactic": ["two_way_sla", "weekly_pipeline_meeting", "shadowing_rotation"],
        "title": ["Agree the SLA", "Weekly pipeline meeting", "Shadowing rotation"],
        "sales_owner": ["Dana", "Eli", "Fay"], "marketing_owner": ["Lee", "Mo", "Noor"],
        "due": ["2026-06-15", "2026-07-01", "2026-12-01"]}))
    return workspace.root


def test_help_everywhere() -> None:
    for args in (["action"], ["action", "list"], ["action", "update"], ["action", "import"],
                 ["kpi"], ["kpi", "add"], ["kpi", "import"], ["kpi", "list"],
                 ["kpi", "catalogue"]):
        result = run(*args, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout, (args, result.stderr)
    assert "Usage: python -m alignkit kpi add" in run_process("kpi", "add", "--help").stdout


def test_a_mistake_in_a_real_process_is_one_line(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("action_id,status,updated_on\n1,done,2026-06-01\n2,finished,2026-06-02\n",
                   encoding="utf-8")
    before = snapshot(ws)
    assert_one_line_error(run_process("action", "import", str(bad), "--company", "acme",
                                      "--workspace", str(ws)),
                          "bad.csv", "row 3", "column 'status'")
    assert snapshot(ws) == before


def test_update_then_list_as_json(ws: Path) -> None:
    done = run("action", "update", "1", "--company", "acme", "--status", "done", "--on",
               "2026-06-10", "--workspace", str(ws))
    assert done.returncode == 0 and "action 1: done on 2026-06-10" in done.stdout
    again = run("action", "update", "1", "--company", "acme", "--status", "done", "--on",
                "2026-06-10", "--workspace", str(ws))
    assert "already recorded" in again.stdout
    listed = json.loads(run("action", "list", "--company", "acme", "--as-of", "2026-07-11",
                            "--json", "--workspace", str(ws)).stdout)
    assert listed["as_of"] == "2026-07-11"
    rows = {a["id"]: a for a in listed["actions"]}
    assert (rows[1]["status"], rows[1]["overdue"], rows[1]["progress"]) == ("done", False, 1.0)
    assert (rows[2]["status"], rows[2]["overdue"], rows[2]["days_overdue"]) == \
        ("planned", True, 10)
    assert rows[3]["due"] == "2026-12-01" and rows[3]["last_update"] is None


def test_list_as_text_shows_what_is_late(ws: Path) -> None:
    text = run("action", "list", "--company", "acme", "--as-of", "2026-07-11", "--workspace",
               str(ws)).stdout
    assert "Weekly pipeline meeting  10 days late" in text
    assert "Shadowing rotation" in text and "Shadowing rotation  " not in text


@pytest.mark.parametrize(("args", "needles"), [
    (["action", "update", "9", "--company", "acme", "--status", "done"], ["no action 9"]),
    (["action", "update", "1", "--company", "acme", "--status", "done", "--progress", "0.5"],
     ["a done action"]),
    (["action", "update", "1", "--company", "acmee", "--status", "done"],
     ["unknown company 'acmee'"]),
    (["action", "import", str(TRACKING / "missing.csv"), "--company", "acme"],
     ["missing.csv", "not found"]),
    (["kpi", "add", "--company", "acme", "--kpi", "sla", "--on", "2026-06-01", "--value", "82"],
     ["fraction between 0 and 1"]),
    (["kpi", "add", "--company", "acme", "--kpi", "nps", "--on", "2026-06-01", "--value", "3"],
     ["not a KPI of the playbook"]),
])
def test_mistakes_are_one_line_and_change_nothing(ws: Path, args: list[str],
                                                  needles: list[str]) -> None:
    before = snapshot(ws)
    assert_one_line_error(run(*args, "--workspace", str(ws)), *needles)
    assert snapshot(ws) == before


def test_import_updates_file(ws: Path) -> None:
    result = run("action", "import", str(TRACKING / "updates.csv"), "--company", "acme",
                 "--json", "--workspace", str(ws))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"file": "updates.csv", "rows": 5, "added": 5,
                                         "unchanged": 0}
    text = run("action", "import", str(TRACKING / "updates.csv"), "--company", "acme",
               "--workspace", str(ws)).stdout
    assert "5 updates, 0 new, 5 already recorded" in text


def test_kpis_add_import_and_list(ws: Path) -> None:
    added = run("kpi", "add", "--company", "acme", "--kpi", "SLA compliance", "--on",
                "2026-05-01", "--value", "0.4", "--target", "0.9", "--workspace", str(ws))
    assert added.stdout.strip() == "first_touch_within_sla on 2026-05-01: added"
    imported = json.loads(run("kpi", "import", str(TRACKING / "kpis.csv"), "--company", "acme",
                              "--json", "--workspace", str(ws)).stdout)
    assert imported["added"] == 5
    listed = json.loads(run("kpi", "list", "--company", "acme", "--json", "--workspace",
                            str(ws)).stdout)
    sla = next(k for k in listed["kpis"] if k["kpi"] == "first_touch_within_sla")
    assert (sla["first"], sla["latest"], sla["target"], sla["n"]) == (0.4, 0.72, 0.9, 4)
    assert sla["first_on"] == "2026-05-01" and sla["status"] == "improving"
    text = run("kpi", "list", "--company", "acme", "--workspace", str(ws)).stdout
    assert "40% → 72%" in text and "target 90%" in text


def test_catalogue_lists_the_headline_kpis_first() -> None:
    entries = json.loads(run("kpi", "catalogue", "--json").stdout)
    assert [e["id"] for e in entries[:4]] == ["first_touch_within_sla", "joint_meetings_held",
                                              "untouched_mql_share", "mql_to_sql_rate"]
