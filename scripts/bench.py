"""Benchmark the report factory: reports per minute, four ways.

Builds a temporary workspace with N simulated companies (alignkit's demo
simulation under new slugs), then renders N x the Identify stage:

1. naive   - the loop a user would write: ``papermill`` CLI, then
             ``jupyter nbconvert`` CLI, one report after the other;
2. batch-1 - ``alignkit batch --workers 1``;
3. batch   - ``alignkit batch`` with the default number of workers;
4. floor   - the notebook's own code cells run in this Python process without a
             notebook or kernel (charts rendered to SVG as the kernel does),
             imports excluded;
5. empty   - the notebook machinery alone: the same notebook with every code
             cell but the parameters emptied (``pass``), rendered by one
             worker's renderer (forked child, outputs, HTML export), no CLI.

It prints reports/min for each and ends with one line::

    bench: naive <R1>/min, batch-1 <R2>/min, batch <R3>/min, batch/naive <X>x,
           per-report/floor <Y>x, batch-1/floor <Z>x   (one line)

``per-report/floor`` compares the default batch's wall time per report with
the floor's; ``batch-1/floor`` does the same for one worker, so it is the
cost of the notebook machinery itself (forked child, outputs, HTML export).
``empty`` shows how much of that a report pays whatever its cells compute.

Usage: ``python scripts/bench.py [--companies 24] [--keep DIR]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for bench_common, also when imported
from bench_common import BIN, NOTEBOOK, build_workspace, run_batch  # noqa: E402

__all__ = ["NOTEBOOK", "build_workspace", "notebook_code", "run_batch", "run_empty", "run_floor",
           "run_naive"]


def run_naive(workspace: Path, slugs: list[str], out: Path) -> float:
    """papermill CLI + nbconvert CLI per report, sequentially; seconds taken."""
    out.mkdir(parents=True)
    started = time.perf_counter()
    for slug in slugs:
        executed = out / f"{slug}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p", "company", slug,
                        "-p", "workspace", str(workspace), "-k", "python3", "--cwd",
                        str(NOTEBOOK.parent), "--no-progress-bar"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], check=True, capture_output=True)
    return time.perf_counter() - started


def _display_value(value: Any) -> None:
    """Render an output the way the kernel would: figures to SVG (no tight crop), the rest to HTML."""
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    if isinstance(value, Figure):
        print_figure(value, "svg", bbox_inches=None, metadata={"Date": None})  # as the notebooks do
    elif hasattr(value, "_repr_html_"):
        value._repr_html_()
    elif hasattr(value, "_repr_markdown_"):
        value._repr_markdown_()


def notebook_code(path: Path) -> list[tuple[Any, Any, bool]]:
    """Each code cell as (statements, last expression or None, is parameters), magics removed."""
    import nbformat

    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        cells.append((compile(tree, "<cell>", "exec"),
                      compile(ast.Expression(last.value), "<cell>", "eval") if last else None,
                      "parameters" in cell.metadata.get("tags", [])))
    return cells


def run_floor(workspace: Path, slugs: list[str]) -> float:
    """The notebook's code in this process, one namespace per company; seconds taken."""
    import matplotlib

    matplotlib.use("Agg")
    cells = notebook_code(NOTEBOOK)

    def one(slug: str) -> None:
        names: dict[str, Any] = {}
        for statements, last, parameters in cells:
            exec(statements, names)  # noqa: S102 - our own notebook's cells
            if parameters:  # the defaults, then this company's values, as papermill does
                names.update(company=slug, workspace=str(workspace))
            names["display"] = lambda *values: [_display_value(v) for v in values]
            if last is not None:
                _display_value(eval(last, names))  # noqa: S307

    one(slugs[0])  # imports and first-use caches are excluded from the floor
    started = time.perf_counter()
    for slug in slugs:
        one(slug)
    return time.perf_counter() - started


def run_empty(workspace: Path, slugs: list[str], out: Path) -> float:
    """The Identify notebook with empty cells, rendered like one batch worker does; seconds."""
    import nbformat

    from alignkit.factory.worker import skip_slow_iri_checker
    from alignkit.kernels.fork_server import KernelForkServer
    from alignkit.report.render import Renderer, ReportJob

    skip_slow_iri_checker()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            cell.source = "pass"
    out.mkdir(parents=True)
    empty = out / NOTEBOOK.name
    nbformat.write(nb, empty)
    with KernelForkServer(kernels=False) as server:  # what a batch worker's server loads
        server.wait_warm()  # the machinery per report, not the server's start-up
        renderer = Renderer(fork_socket=server.socket_path, cells_in_fork=True)  # as a worker
        try:
            def job(slug: str) -> ReportJob:
                return ReportJob(slug, "identify", out / slug, workspace, notebook_path=empty)

            renderer.render(job(slugs[0]), slugs[0])  # the first child waits for the server
            started = time.perf_counter()
            for slug in slugs:
                outcome = renderer.render(job(slug), slug)
                if outcome.status != "ok":
                    raise RuntimeError(f"empty notebook failed: {outcome.error_message}")
            return time.perf_counter() - started
        finally:
            renderer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=24, help="companies to render (24)")
    parser.add_argument("--keep", type=Path, help="keep the workspace and reports in this folder")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="alignkit-bench-")) if args.keep is None else args.keep
    try:
        workspace = root / "workspace"
        slugs = build_workspace(workspace, args.companies)
        n = len(slugs)
        print(f"bench: {n} companies x identify, {os.cpu_count()} cores", flush=True)
        results = {}
        for label, run in (("naive", lambda: run_naive(workspace, slugs, root / "naive")),
                           ("batch-1", lambda: run_batch(workspace, root / "batch-1", 1)),
                           ("batch", lambda: run_batch(workspace, root / "batch", None)),
                           ("floor", lambda: run_floor(workspace, slugs)),
                           ("empty", lambda: run_empty(workspace, slugs, root / "empty"))):
            seconds = run()
            results[label] = seconds
            print(f"  {label:<8} {seconds:7.1f} s  {seconds / n:6.2f} s/report  "
                  f"{60 * n / seconds:6.1f} reports/min", flush=True)
        rate = {k: 60 * n / v for k, v in results.items()}
        per_report_vs_floor = (results["batch"] / n) / (results["floor"] / n)
        print(f"bench: naive {rate['naive']:.1f}/min, batch-1 {rate['batch-1']:.1f}/min, "
              f"batch {rate['batch']:.1f}/min, batch/naive {rate['batch'] / rate['naive']:.1f}x, "
              f"per-report/floor {per_report_vs_floor:.2f}x, "
              f"batch-1/floor {results['batch-1'] / results['floor']:.2f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
