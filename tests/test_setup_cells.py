"""Which leading cells a report child may run before its turn, and how it waits for the turn."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys

from alignkit.kernels.forked_run import setup_cells


def test_set_up_cells_are_imports_literal_names_and_shell_set_up_magics() -> None:
    assert setup_cells([
        'company = "acme"  # slug\nwave: str = "baseline"\nlimits = {"n": [1, 2.5, None]}',
        "%matplotlib inline\n%config InlineBackend.figure_formats = ['svg']",
        "import os\nfrom pathlib import Path",
        '"""a note"""',
        "scores = load(company)",  # reads data: the set-up ends here
        "import json",
    ]) == 4


def test_anything_else_ends_the_set_up() -> None:
    for cell in ("x = f()", "x = [1, y]", "x.y = 1", "a[0] = 1", "print(1)", "%run helper.py",
                 "%%bash\nls", "!ls", "%time x = 1", "%load_ext autoreload", "x?", "def f(): pass",
                 "%config", "%config A.b = read()", "%matplotlib", "%matplotlib $(rm x)",
                 "for i in []: pass", "import os\nos.remove('x')", "not python ("):
        assert setup_cells([cell, "import os"]) == 0, cell
    assert setup_cells([]) == 0


CHILD = r"""
import os, socket, sys
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
from alignkit.kernels.runner import run_cells
sys.exit(run_cells(int(sys.argv[1])))
"""


class _Reader:
    """The JSON lines a child writes on its result socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def until(self, last: dict | None, timeout: float = 30) -> list[dict]:
        """Documents up to one equal to ``last`` (None: until ``timeout`` s of silence)."""
        found: list[dict] = []
        while last is None or last not in found:
            if b"\n" not in self.buffer:
                if not select.select([self.sock], [], [], timeout)[0]:
                    if last is None:
                        return found
                    raise TimeoutError(found)
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return found
                self.buffer += chunk
                continue
            line, _, self.buffer = self.buffer.partition(b"\n")
            found.append(json.loads(line))
        return found


def _cells(documents: list[dict]) -> list[int]:
    return [d["cell"] for d in documents if "cell" in d]


def test_a_child_runs_the_cells_before_its_turn_then_waits_for_go() -> None:
    ours, theirs = socket.socketpair()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(theirs.fileno())],
                             pass_fds=(theirs.fileno(),))
    theirs.close()
    reader = _Reader(ours)
    try:
        cells = [{"source": s} for s in ("x = 1", "import os", "print(x + 1)", "print('end')")]
        ours.sendall(json.dumps({"cells": cells, "turn_after": 2}).encode() + b"\n")
        before = reader.until({"cell": 1, "messages": [], "error": None})
        assert _cells(before) == [0, 1]
        assert reader.until(None, timeout=1.5) == []  # then it waits for its turn
        ours.sendall(b"go\n")
        after = reader.until({"done": True})
        assert _cells(after) == [2, 3]
        assert after[0]["messages"][0]["content"]["text"] == "2\n"
        assert child.wait(10) == 0
    finally:
        ours.close()
        child.kill()
        child.wait()
