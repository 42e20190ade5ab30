"""Key results of every stage notebook, checked against a reviewed snapshot.

The committed notebooks carry no outputs, so nbval alone can only check that
their cells run. Here each stage notebook is executed with papermill for one
demo company, and the text of the cells tagged ``key-result`` (findings,
tables) is compared with ``tests/data/notebook_results/<notebook>.json``
after the substitutions in ``tests/nbval_sanitize.cfg``. A change in the
numbers therefore fails this test until the snapshot is reviewed and renewed:

    ALIGNKIT_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_notebook_results.py
"""

from __future__ import annotations

import configparser
import json
import os
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from alignkit.kernels.server import report_kernel_manager
from alignkit.report.render import notebooks_dir

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "data" / "notebook_results"
COMPANY = "northwind-software"
#: Fixed parameters, so that nothing depends on the day the test runs.
PARAMETERS = {"03_execute": {"as_of": "2026-12-31"}, "04_recap": {"as_of": "2026-12-31"}}
STAGE_NOTEBOOKS = ["01_identify", "02_plan", "03_execute", "04_recap"]


def sanitizers() -> list[tuple[re.Pattern[str], str]]:
    config = configparser.ConfigParser()
    config.read(HERE / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def cell_text(cell: nbformat.NotebookNode, rules: list[tuple[re.Pattern[str], str]]) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(output["text"])
        data = output.get("data", {})
        if "text/markdown" in data:
            parts.append(data["text/markdown"])
        elif "text/html" in data:  # tables: their text, one cell per line
            cells = re.sub(r"<[^>]+>", "\n", data["text/html"].split("</style>")[-1])
            parts.append("\n".join(c.strip() for c in cells.splitlines() if c.strip()))
        elif "text/plain" in data:
            parts.append(data["text/plain"])
    text = "\n".join(parts)
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def key_results(name: str, workspace: str, tmp_path: Path) -> dict[str, str]:
    params = {"company": COMPANY, "workspace": workspace, **PARAMETERS.get(name, {})}
    km = report_kernel_manager(tmp_path / "kernel")
    try:
        executed = papermill.execute_notebook(
            str(notebooks_dir() / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
            parameters=params, kernel_name="python3", progress_bar=False,
            execution_timeout=300, km=km, cwd=str(notebooks_dir()),
        )
    finally:
        km.stderr_log.close()
    rules = sanitizers()
    return {cell["id"]: cell_text(cell, rules) for cell in executed.cells
            if "key-result" in cell.get("metadata", {}).get("tags", [])}


@pytest.mark.parametrize("name", STAGE_NOTEBOOKS)
def test_key_results_match_the_snapshot(name: str, tmp_path: Path) -> None:
    workspace = os.environ["ALIGNKIT_WORKSPACE"]  # the demo workspace built by conftest.py
    results = key_results(name, workspace, tmp_path)
    assert results, f"{name} has no cell tagged key-result"
    assert all(text.strip() for text in results.values()), "a key-result cell showed nothing"
    snapshot = SNAPSHOTS / f"{name}.json"
    if os.environ.get("ALIGNKIT_UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    expected = json.loads(snapshot.read_text(encoding="utf-8"))
    assert results == expected
