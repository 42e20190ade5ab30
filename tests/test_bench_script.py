"""scripts/bench.py keeps working as the notebooks change (its figures are printed, not tested)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from alignkit.store.workspace import Workspace

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_workspace_has_new_companies_with_a_baseline(bench, tmp_path: Path) -> None:
    slugs = bench.build_workspace(tmp_path / "ws", 4)
    assert slugs == ["bench-00", "bench-01", "bench-02", "bench-03"]
    ws = Workspace(tmp_path / "ws")
    assert [ws.waves(s) for s in slugs] == [["baseline"]] * 4
    names = [c.name for c in ws.companies()]
    assert len(set(names)) == 4  # new names, not the demo companies'


def test_floor_runs_the_notebook_code_without_a_kernel(bench, tmp_path: Path) -> None:
    slugs = bench.build_workspace(tmp_path / "ws", 2)
    cells = bench.notebook_code(bench.NOTEBOOK)
    assert sum(parameters for _, _, parameters in cells) == 1
    assert bench.run_floor(tmp_path / "ws", slugs) > 0


def test_empty_renders_the_notebook_machinery_alone(bench, tmp_path: Path) -> None:
    slugs = bench.build_workspace(tmp_path / "ws", 2)
    assert bench.run_empty(tmp_path / "ws", slugs, tmp_path / "empty") > 0
    pages = sorted((tmp_path / "empty").glob("*/identify.html"))
    assert [p.parent.name for p in pages] == slugs
    assert "<svg" not in pages[0].read_text(encoding="utf-8")  # no chart: the cells are empty


SCALE_SCRIPT = SCRIPT.with_name("bench_scale.py")


def test_bench_scale_ends_with_one_line_per_figure_for_each_size(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(SCALE_SCRIPT), "--sizes", "1,2", "--workers", "1",
                           "--keep", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    number = r"\d+\.\d\d"
    match = re.fullmatch(rf"bench-scale: per-report ({number})/({number}) s, "
                         rf"planning ({number})/({number}) s, peak memory (\d+)/(\d+) MiB", last)
    assert match, last
    per_report, planning, memory = match.groups()[:2], match.groups()[2:4], match.groups()[4:]
    assert all(float(v) > 0 for v in (*per_report, *planning))
    assert all(int(m) > 50 for m in memory)  # a batch with a kernel holds pandas and matplotlib
    # both batches really rendered their companies
    assert sorted(p.parent.name for p in tmp_path.glob("reports-2-1/*/identify.html")) == \
        ["bench-00", "bench-01"]


def test_bench_scale_refuses_sizes_that_are_not_numbers() -> None:
    import argparse

    spec = importlib.util.spec_from_file_location("bench_scale", SCALE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.parse_sizes("24, 96,384") == [24, 96, 384]
    for wrong in ("24,x", "0", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            module.parse_sizes(wrong)
