"""Benchmark survey intake and scoring against what pandas and SQLite alone need.

Writes one CSV in alignkit's response template (``respondent_id, team, role,
<53 item ids>, comment``) holding about ``--answers`` answers, then runs four
phases, each in its own Python process so that one cannot inflate another's
memory:

1. import floor   - ``pandas.read_csv`` + ``melt`` + writing respondents and
                    answers with ``executemany`` into a workspace database
                    (same schema and connection settings as an import);
2. import         - :func:`alignkit.intake.survey.import_survey`;
3. score floor    - reading the stored answers + one ``groupby`` mean;
4. score          - :func:`alignkit.analysis.wave.load_wave` + :func:`alignkit.analysis.wave.score_wave`.

Times cover the phase's work only (imports and setup excluded); peak memory is
the child's maximum resident set size (``os.wait4``), which includes the
interpreter and pandas. The peak memory ratio printed is the larger of the two
phases' ratios. Prints exactly one line::

    bench-intake: import <X>x floor, score <Y>x floor, peak memory <Z>x floor (<N> answers)

The import floor writes through the workspace's own connection (WAL journal,
foreign keys on), as an import does; ``--verbose`` also times the floor into a
bare SQLite file and prints each phase's figures on stderr.

Usage: ``python scripts/bench_intake.py [--answers 1000000] [--repeat 1] [--verbose]``
(``make bench-intake``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEAMS = ("Sales", "Marketing", "Leadership", "Other")
ROLES = ("Account Executive", "SDR", "Content lead", "Demand gen manager", "VP Sales", "")


# -- the file -----------------------------------------------------------------------
def write_template(path: Path, answers: int, seed: int = 7) -> int:
    """Write a filled response template with about ``answers`` answers; return respondents.

    Cells are what the template's drop-downs offer (``1``-``5``, ``N/A``), with
    a few blanks (not stored); every respondent answers at least one statement.
    """
    from alignkit.catalog.instrument import load_instrument
    from alignkit.catalog.questionnaire import template_header

    instrument = load_instrument()
    items = len(instrument.items)
    choices = ["1", "2", "3", "4", "5"] * 18 + ["N/A"] * 6 + [""] * 4
    stored = items * (1 - choices.count("") / len(choices))
    people = max(1, round(answers / stored))
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(template_header(instrument))
        for person in range(people):
            cells = [rng.choice(choices) for _ in range(items)]
            cells[0] = cells[0] or "3"
            comment = "More joint planning, please" if person % 7 == 0 else ""
            writer.writerow([f"R{person:07d}", TEAMS[person % 4], ROLES[person % len(ROLES)],
                             *cells, comment])
    return people


# -- phases (each runs in a child process) --------------------------------------------
def _warm_up() -> None:
    """Load what pandas imports on first use, so that the floors time only their work."""
    import pandas as pd

    pd.read_csv(io.StringIO("a,b\n1,x\n")).melt(id_vars="a")


def _long_answers(csv_path: Path) -> tuple[Iterable[tuple[Any, ...]], Iterable[tuple[Any, ...]]]:
    """The floor's parsing: read_csv + melt; respondent rows and answer rows, made lazily."""
    import pandas as pd

    frame = pd.read_csv(csv_path)
    frame["rid"] = range(1, len(frame) + 1)
    long = frame.drop(columns=["respondent_id", "team", "role", "comment"]).melt(
        id_vars="rid", var_name="item", value_name="value")
    long = long.sort_values("rid", kind="stable")  # respondent by respondent: the key's order
    values = long["value"].astype(object).where(long["value"].notna(), None)
    people = zip(frame["rid"].tolist(), frame["respondent_id"].tolist(),
                 frame["team"].str.lower().tolist(), strict=True)
    return people, zip(long["rid"].tolist(), long["item"].tolist(), values.tolist(), strict=True)


def _write_floor(con: Any, people: Iterable[tuple[Any, ...]],
                 answers: Iterable[tuple[Any, ...]]) -> None:
    with con:
        con.executemany("INSERT INTO respondents (id, wave_id, import_id, pseudonym, team) "
                        "VALUES (?, 1, 1, ?, ?)", people)
        con.executemany("INSERT INTO answers (respondent_id, item, value) VALUES (?, ?, ?)",
                        answers)


_PARENTS = ("INSERT INTO waves (id, company_id, name, instrument_version, created_at) "
            "VALUES (1, 1, 'w', '1', '')",
            "INSERT INTO imports (id, company_id, wave_id, sha256, source, file_name, raw_path, "
            "imported_at, respondents, skipped, answers) "
            "VALUES (1, 1, 1, 'x', 'alignkit', 'f', 'f', '', 0, 0, 0)")


def floor_import(csv_path: Path, root: Path) -> float:
    """read_csv + melt + executemany into a workspace database (its settings); seconds."""
    from alignkit.store.workspace import Workspace

    ws = Workspace(root)
    ws.add_company("acme", "Acme")
    with ws.connect() as con:
        for statement in _PARENTS:
            con.execute(statement)
    _warm_up()
    start = time.perf_counter()
    people, answers = _long_answers(csv_path)
    with ws.connect() as con:
        _write_floor(con, people, answers)
    return time.perf_counter() - start


def plain_floor_import(csv_path: Path, db: Path) -> float:
    """The same into a bare SQLite file (schema only: no WAL, no foreign keys); seconds."""
    import sqlite3

    con = sqlite3.connect(db)
    con.executescript((ROOT / "alignkit" / "data" / "schema.sql").read_text(encoding="utf-8"))
    with con:
        con.execute("INSERT INTO companies (id, slug, name, created_at) VALUES (1, 'a', 'A', '')")
        for statement in _PARENTS:
            con.execute(statement)
    _warm_up()
    start = time.perf_counter()
    _write_floor(con, *_long_answers(csv_path))
    return time.perf_counter() - start


def alignkit_import(csv_path: Path, root: Path) -> float:
    """import_survey into a new workspace; seconds."""
    from alignkit.catalog.instrument import load_instrument
    from alignkit.intake.survey import import_survey
    from alignkit.store.workspace import Workspace

    instrument = load_instrument()
    ws = Workspace(root)
    ws.add_company("acme", "Acme")
    start = time.perf_counter()
    result = import_survey(csv_path, company="acme", wave="w", workspace=ws, instrument=instrument)
    seconds = time.perf_counter() - start
    if not result.imported:
        raise SystemExit(f"bench-intake: the import stored nothing ({result.message})")
    return seconds


def floor_score(root: Path) -> float:
    """Read the stored answers + groupby mean; seconds."""
    import sqlite3

    import pandas as pd

    con = sqlite3.connect(root / "alignkit.db")
    pd.read_sql_query("SELECT 1 AS one", con).groupby("one").mean()  # first-use imports
    start = time.perf_counter()
    frame = pd.read_sql_query("SELECT r.pseudonym AS respondent, r.team, a.item, a.value "
                              "FROM answers a JOIN respondents r ON r.id = a.respondent_id", con)
    frame.groupby(["team", "item"])["value"].mean()
    return time.perf_counter() - start


def alignkit_score(root: Path) -> float:
    """load_wave + score_wave; seconds."""
    from alignkit.analysis.wave import load_wave, score_wave
    from alignkit.catalog.instrument import load_instrument
    from alignkit.store.workspace import Workspace

    instrument = load_instrument()
    ws = Workspace(root)
    start = time.perf_counter()
    score_wave(load_wave("acme", "w", workspace=ws, instrument=instrument))
    return time.perf_counter() - start


PHASES = {"floor-import": floor_import, "plain-floor": plain_floor_import, "import": alignkit_import,
          "floor-score": floor_score, "score": alignkit_score}


def run_phase(name: str, *args: Path) -> tuple[float, int]:
    """Run one phase in a child process: (seconds, peak resident set in KiB)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", name, *map(str, args)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"bench-intake: phase {name} failed (exit {child.returncode})")
    return float(json.loads(out)["seconds"]), int(usage.ru_maxrss)


def measure(answers: int, repeat: int, work: Path, verbose: bool = False) -> dict[str, Any]:
    """Best time and peak memory of each phase over ``repeat`` runs."""
    csv_path = work / "responses.csv"
    people = write_template(csv_path, answers)
    best: dict[str, tuple[float, int]] = {}
    for run in range(repeat):
        root = work / f"ws-{run}"
        results = {"floor-import": run_phase("floor-import", csv_path, work / f"floor-{run}"),
                   "import": run_phase("import", csv_path, root),
                   "floor-score": run_phase("floor-score", root),
                   "score": run_phase("score", root)}
        if verbose:
            results["plain-floor"] = run_phase("plain-floor", csv_path, work / f"plain-{run}.db")
        for name, (seconds, rss) in results.items():
            old = best.get(name, (float("inf"), 0))
            best[name] = (min(old[0], seconds), max(old[1], rss))
    stored = _count_answers(work / "ws-0" / "alignkit.db")
    return {"people": people, "answers": stored, **best}


def _count_answers(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def summary(result: dict[str, Any]) -> str:
    """The one line the benchmark prints."""
    imp = result["import"][0] / result["floor-import"][0]
    score = result["score"][0] / result["floor-score"][0]
    memory = max(result["import"][1] / result["floor-import"][1],
                 result["score"][1] / result["floor-score"][1])
    return (f"bench-intake: import {imp:.2f}x floor, score {score:.2f}x floor, "
            f"peak memory {memory:.2f}x floor ({result['answers']} answers)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000,
                        help="about how many answers the file holds (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per phase; the best counts")
    parser.add_argument("--verbose", action="store_true", help="also print each phase's figures")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps({"seconds": PHASES[args.phase](*args.paths)}))
        return
    with tempfile.TemporaryDirectory(prefix="alignkit-bench-intake-") as tmp:
        result = measure(args.answers, max(1, args.repeat), Path(tmp), args.verbose)
    if args.verbose:
        for name in PHASES:
            seconds, rss = result[name]
            print(f"  {name:<13} {seconds:7.3f} s  {rss / 1024:7.1f} MiB", file=sys.stderr)
        plain = result["import"][0] / result["plain-floor"][0]
        print(f"  import against a bare SQLite file (no WAL, no foreign keys): {plain:.2f}x",
              file=sys.stderr)
        sys.stderr.flush()
    print(summary(result))


if __name__ == "__main__":
    main()
