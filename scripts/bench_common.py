"""What alignkit's factory benchmarks share: simulated companies, timed batches, process memory.

``scripts/bench.py`` (naive loop vs batch vs the in-process floor) and
``scripts/bench_scale.py`` (how cost grows with the number of companies)
build their workspaces and run ``alignkit batch`` with these helpers.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "01_identify.ipynb"

__all__ = ["BIN", "NOTEBOOK", "ROOT", "MemoryWatch", "batch_command", "build_workspace",
           "run_batch", "tree_memory"]


def build_workspace(root: Path, count: int) -> list[str]:
    """Register ``count`` simulated companies with a baseline survey; return their slugs.

    Each company is one of the demo companies under a new slug, name and
    random seed, so every survey is different.
    """
    from alignkit.demo import DEMO_COMPANIES, write_demo_survey
    from alignkit.intake.survey import import_survey
    from alignkit.store.workspace import Workspace

    ws = Workspace(root)
    slugs = []
    width = max(2, len(str(count - 1)))
    for i in range(count):
        model = DEMO_COMPANIES[i % len(DEMO_COMPANIES)]
        company = dataclasses.replace(model, slug=f"bench-{i:0{width}d}",
                                      name=f"Bench Client {i:0{width}d}", seed=model.seed + 100 * i)
        ws.add_company(company.slug, company.name, company.industry)
        survey = write_demo_survey(company, root / "inbox" / f"{company.slug}.csv")
        import_survey(survey, company=company.slug, wave="baseline", workspace=ws)
        slugs.append(company.slug)
    return slugs


def batch_command(workspace: Path, out: Path, workers: int | None) -> list[str]:
    """``alignkit batch`` arguments: every company x Identify, rendered even if unchanged."""
    command = ["batch", "--all", "--stages", "identify", "--force",
               "--workspace", str(workspace), "--out", str(out)]
    if workers:
        command += ["--workers", str(workers)]
    return command


def run_batch(workspace: Path, out: Path, workers: int | None) -> float:
    """``alignkit batch`` through its CLI (start-up included); seconds taken."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "alignkit"), *batch_command(workspace, out, workers)],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def _process_memory(pid: int) -> int:
    """Bytes of memory process ``pid`` accounts for: its PSS (shared pages split among their
    users, so forked kernels are not counted twice), or its RSS where PSS cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def tree_memory(pid: int) -> int:
    """Bytes of memory of process ``pid`` and all its descendants (PSS summed, see above)."""
    import psutil

    try:
        root = psutil.Process(pid)
        pids = [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return 0
    return sum(_process_memory(p) for p in pids)


class MemoryWatch:
    """Samples :func:`tree_memory` of one process tree in a thread; ``peak`` is the largest sum."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_memory(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
