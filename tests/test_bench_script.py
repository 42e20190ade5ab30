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
