"""Kernels for report runs: private IPC sockets, a retry on start, optional fork server.

TCP kernels pick a free port, release it and bind it again later, so two
reports starting at once can collide (papermill issues #239, #511). A kernel
that talks over IPC sockets inside its own temporary folder cannot collide
with another one. Its stderr goes to a log file next to the sockets, so the
console shows our messages, not the kernel's start-up chatter.

A :class:`KernelForkServer` (see :mod:`alignkit.kernels.fork`) makes each new
kernel a fork of a process that already imported pandas, matplotlib and
alignkit but never ran a notebook: every report still gets a kernel of its
own, at a fraction of the start-up cost.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from jupyter_client.manager import AsyncKernelManager

from alignkit.exceptions import ReportError
from alignkit.kernels.fork import hold_alive_lock

__all__ = [
    "KernelForkServer",
    "ReportKernelManager",
    "notebook_imports",
    "report_kernel_manager",
    "start_kernel_with_retry",
    "wait_until_ready",
]


class ReportKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel writes stderr to ``stderr_log``.

    When ``fork_socket`` is set, the kernel is forked by a
    :class:`KernelForkServer` instead of started as a new Python process:
    jupyter_client starts it through an
    :class:`~alignkit.kernels.provisioner.ForkProvisioner`.
    """

    stderr_log: IO[bytes] | None = None
    fork_socket: str | None = None

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        if self.stderr_log is not None:  # start-up chatter goes to the log, not the console
            kw.setdefault("stderr", self.stderr_log)
            kw.setdefault("stdout", self.stderr_log)
        if self.fork_socket is not None and self.provisioner is None:
            # jupyter_client keeps a provisioner that is set before the start (and reuses it
            # on a restart): this one asks the fork server for the kernel, no launcher between
            from alignkit.kernels.provisioner import ForkProvisioner

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id,
                                               kernel_spec=self.kernel_spec, parent=self,
                                               fork_socket=self.fork_socket)
        await super().start_kernel(**kw)

    def close_log(self) -> None:
        """Close the stderr log (call once the kernel has stopped)."""
        if self.stderr_log is not None:
            self.stderr_log.close()
            self.stderr_log = None


def report_kernel_manager(
    folder: Path, kernel_name: str = "python3", *, fork_socket: str | None = None
) -> ReportKernelManager:
    """A kernel manager using IPC sockets and a connection file inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    km = ReportKernelManager(
        kernel_name=kernel_name,
        transport="ipc",
        ip=str(folder / "ipc"),  # short: a socket's path has a length limit
        connection_file=str(folder / "kernel.json"),
    )
    km.fork_socket = fork_socket
    km.stderr_log = open(folder / "kernel-stderr.log", "wb")  # noqa: SIM115 - closed by close_log
    return km


async def start_kernel_with_retry(
    km: ReportKernelManager, *, attempts: int = 3, ready_timeout: float = 60.0,
    launched: bool = False, **kw: Any
) -> Any:
    """Start ``km``'s kernel and a ready client, trying again after a failed start.

    With ``launched``, the first attempt waits for the kernel ``km`` already
    started (see :mod:`alignkit.kernels.supply`) instead of starting one.

    Returns
    -------
    jupyter_client.asynchronous.AsyncKernelClient
        A client whose channels are started and whose kernel answered.

    Raises
    ------
    ReportError
        When the kernel did not start ``attempts`` times in a row.
    """
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        client = None
        try:
            if attempt > 1 or not (launched and km.has_kernel):
                await km.start_kernel(**kw)
            client = km.client()
            client.start_channels()
            await wait_until_ready(client, timeout=ready_timeout)
            return client
        except (RuntimeError, OSError, TimeoutError) as err:
            last = err
            await discard_kernel(km, client, again=True)
            await asyncio.sleep(0.2 * attempt)
    raise ReportError(f"the report kernel did not start after {attempts} attempts: {last}")


async def wait_until_ready(client: Any, *, timeout: float = 60.0) -> None:
    """Wait until the kernel answers on the shell channel and publishes on IOPub.

    Like ``KernelClient.wait_for_ready``, without its fixed 0.2 s wait for a
    quiet IOPub channel: we stop at the ``idle`` status of our own request.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout
    asked: set[str] = set()
    while time.monotonic() < deadline:
        asked.add(client.kernel_info())
        try:
            await client.get_shell_msg(timeout=1.0)
        except Empty:
            if not await client.is_alive():
                raise RuntimeError("the kernel died before it answered") from None
            continue
        try:  # IOPub may join late and miss a status; then ask again soon
            while True:
                msg = await client.get_iopub_msg(timeout=0.05)
                if (msg["parent_header"].get("msg_id") in asked and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return
        except Empty:
            continue
    raise TimeoutError(f"the kernel did not answer within {timeout:g} s")


async def discard_kernel(km: ReportKernelManager, client: Any, *, again: bool = False) -> None:
    """Stop a kernel and its client's channels, and free the manager's resources.

    With ``again``, the manager stays usable for another start (its zmq
    context and connection file are kept).
    """
    if client is not None:
        client.stop_channels()
    try:
        if km.has_kernel:
            await km.shutdown_kernel(now=True, restart=again)
    except (RuntimeError, OSError):
        pass
    await km.cleanup_resources(restart=again)


def notebook_imports(notebooks: Iterable[Path]) -> tuple[str, ...]:
    """Modules the code cells of ``notebooks`` import, in order of first appearance.

    For ``from package import name`` both ``package`` and ``package.name`` are
    listed (``name`` may be a module); a name that is not a module is skipped
    by the fork server. Magics and cells that do not parse are ignored.
    """
    found: dict[str, None] = {}
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell.get("source", []))
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
