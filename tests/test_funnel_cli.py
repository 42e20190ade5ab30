"""``alignkit import funnel`` and ``alignkit funnel show`` as a user meets them.

Most cases run the click command in-process (the same ``main`` group that turns
errors into one line); one runs a real process to prove the wiring end to end.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from alignkit.cli.app import main

CRM = Path(__file__).parent / "data" / "crm"


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Ran:
    """Invoke ``alignkit`` in-process; ``$ALIGNKIT_WORKSPACE`` is not inherited."""
    result = CliRunner().invoke(main, list(args), env={"ALIGNKIT_WORKSPACE": None})
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ALIGNKIT_WORKSPACE"}
    return subprocess.run([sys.executable, "-m", "alignkit", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    out = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith("alignkit.db")}
    con = sqlite3.connect(root / "alignkit.db")
    out["db"] = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    con.close()
    return out


def assert_one_line_error(result: Ran | subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert run("company", "add", "acme", "--workspace", str(root)).returncode == 0
    return root


def test_help() -> None:
    for args, needle in ((["import", "funnel", "--help"], "--dry-run"),
                         (["funnel", "--help"], "show"), (["funnel", "show", "--help"], "--sla-hours")):
        result = run(*args)
        assert result.returncode == 0 and needle in result.stdout


def test_a_real_process_reports_a_bad_file_in_one_line(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("lead_id,created_at,source,mql_at,sal_at\nA1,2024-01-05,Web,2024-01-06,"
                   "2024-01-04\n", encoding="utf-8")
    before = snapshot(ws)
    result = run_process("import", "funnel", str(bad), "--company", "acme", "--workspace", str(ws))
    assert_one_line_error(result, "bad.csv, row 2, column 'sal_at'", "before the MQL date")
    assert snapshot(ws) == before


def test_import_json_then_already_imported(ws: Path) -> None:
    result = run("import", "funnel", str(CRM / "hubspot_contacts.csv"), "--company", "acme",
                 "--workspace", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["imported"] is True and out["source"] == "hubspot" and out["rows"] == 6
    assert out["by_source"] == {"marketing": 5, "sales": 1, "other": 0}
    again = json.loads(run("import", "funnel", str(CRM / "hubspot_contacts.csv"), "--company",
                           "acme", "--workspace", str(ws), "--json").stdout)
    assert again["imported"] is False and "already imported" in again["message"]


def test_plain_output_lists_ignored_columns(ws: Path) -> None:
    result = run("import", "funnel", str(CRM / "salesforce_leads.csv"), "--company", "acme",
                 "--workspace", str(ws))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("salesforce_leads.csv (salesforce, lead-level): imported 5")
    assert "ignored columns (not stored): First Name, Last Name" in result.stdout


def test_dry_run_writes_nothing(ws: Path) -> None:
    before = snapshot(ws)
    result = run("import", "funnel", str(CRM / "counts_long.csv"), "--company", "acme",
                 "--period", "2024-Q1", "--dry-run", "--json", "--workspace", str(ws))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["imported"] is False and out["stages"]["lead"] == 250
    assert snapshot(ws) == before


@pytest.mark.parametrize(("text", "needles"), [
    ("lead_id,created_at,source,mql_at,sal_at\nA1,2024-01-05,Web,2024-01-06,2024-01-04\n",
     ["bad.csv, row 2, column 'sal_at'", "before the MQL date"]),
    ("lead_id,created_at,source,first_touch_at\nA1,2024-01-05 10:00,Web,2024-01-05 09:00\n",
     ["row 2, column 'first_touch_at'", "before the lead was created"]),
    ("lead_id,created_at,source\nA1,yesterday,Web\n", ["row 2, column 'created_at'",
                                                       "not a date"]),
    ("Month,Leads\n2024-01,ten\n", ["row 2, column 'Leads'", "not a count"]),
    ("name,email\nAnn,a@example.com\n", ["bad.csv", "neither a lead-level export"]),
    ("", ["bad.csv", "empty"]),
])
def test_bad_file_is_one_line_and_changes_nothing(ws: Path, tmp_path: Path, text: str,
                                                  needles: list[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    before = snapshot(ws)
    result = run("import", "funnel", str(bad), "--company", "acme", "--workspace", str(ws))
    assert_one_line_error(result, *needles)
    assert snapshot(ws) == before


def test_unknown_company_and_missing_file(ws: Path, tmp_path: Path) -> None:
    assert_one_line_error(run("import", "funnel", str(CRM / "leads_small.csv"), "--company",
                              "acmee", "--workspace", str(ws)), "unknown company 'acmee'")
    assert_one_line_error(run("import", "funnel", str(tmp_path / "nope.csv"), "--company", "acme",
                              "--workspace", str(ws)), "nope.csv", "not found")
    assert_one_line_error(run("funnel", "show", "--company", "acmee", "--workspace", str(ws)),
                          "unknown company 'acmee'")


def test_funnel_show_json(ws: Path) -> None:
    run("import", "funnel", str(CRM / "leads_small.csv"), "--company", "acme",
        "--workspace", str(ws))
    result = run("funnel", "show", "--company", "acme", "--sla-hours", "8", "--json",
                 "--workspace", str(ws))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["basis"] == "leads" and out["sla_hours"] == 8
    assert [r["rate"] for r in out["conversion"]] == pytest.approx([0.75, 6 / 9, 1, 5 / 6, 0.6],
                                                                   abs=1e-5)
    assert out["waterfall"][0]["from_previous"] is None
    text = run("funnel", "show", "--company", "acme", "--workspace", str(ws)).stdout
    assert "MQLs never accepted by sales: 3 of 6 (50%)" in text  # marketing-sourced MQLs


def test_funnel_show_without_data(ws: Path) -> None:
    result = run("funnel", "show", "--company", "acme", "--workspace", str(ws))
    assert result.returncode == 0 and "no funnel data for acme" in result.stdout
