"""The command line as a user meets it: real processes, real workspace, real files."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from alignkit.catalog.instrument import load_instrument

INSTRUMENT = load_instrument()
ITEMS = [i.id for i in INSTRUMENT.items]


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``alignkit`` in a fresh process, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if k != "ALIGNKIT_WORKSPACE"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "alignkit", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    """Hash every file of a workspace (database dumped logically, WAL-proof)."""
    import sqlite3

    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("alignkit.db"):
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    if (root / "alignkit.db").exists():
        con = sqlite3.connect(root / "alignkit.db")
        out["db"] = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
        con.close()
    return out


def write_survey(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["respondent_id", "team", "role", *ITEMS, "comment"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def people(team: str, n: int, value: int, start: int = 0) -> list[dict[str, str]]:
    return [{"respondent_id": f"{team[:1]}{start + k}", "team": team,
             **{item: str(value) for item in ITEMS}} for k in range(n)]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    result = run("company", "add", "acme", "--name", "Acme Corp", "--workspace", str(root))
    assert result.returncode == 0, result.stderr
    return root


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_everywhere() -> None:
    for args in ([], ["company"], ["company", "add"], ["instrument", "show"],
                 ["instrument", "export"], ["import", "survey"], ["score"], ["report"], ["demo"]):
        result = run(*args, "--help")
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage:" in result.stdout


def test_company_add_and_list(ws: Path) -> None:
    listed = json.loads(run("company", "list", "--json", "--workspace", str(ws)).stdout)
    assert listed == [{"slug": "acme", "name": "Acme Corp", "industry": None, "waves": []}]
    assert_one_line_error(run("company", "add", "acme", "--workspace", str(ws)), "already")
    assert_one_line_error(run("company", "add", "Bad Slug!", "--workspace", str(ws)), "slug")


def test_workspace_from_environment(ws: Path, tmp_path: Path) -> None:
    result = run("company", "list", "--json", cwd=tmp_path, env={"ALIGNKIT_WORKSPACE": str(ws)})
    assert [c["slug"] for c in json.loads(result.stdout)] == ["acme"]


def test_instrument_show_json() -> None:
    shown = json.loads(run("instrument", "show", "--json").stdout)
    assert shown["version"] == INSTRUMENT.version
    assert [s["value"] for s in shown["scale"]] == [1, 2, 3, 4, 5]
    assert len(shown["dimensions"]) >= 12
    assert all(len(d["items"]) >= 3 and {"id", "text"} <= set(d["items"][0])
               for d in shown["dimensions"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md"])
def test_instrument_export(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"questionnaire.{fmt}"
    result = run("instrument", "export", "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0


def test_import_survey_json(ws: Path, tmp_path: Path) -> None:
    rows = people("Sales", 6, 2) + people("Marketing", 5, 4) + [{"respondent_id": "x", "team": "Sales"}]
    rows[0]["goals_1"] = "N/A"
    survey = write_survey(tmp_path / "wave1.csv", rows)
    result = run("import", "survey", str(survey), "--company", "acme", "--wave", "baseline",
                 "--workspace", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["source"] == "alignkit"
    assert out["respondents"] == 11
    assert out["by_team"] == {"sales": 6, "marketing": 5, "leadership": 0, "other": 0}
    assert out["skipped"] == [{"row": 13, "reason": "no answered item (blank or N/A only)"}]
    assert out["items"]["goals_1"] == {"n": 10, "mean": pytest.approx((5 * 2 + 5 * 4) / 10)}
    assert out["items"]["sla_1"] == {"n": 11, "mean": pytest.approx((6 * 2 + 5 * 4) / 11, abs=1e-4)}
    assert out["imported"] is True
    again = json.loads(run("import", "survey", str(survey), "--company", "acme", "--wave",
                           "baseline", "--workspace", str(ws), "--json").stdout)
    assert again["imported"] is False and "already imported" in again["message"]


def test_dry_run_writes_nothing(ws: Path, tmp_path: Path) -> None:
    survey = write_survey(tmp_path / "s.csv", people("Sales", 5, 3))
    before = snapshot(ws)
    result = run("import", "survey", str(survey), "--company", "acme", "--wave", "w1",
                 "--workspace", str(ws), "--dry-run", "--json")
    assert json.loads(result.stdout)["respondents"] == 5
    assert json.loads(result.stdout)["imported"] is False
    assert snapshot(ws) == before


def test_mapping_file_maps_team_question(ws: Path, tmp_path: Path) -> None:
    rows = people("Sales", 5, 3)
    survey = tmp_path / "custom.csv"
    with open(survey, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Which department do you work in?", *ITEMS])
        writer.writerows([[r["team"], *[r[i] for i in ITEMS]] for r in rows])
    mapping = tmp_path / "map.csv"
    mapping.write_text("column,item\nWhich department do you work in?,team\n", encoding="utf-8")
    result = run("import", "survey", str(survey), "--company", "acme", "--wave", "w1",
                 "--workspace", str(ws), "--mapping", str(mapping), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["by_team"]["sales"] == 5


BAD_INPUTS = {
    "missing column": (lambda p: p.write_text("respondent_id,goals_1\nr1,4\n"), ["team"]),
    "out of range": (lambda p: write_survey(p, people("Sales", 3, 3) + [
        {"respondent_id": "z", "team": "Sales", "sla_2": "9"}]), ["row 5", "'sla_2'", "9"]),
    "text answer": (lambda p: write_survey(p, [{"respondent_id": "z", "team": "Sales",
                                               "goals_1": "maybe"}]), ["row 2", "'goals_1'"]),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20), ["UTF"]),
    "empty": (lambda p: p.write_bytes(b""), ["empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_changes_nothing(ws: Path, tmp_path: Path, case: str) -> None:
    make, needles = BAD_INPUTS[case]
    bad = tmp_path / "bad.csv"
    make(bad)
    raw_before = bad.read_bytes()
    before = snapshot(ws)
    result = run("import", "survey", str(bad), "--company", "acme", "--wave", "w1",
                 "--workspace", str(ws), "--json")
    assert_one_line_error(result, "bad.csv", *needles)
    assert snapshot(ws) == before
    assert bad.read_bytes() == raw_before


def test_unreadable_file(ws: Path, tmp_path: Path) -> None:
    result = run("import", "survey", str(tmp_path / "nope.csv"), "--company", "acme",
                 "--wave", "w1", "--workspace", str(ws))
    assert_one_line_error(result, "nope.csv", "not found")


def test_unknown_company_is_refused_everywhere(ws: Path, tmp_path: Path) -> None:
    survey = write_survey(tmp_path / "s.csv", people("Sales", 5, 3))
    before = snapshot(ws)
    for args in (["import", "survey", str(survey), "--company", "acmee", "--wave", "w1"],
                 ["score", "--company", "acmee", "--json"],
                 ["report", "--company", "acmee", "--out", str(tmp_path / "r")]):
        assert_one_line_error(run(*args, "--workspace", str(ws)), "unknown company 'acmee'",
                              "alignkit company add")
    assert snapshot(ws) == before
    assert [c["slug"] for c in json.loads(run("company", "list", "--json", "--workspace",
                                               str(ws)).stdout)] == ["acme"]


def test_score_json_hides_small_groups(ws: Path, tmp_path: Path) -> None:
    rows = people("Sales", 6, 2) + people("Marketing", 6, 4) + people("Leadership", 2, 5) \
        + people("Other", 3, 1)
    survey = write_survey(tmp_path / "s.csv", rows)
    run("import", "survey", str(survey), "--company", "acme", "--wave", "w1", "--workspace", str(ws))
    result = run("score", "--company", "acme", "--wave", "w1", "--workspace", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    groups = {row["group"] for row in out["index"]}
    assert groups == {"overall", "sales", "marketing", "leadership & other"}  # 2 + 3 pooled
    assert not {"leadership", "other"} & {row["group"] for row in out["dimensions"]}
    sales = next(r for r in out["index"] if r["group"] == "sales")
    assert sales["index"] == pytest.approx(25.0) and sales["n"] == 6
    sla = next(g for g in out["gaps"]["dimensions"] if g["dimension"] == "sla")
    assert sla["gap"] == pytest.approx(-2.0)
    assert sla["low"] == pytest.approx(-2.0) and sla["high"] == pytest.approx(-2.0)


def test_score_rejects_threshold_below_three(ws: Path) -> None:
    result = run("score", "--company", "acme", "--workspace", str(ws), "--anonymity-min", "2")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


# -- a workspace the user cannot write -------------------------------------------------------
@contextmanager
def read_only(root: Path) -> Iterator[None]:
    """Make a workspace read-only for this user (root: immutable files, if the system allows)."""
    paths = sorted(root.rglob("*"), reverse=True) + [root]
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p in reversed(paths):
                p.chmod(modes[p])
        return
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", *map(str, paths)], capture_output=True).returncode != 0:
        pytest.skip("cannot make files read-only for root here (no chattr)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def test_commands_on_a_read_only_workspace_fail_in_one_line(ws: Path, tmp_path: Path) -> None:
    survey = write_survey(tmp_path / "s.csv", people("Sales", 5, 3))
    assert run("import", "survey", str(survey), "--company", "acme", "--wave", "w1",
               "--workspace", str(ws)).returncode == 0
    before = snapshot(ws)
    with read_only(ws):
        for args in (["score", "--company", "acme", "--wave", "w1"], ["company", "list"],
                     ["company", "add", "globex"],
                     ["import", "survey", str(survey), "--company", "acme", "--wave", "w2"]):
            assert_one_line_error(run(*args, "--workspace", str(ws)), "read-only")
    assert snapshot(ws) == before


# -- raw copies ------------------------------------------------------------------------------
def test_import_keeps_the_raw_file_only_when_asked(ws: Path, tmp_path: Path) -> None:
    export = Path(__file__).parent / "data" / "exports" / "google_forms.csv"
    for company, extra in (("acme", []), ("globex", ["--keep-raw"])):
        run("company", "add", company, "--workspace", str(ws))
        result = run("import", "survey", str(export), "--company", company, "--wave", "w1",
                     "--workspace", str(ws), *extra)
        assert result.returncode == 0, result.stderr
    copies = {p.name.split(".", 1)[1]: p.read_bytes() for p in (ws / "raw").iterdir()}
    assert copies["csv"] == export.read_bytes()
    assert b"client.example" not in copies["redacted.csv"]


# -- the demo ----------------------------------------------------------------------------------
def test_demo_refuses_a_folder_that_is_not_a_demo(ws: Path, tmp_path: Path) -> None:
    before = snapshot(ws)
    assert_one_line_error(run("demo", "--out", str(ws), "--no-reports"), "not a demo workspace")
    assert snapshot(ws) == before
    assert [c["slug"] for c in json.loads(run("company", "list", "--json", "--workspace",
                                               str(ws)).stdout)] == ["acme"]
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("call the client")
    assert_one_line_error(run("demo", "--out", str(notes), "--no-reports"), "not a demo workspace")
    assert sorted(p.name for p in notes.iterdir()) == ["todo.txt"]


def test_demo_runs_again_on_its_own_folder(tmp_path: Path) -> None:
    for _ in range(2):
        result = run("demo", "--out", str(tmp_path / "demo"), "--no-reports")
        assert result.returncode == 0, result.stderr
