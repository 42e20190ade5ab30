"""The kernel fork server as a process: start it, wait until it is ready or warm, stop it.

:class:`KernelForkServer` runs ``python -m alignkit.kernels.fork`` (see
:mod:`alignkit.kernels.fork`) and owns its socket folder. This module imports
no Jupyter package, so a batch starts its server before it loads anything else.
"""

from __future__ import annotations

import ast
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from alignkit.catalog.resources import code_cell_sources
from alignkit.exceptions import ReportError
from alignkit.kernels.fork import hold_alive_lock

__all__ = ["KernelForkServer", "notebook_imports"]


def notebook_imports(notebooks: Iterable[Path]) -> tuple[str, ...]:
    """Modules the code cells of ``notebooks`` import, in order of first appearance.

    For ``from package import name`` both ``package`` and ``package.name`` are
    listed (``name`` may be a module); a name that is not a module is skipped
    by the fork server. Magics and cells that do not parse are ignored.
    """
    found: dict[str, None] = {}
    for source in code_cell_sources(notebooks):
        code = "\n".join(line for line in source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update(dict.fromkeys(f"{node.module}.{a.name}" for a in node.names
                                           if a.name != "*"))
    return tuple(found)


class KernelForkServer:
    """A running fork server (see :mod:`alignkit.kernels.fork`) and its socket.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The
    server exits by itself when the process that started it ends, killing
    its kernels. Its socket lives in a folder of its own inside
    ``temp_root`` (default: the system's temporary folder).
    """

    def __init__(self, modules: Sequence[str] | None = None, *,
                 temp_root: Path | None = None, kernels: bool = True) -> None:
        if modules is None:  # what the stage notebooks import, and what an ipykernel needs
            from alignkit.catalog.resources import notebooks_dir
            from alignkit.kernels.fork import KERNEL_MODULES, RUNNER_MODULES

            modules = (KERNEL_MODULES if kernels else RUNNER_MODULES) + \
                notebook_imports(sorted(notebooks_dir().glob("*.ipynb")))
        self.modules = tuple(modules)
        self.temp_root = temp_root
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self.socket_path: str | None = None

    def start(self) -> KernelForkServer:
        """Start the server; kernels requested before it is warm wait for it."""
        prefix = "fork-" if self.temp_root else "alignkit-fork-"
        self._folder = tempfile.TemporaryDirectory(prefix=prefix, dir=self.temp_root)
        self.socket_path = os.path.join(self._folder.name, "fork.sock")
        # the server holds this lock for life, so a kernel asked for after it died (even
        # before it could open its socket) is refused at once instead of waiting
        alive = hold_alive_lock(self.socket_path)
        try:
            # stdin is the server's lifeline: it exits, killing its kernels, once the pipe closes
            self._process = subprocess.Popen(
                [sys.executable, "-m", "alignkit.kernels.fork", self.socket_path, *self.modules],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                cwd=self._folder.name, start_new_session=True, pass_fds=(alive,),
                env={**os.environ, "TMPDIR": self._folder.name},
            )
        finally:
            os.close(alive)  # the lock stays with the server
        return self

    def wait_ready(self) -> KernelForkServer:
        """Block until the server has imported its modules.

        Raises
        ------
        ReportError
            When the server exited instead.
        """
        line = self._process.stdout.readline() if self._process and self._process.stdout else b""
        self._ready = line.strip() == b"ready"
        if not self._ready:
            self.stop()
            raise ReportError("the kernel fork server did not start; try again without it "
                              "(alignkit batch --no-fork)")
        return self

    def wait_warm(self) -> KernelForkServer:
        """Block until the server has also filled its caches on made-up data (its warm-up).

        A server forks the requests already waiting once its modules are
        imported and warms up when none is left, so the first kernels may
        start before this. Tests use it to check what a warm server's kernels do.

        Raises
        ------
        ReportError
            When the server exited instead.
        """
        if not self._ready:
            self.wait_ready()
        line = self._process.stdout.readline() if self._process and self._process.stdout else b""
        if line.strip() != b"warm":
            self.stop()
            raise ReportError("the kernel fork server stopped while warming up; try again without "
                              "it (alignkit batch --no-fork)")
        return self

    def _warm(self) -> bool:
        """True once the server said it is ready (checked without waiting)."""
        if not self._ready and self._process is not None and self._process.stdout is not None:
            waiting, _, _ = select.select([self._process.stdout], [], [], 0)
            self._ready = bool(waiting) and self._process.stdout.readline().strip() == b"ready"
        return self._ready

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the server (its kernels are killed) and remove its socket folder.

        A server still importing its modules has no kernels yet and is killed
        at once instead of being asked to finish.
        """
        if self._process is not None:
            if not self._warm():
                self._process.kill()
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> KernelForkServer:
        return self.start().wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()
