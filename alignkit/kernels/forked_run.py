"""The worker's side of a report run by a forked child without a Jupyter kernel.

:func:`run_forked` asks the fork server for a child in ``cells`` mode (see
:mod:`alignkit.kernels.runner`), hands it the notebook's code cells over a
socket pair and turns the messages it writes back into cell outputs with
nbclient's own message handling (outputs, ``clear_output`` with and without
``wait``, display ids updated across cells, ipywidgets' state in the
notebook's metadata; ``execution_count`` counted over the executed cells;
the kernel's ``language_info``). Cells that are empty are skipped, as nbclient skips
them, as it skips cells tagged ``skip-execution``, and a cell tagged
``raises-exception`` may fail without stopping the run.

The child gets a private folder (its ``TMPDIR`` and the log of anything
written straight to its file descriptors) that is deleted with it; it is
killed when the report ends, runs out of time or the worker goes away.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import os
import select
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from alignkit.kernels.fork import kill_process_group, refuse_if_gone

__all__ = ["EARLY_REQUEST", "SETUP_MAGICS", "SKIP_TAG", "CellsFailed", "Slot", "run_forked",
           "setup_cells"]

#: Cells with this tag are not run (nbclient's ``skip_cells_with_tag``).
SKIP_TAG = "skip-execution"


class Slot(Protocol):
    """A turn to run cells: a lock or semaphore (``threading``'s or ``multiprocessing``'s)."""

    def acquire(self, block: bool = True) -> bool: ...
    def release(self) -> None: ...


class CellsFailed(Exception):
    """A cell raised (``name`` is the exception's class), or the child died."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def _processor(notebook: Any) -> Any:
    """nbclient's own message handling (outputs, clear_output, display ids, widget state),
    without a kernel."""
    from nbclient import NotebookClient

    client = NotebookClient(notebook, record_timing=False)
    client.reset_execution_trackers()
    return client


def _message(document: dict[str, Any]) -> dict[str, Any]:
    """A message as nbclient receives it from a kernel (binary buffers decoded)."""
    return {"msg_type": document["msg_type"], "header": {"msg_type": document["msg_type"]},
            "parent_header": {}, "metadata": {}, "content": document["content"],
            "buffers": [base64.b64decode(b) for b in document.get("buffers", ())]}


def _connect(path: str, deadline: float) -> socket.socket:
    """Connect to the fork server, waiting while it has not opened its socket yet.

    Raises
    ------
    ConnectionError
        At once when the server has ended (see :func:`~alignkit.kernels.fork.refuse_if_gone`).
    """
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)
            return conn
        except (FileNotFoundError, ConnectionRefusedError):
            conn.close()
            refuse_if_gone(path)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class _Lines:
    """JSON lines from a socket, each read before ``deadline`` (else :class:`TimeoutError`)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def next(self, deadline: float) -> Any:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.conn], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = self.conn.recv(1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)


def _code_cells(notebook: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index in the notebook, what the child needs) for every cell nbclient would run."""
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if SKIP_TAG in cell.metadata.get("tags", []):
            continue
        cells.append((index, {"source": cell.source, "id": cell.get("id"),
                              "allow_error": "raises-exception" in cell.metadata.get("tags", [])}))
    return cells


def run_forked(notebook: Any, *, cwd: Path, timeout: float, fork_socket: str,
               temp_root: Path | None = None, slot: Slot | None = None) -> None:
    """Run ``notebook``'s code cells in a child of the fork server; outputs are set in place.

    With a ``slot`` (a lock or semaphore that limits how many reports run cells
    at once, taken here and released at the end) that is not free, the child
    is asked for ahead of its turn: the fork server forks it while another
    report runs (or, while it warms up, at the end of its warm-up or when the
    turn comes, whichever is first), and the child copies ahead meanwhile the
    memory its cells will write to (see :mod:`alignkit.kernels.prefault`) and
    runs the notebook's leading set-up cells (:func:`setup_cells`); the other
    cells run once the turn has come. The ``timeout`` counts from the moment
    the slot is taken.

    Raises
    ------
    TimeoutError
        When the report takes longer than ``timeout`` seconds (the child is killed).
    CellsFailed
        When a cell raised (the outputs up to and including the error are kept),
        or the child died.
    OSError
        When the fork server cannot be reached or does not fork.
    """
    deadline = time.monotonic() + timeout
    folder = tempfile.TemporaryDirectory(prefix="kernel-" if temp_root else "alignkit-kernel-",
                                         dir=temp_root)
    private_tmp = Path(folder.name) / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    ours, theirs = socket.socketpair()
    conn = None
    pid = None
    taken = False
    try:
        taken = slot is None or slot.acquire(False)
        ahead = not taken  # another report has the turn: ask for the child ahead of ours
        conn = _connect(fork_socket, deadline)
        with open(Path(folder.name) / "kernel.log", "wb") as log, \
                open(os.devnull, "rb") as null:
            message = json.dumps({"mode": "cells", "cwd": str(cwd), "env": env,
                                  "ahead": ahead}).encode() + b"\n"
            sent = socket.send_fds(conn, [message],
                                   [null.fileno(), log.fileno(), log.fileno(), theirs.fileno()])
            conn.sendall(message[sent:])
        theirs.close()
        cells = _code_cells(notebook)
        request: dict[str, Any] = {"cells": [c for _, c in cells]}
        early = _request_line({**request, "turn_after": setup_cells(
            [c["source"] for c in request["cells"]])}) if ahead else None
        if early is not None:  # the child reads it as soon as it is forked: its set-up runs
            ours.sendall(early)
        if ahead:
            slot.acquire(True)  # type: ignore[union-attr]
            taken = True
            deadline = time.monotonic() + timeout
            conn.sendall(b"go\n")  # a child not forked yet is forked now
            if early is not None:
                with contextlib.suppress(OSError):  # a child that died is found out below
                    ours.sendall(b"go\n")  # and it runs the report's other cells
        pid = _read_pid(conn, deadline)
        if early is None:
            ours.sendall(json.dumps(request).encode() + b"\n")
        _collect(notebook, cells, _Lines(ours), deadline)
    finally:
        if taken and slot is not None:
            slot.release()
        theirs.close()
        ours.close()
        if pid is not None:
            kill_process_group(pid)
        if conn is not None:
            conn.close()
        folder.cleanup()


#: The longest request sent to a child before it may exist: the socket keeps it until the
#: child reads it, and a longer one could fill the socket's buffer and make the worker wait.
EARLY_REQUEST = 64 * 1024


def _request_line(request: dict[str, Any]) -> bytes | None:
    """``request`` as the line the child reads, or None if it is too long to send early."""
    line = json.dumps(request).encode() + b"\n"
    return line if len(line) <= EARLY_REQUEST else None


#: Line magics a set-up cell may use: ``%matplotlib BACKEND`` and ``%config Class.trait =
#: literal`` configure the shell and read no data.
SETUP_MAGICS = frozenset({"matplotlib", "config"})


def setup_cells(sources: list[str]) -> int:
    """How many of the leading cells ``sources`` only set a report up.

    A set-up cell holds nothing but imports, names given literal values (a
    notebook's parameters, and papermill's), bare literals and the line
    magics :data:`SETUP_MAGICS`: it reads no data and takes no time. A child
    forked ahead of its report's turn runs these while it waits (see
    :func:`run_forked`); the report's other cells run only once the turn has come.
    """
    count = 0
    for source in sources:
        if not _is_setup(source):
            break
        count += 1
    return count


def _is_setup(source: str) -> bool:
    code = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("%"):
            if not _is_setup_magic(stripped[1:]):
                return False
            line = ""  # noqa: PLW2901 - a set-up magic: the rest of the cell must be Python
        code.append(line)
    tree = _parsed("\n".join(code))
    return tree is not None and all(_is_setup_statement(node) for node in tree.body)


def _is_setup_magic(magic: str) -> bool:
    name, _, rest = magic.partition(" ")
    if name == "matplotlib":
        return rest.strip().isidentifier()
    if name == "config":  # its text runs as Python: only ``Class.trait = literal``
        tree = _parsed(rest.strip())
        return tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign) \
            and all(isinstance(t, ast.Attribute) for t in tree.body[0].targets) \
            and _literal(tree.body[0].value)
    return False


def _parsed(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def _is_setup_statement(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Assign):
        return all(isinstance(t, ast.Name) for t in node.targets) and _literal(node.value)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.value is not None and \
            _literal(node.value)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _read_pid(conn: socket.socket, deadline: float) -> int:
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([conn], [], [], max(left, 0))
        if not ready:
            raise TimeoutError
        chunk = conn.recv(64)
        if not chunk:
            raise OSError("the kernel fork server did not start a report process")
        line += chunk
    first = line.partition(b"\n")[0].strip()
    if not first.isdigit():
        raise OSError("the kernel fork server did not start a report process")
    return int(first)


def _collect(notebook: Any, cells: list[tuple[int, dict[str, Any]]], lines: _Lines,
             deadline: float) -> None:
    client = _processor(notebook)
    while True:
        document = lines.next(deadline)
        if document is None:
            raise CellsFailed("DeadKernelError", "the report's process ended unexpectedly")
        if "language_info" in document:
            notebook.metadata["language_info"] = document["language_info"]
        elif document.get("done"):
            client.set_widgets_metadata()  # as nbclient: only when every cell ran
            return
        else:
            index, request = cells[document["cell"]]
            cell = notebook.cells[index]
            cell.outputs = []
            client.clear_before_next_output = False
            for message in document["messages"]:
                client.process_message(_message(message), cell, index)
            client.code_cells_executed += 1
            cell["execution_count"] = client.code_cells_executed
            error = document.get("error")
            if error and not request["allow_error"]:
                raise CellsFailed(error["ename"], error["evalue"])

