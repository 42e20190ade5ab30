"""Every chart of every stage report fits inside its own canvas.

The notebooks render figures without matplotlib's tight-crop pass (it draws
each figure twice), which is only safe while no title, label or legend sticks
out of the figure. The notebooks' code cells are run here in-process for each
demo company and every figure they return is measured.
"""

from __future__ import annotations

import ast
import os

import nbformat
import pytest
from matplotlib.figure import Figure

from alignkit.demo import DEMO_COMPANIES
from alignkit.report.render import notebooks_dir

FIXED = {"03_execute": {"as_of": "2026-12-31"}, "04_recap": {"as_of": "2026-12-31"}}


def notebook_figures(name: str, company: str, workspace: str) -> list[tuple[str, Figure]]:
    """Run a notebook's code cells in this process; collect the figures they show."""
    ns: dict = {}
    figures = []
    for cell in nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith("%"))
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, name, "exec"), ns)  # noqa: S102 - our own notebooks
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(company=company, workspace=workspace, **FIXED.get(name, {}))
            continue
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), ns)  # noqa: S307
            if isinstance(value, Figure):
                figures.append((cell.source.strip()[:60], value))
    return figures


@pytest.mark.parametrize("name", ["01_identify", "02_plan", "03_execute", "04_recap"])
def test_every_chart_fits_its_canvas(name: str) -> None:
    workspace = os.environ["ALIGNKIT_WORKSPACE"]  # the demo workspace built by conftest.py
    checked = 0
    for company in DEMO_COMPANIES:
        for source, fig in notebook_figures(name, company.slug, workspace):
            box = fig.get_tightbbox(fig.canvas.get_renderer())
            width, height = fig.get_size_inches()
            assert box.x0 >= -0.01 and box.y0 >= -0.01, (company.slug, source)
            assert box.x1 <= width + 0.01 and box.y1 <= height + 0.01, (company.slug, source)
            checked += 1
    assert checked >= 3
