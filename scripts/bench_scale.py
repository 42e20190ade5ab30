"""How the report factory's cost grows with the number of companies.

For each size (default 24, 96 and 384) it builds a workspace of that many
simulated companies (see ``bench_common.build_workspace``) and renders every
company x Identify with ``alignkit batch`` in a child process, timing the
batch's phases from inside it:

- planning: from the start of the batch until the first report is handed to
  a worker (companies, fingerprints of code and data, the previous manifest,
  the skip check);
- per report: the wall time of rendering all reports divided by their number
  (the inverse of the throughput, with the default number of workers);
- finish: writing ``manifest.json`` and the index pages;
- peak memory: the largest sum, sampled every 0.2 s, of the proportional set
  size (PSS, Linux ``/proc/<pid>/smaps_rollup``; RSS elsewhere, via psutil) of
  the batch process and all its descendants: workers, the fork servers and
  the kernels. PSS divides a page shared by forked processes among them, so
  the sum is the memory the batch really occupies.

It ends with one line::

    bench-scale: per-report <a>/<b>/<c> s, planning <p1>/<p2>/<p3> s, peak memory <m1>/<m2>/<m3> MiB

With ``--repeat 2`` each size is rendered twice and the line shows the faster
run's times and the larger peak.

Usage: ``python scripts/bench_scale.py [--sizes 24,96,384] [--workers N] [--repeat 1]
[--keep DIR]`` (``make bench-scale``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for bench_common, also when imported
from bench_common import MemoryWatch, batch_command, build_workspace  # noqa: E402

__all__ = ["measure", "main", "parse_sizes", "summary_line"]

MIB = 1024 * 1024


def parse_sizes(text: str) -> list[int]:
    """``"24,96,384"`` -> ``[24, 96, 384]``; each size a positive whole number."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be whole numbers separated by commas: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be at least 1: {text!r}")
    return sizes


def _timed_batch(timings: Path, arguments: list[str]) -> int:
    """In the child: run ``alignkit batch arguments`` with its phases timed into ``timings``."""
    from alignkit.factory import batch

    marks: dict[str, float] = {}

    def timed(name: str, function):  # noqa: ANN001, ANN202 - a thin wrapper
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            marks.setdefault(f"{name}_start", time.perf_counter())
            try:
                return function(*args, **kwargs)
            finally:
                marks[f"{name}_end"] = time.perf_counter()
        return wrapper

    for name in ("render_batch", "_plan", "_run", "_finish"):
        setattr(batch, name, timed(name, getattr(batch, name)))
    from alignkit.cli.app import main as cli

    try:
        cli.main(arguments, prog_name="alignkit", standalone_mode=False)
    finally:
        timings.write_text(json.dumps(marks), encoding="utf-8")
    return 0


def measure(workspace: Path, out: Path, count: int, workers: int | None) -> dict[str, float]:
    """Render ``count`` companies x Identify once; the phases' seconds and the peak MiB."""
    timings = out.with_suffix(".json")
    command = [sys.executable, __file__, "--timed-batch", str(timings), "--",
               *batch_command(workspace, out, workers)]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as child, \
            MemoryWatch(child.pid) as memory:
        _, errors = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode:
        lines = errors.decode("utf-8", "replace").strip().splitlines()
        raise SystemExit(f"bench-scale: the batch of {count} failed: {lines[-1] if lines else ''}"
                         f"{_first_failure(out)}")
    marks = json.loads(timings.read_text(encoding="utf-8"))
    return {
        "wall": wall,
        "planning": marks["_run_start"] - marks["render_batch_start"],
        "plan": marks["_plan_end"] - marks["_plan_start"],
        "per_report": (marks["_run_end"] - marks["_run_start"]) / count,
        "finish": marks["_finish_end"] - marks["_finish_start"],
        "memory": memory.peak / MIB,
    }


def _first_failure(out: Path) -> str:
    """`` (first failed report: <error>)`` from the batch's manifest, or nothing."""
    try:
        reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    except (OSError, ValueError, KeyError):
        return ""
    failed = [r for r in reports if r.get("status") == "failed"]
    return (f" (first failed report: {failed[0]['company']}: {failed[0].get('error_name')}: "
            f"{failed[0].get('error_message')})") if failed else ""


def summary_line(results: list[dict[str, float]]) -> str:
    """The final line, sizes in the order given."""
    def joined(key: str, digits: int) -> str:
        return "/".join(f"{r[key]:.{digits}f}" for r in results)

    return (f"bench-scale: per-report {joined('per_report', 2)} s, planning {joined('planning', 2)} s, "
            f"peak memory {joined('memory', 0)} MiB")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--timed-batch"]:  # the child process of measure()
        return _timed_batch(Path(argv[1]), argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[24, 96, 384],
                        help="numbers of companies, comma-separated (24,96,384)")
    parser.add_argument("--workers", type=int, help="batch workers (default: one per core)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (1)")
    parser.add_argument("--keep", type=Path, help="keep the workspaces and reports in this folder")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="alignkit-bench-scale-")) if args.keep is None else args.keep
    print(f"bench-scale: sizes {','.join(map(str, args.sizes))} x identify, "
          f"{args.workers or os.cpu_count()} workers, {os.cpu_count()} cores", flush=True)
    results = []
    try:
        for count in args.sizes:
            workspace = root / f"workspace-{count}"
            build_workspace(workspace, count)
            runs = []
            for run in range(1, max(1, args.repeat) + 1):
                result = measure(workspace, root / f"reports-{count}-{run}", count, args.workers)
                runs.append(result)
                print(f"  {count:>5} companies  run {run}: {result['per_report']:5.2f} s/report  "
                      f"planning {result['planning']:5.2f} s (plan {result['plan']:.2f} s)  "
                      f"finish {result['finish']:5.2f} s  wall {result['wall']:6.1f} s  "
                      f"peak {result['memory']:6.0f} MiB", flush=True)
            best = min(runs, key=lambda r: r["per_report"])
            results.append({**best, "planning": min(r["planning"] for r in runs),
                            "memory": max(r["memory"] for r in runs)})
        print(summary_line(results))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
