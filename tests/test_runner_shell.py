"""The shell a fork server prepares for its report children: ready, and as fresh as a new one."""

from __future__ import annotations

import json
import subprocess
import sys

from alignkit.kernels.warmup import made_up_outputs, stage_cells

#: Prints what a report could see of the shell (its namespace, count, history and output
#: cache) and whether IPython's own magics for the notebooks' first cell are loaded yet.
STATE = r"""
import json, os, sys
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
from IPython.core.magic import LazyMagic
from alignkit.kernels import runner
from alignkit.kernels.warmup import made_up_outputs, stage_cells
if sys.argv[1] == "prepared":
    runner.prepare_shell(stage_cells(), made_up_outputs())
    shell = runner._PREPARED[0]
else:
    shell = runner.new_shell()
magics = shell.magics_manager.magics["line"]
print(json.dumps({
    "names": sorted(shell.user_ns),
    "count": shell.execution_count,
    "history": list(shell.history_manager.input_hist_raw),
    "out": len(shell.user_ns["Out"]),
    "lazy": [name for name in ("config", "matplotlib") if isinstance(magics[name], LazyMagic)],
}))
"""


def _state(kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", STATE, kind], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_prepared_shell_holds_what_a_new_one_holds_with_its_magics_loaded() -> None:
    fresh, prepared = _state("fresh"), _state("prepared")
    assert fresh["lazy"] == ["config", "matplotlib"]  # a new shell would load them in the child
    assert prepared["lazy"] == []
    assert {k: v for k, v in prepared.items() if k != "lazy"} == \
        {k: v for k, v in fresh.items() if k != "lazy"}
    assert prepared["count"] == 1 and prepared["out"] == 0


def test_the_stage_cells_are_every_stage_notebooks_code() -> None:
    cells = stage_cells()
    assert any(c.startswith("%matplotlib inline") for c in cells)
    assert any("load_engagement" in c for c in cells)
    assert all(isinstance(c, str) for c in cells) and len(cells) > 20
    assert {type(v).__name__ for v in made_up_outputs()} == {"Markdown", "DataFrame", "Styler"}
