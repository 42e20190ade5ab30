"""Several ``alignkit`` processes on one workspace at once, and processes killed mid-import.

Every case runs the real command line in separate processes: what the
database's locks and the raw folder see is what users would see.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alignkit.catalog.instrument import load_instrument
from alignkit.store.workspace import Workspace

ITEMS = [i.id for i in load_instrument().items]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ALIGNKIT_WORKSPACE"}


#: Runs ``alignkit ARGS`` once every racer has imported its modules and the start is given,
#: so that the processes reach the database together instead of one after the other.
RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import alignkit.cli.app, alignkit.intake.survey
    start = Path(sys.argv[1])
    (start.parent / f"ready-{id(start)}-{time.time_ns()}").touch()
    while not start.exists():
        time.sleep(0.002)
    sys.argv = ["alignkit", *sys.argv[2:]]
    alignkit.cli.app.main()
""")


def race(tmp_path: Path, *commands: list[str]) -> list[tuple[int, str]]:
    """Run the ``alignkit`` commands in processes of their own, all at once; exit codes and stderr."""
    gate = tmp_path / "gate"
    gate.mkdir()
    processes = [subprocess.Popen([sys.executable, "-c", RACER, str(gate / "start"), *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=_env()) for args in commands]
    deadline = time.monotonic() + 120
    while len(list(gate.glob("ready-*"))) < len(commands) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        time.sleep(0.01)
    (gate / "start").touch()
    return [(p.wait(timeout=300), p.communicate()[1]) for p in processes]


def survey(path: Path, people: list[str], team: str = "Sales") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["respondent_id", "team", *ITEMS])
        writer.writerows([[who, team, *["4"] * len(ITEMS)] for who in people])
    return path


def stored(root: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(root / "alignkit.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    Workspace(tmp_path / "ws").add_company("acme")
    return tmp_path / "ws"


def test_ten_imports_into_one_new_wave_at_once_all_land(ws: Path, tmp_path: Path) -> None:
    files = [survey(tmp_path / f"part{k}.csv", [f"p{k}-{j}" for j in range(3)])
             for k in range(10)]
    runs = race(tmp_path, *[["import", "survey", str(f), "--company", "acme", "--wave", "pulse",
                              "--workspace", str(ws)] for f in files])
    assert [code for code, _ in runs] == [0] * 10, [err for _, err in runs]
    assert stored(ws, "SELECT COUNT(*) FROM respondents") == [(30,)]
    assert stored(ws, "SELECT COUNT(*) FROM imports") == [(10,)]
    assert stored(ws, "SELECT name FROM waves") == [("pulse",)]
    assert len(list((ws / "raw").iterdir())) == 10


def _one_line_error(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err


def test_the_same_file_imported_at_once_lands_once(ws: Path, tmp_path: Path) -> None:
    same = survey(tmp_path / "same.csv", ["a", "b", "c"])
    runs = race(tmp_path, *[["import", "survey", str(same), "--company", "acme", "--wave", "w1",
                              "--workspace", str(ws)]] * 4)
    for code, err in runs:
        assert code == 0 or _one_line_error(err), err
    assert stored(ws, "SELECT COUNT(*) FROM imports") == [(1,)]
    assert stored(ws, "SELECT COUNT(*) FROM respondents") == [(3,)]
    assert len(list((ws / "raw").iterdir())) == 1


def test_the_same_people_in_two_files_at_once_are_stored_once(ws: Path, tmp_path: Path) -> None:
    first = survey(tmp_path / "first.csv", ["a", "b"])
    second = survey(tmp_path / "second.csv", ["b", "c"], team="Marketing")
    runs = race(tmp_path, *[["import", "survey", str(f), "--company", "acme", "--wave", "w1",
                              "--workspace", str(ws)] for f in (first, second)])
    for code, err in runs:
        assert code == 0 or _one_line_error(err), err
    people = stored(ws, "SELECT pseudonym FROM respondents")
    assert len(people) == len(set(people)) and len(people) in (3, 2)
    imports = stored(ws, "SELECT COUNT(*) FROM imports")[0][0]
    assert imports == sum(code == 0 for code, _ in runs)
    assert len(list((ws / "raw").iterdir())) == imports


def test_processes_creating_one_workspace_at_once(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    runs = race(tmp_path, *[["company", "add", f"client-{k}", "--workspace", str(root)]
                            for k in range(6)])
    assert [code for code, _ in runs] == [0] * 6, [err for _, err in runs]
    assert len(stored(root, "SELECT slug FROM companies")) == 6
    assert (root / ".alignkit-key").is_file()
    assert len(stored(root, "SELECT value FROM meta WHERE key = 'key_check'")) == 1


# -- kill -9 in the middle of an import -------------------------------------------------------
KILLER = textwrap.dedent("""
    import os, signal, sys
    from alignkit.store import workspace as store
    from alignkit.store import files as store_files
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if sys.argv[1] == "before-commit":  # rows written, transaction not committed
        insert = store.Workspace._insert_rows
        def insert_then_die(*args):
            insert(*args)
            die()
        store.Workspace._insert_rows = staticmethod(insert_then_die)
    else:  # committed, the raw copy not yet under its name
        store_files.StagedFile.publish = die
    from alignkit.cli.app import main
    sys.argv = ["alignkit", *sys.argv[2:]]
    main()
""")


@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
def test_an_import_killed_while_writing_leaves_no_orphan(ws: Path, tmp_path: Path,
                                                         when: str) -> None:
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    data = survey(tmp_path / "people.csv", ["a", "b", "c"])
    killed = subprocess.run([sys.executable, str(script), when, "import", "survey", str(data),
                             "--company", "acme", "--wave", "w1", "--workspace", str(ws)],
                            env=_env(), capture_output=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    Workspace(ws).companies()  # the next command that opens the workspace tidies up
    raw = sorted(p.name for p in (ws / "raw").iterdir())
    imports = stored(ws, "SELECT raw_path FROM imports")
    assert [f"raw/{name}" for name in raw] == [r[0] for r in imports]
    assert len(imports) == (1 if when == "after-commit" else 0)
    again = subprocess.run([sys.executable, "-m", "alignkit", "import", "survey", str(data),
                            "--company", "acme", "--wave", "w1", "--workspace", str(ws)],
                           env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert stored(ws, "SELECT COUNT(*) FROM respondents") == [(3,)]
