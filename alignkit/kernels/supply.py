"""Fresh report kernels for one worker, the next one launched while the current report runs.

A kernel takes a noticeable fraction of a second from launch until it
answers, most of it spent in the forked kernel itself (setting up ipykernel
and its sockets). A :class:`KernelSupply` hands out a kernel for a report and at once
launches the next one, so that kernel boots while the current report
executes. Each kernel still serves exactly one report and is killed after
it: a spare is launched from the fork server's pristine state before any
company's notebook has run in it, so it carries nothing from one report to
the next. A spare whose working folder or environment no longer matches the
request is thrown away, not reused.

All asyncio work of one supply runs on its own long-lived event loop (the
kernel managers and clients belong to it); use one supply per thread.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alignkit.kernels.server import (
    ReportKernelManager,
    discard_kernel,
    report_kernel_manager,
    start_kernel_with_retry,
)

__all__ = ["KERNEL_ARGUMENTS", "KernelSupply", "LaunchedKernel", "launch_kernel"]

#: Extra kernel arguments: keep IPython's history in memory, not in a shared SQLite file; and
#: no 0.5 ms pause before each cell's reply (ipykernel's head start for the outputs of
#: frontends that stop listening at the reply; nbclient reads outputs until the kernel is
#: idle, so a report loses nothing and saves ~15 ms).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--Kernel._execute_sleep=0"]

T = TypeVar("T")


@dataclass
class LaunchedKernel:
    """A kernel process that was started for one report, with its private folder.

    The folder holds the connection file, the IPC sockets, the kernel's stderr
    log and its ``TMPDIR``; it is deleted with the kernel.
    """

    km: ReportKernelManager
    folder: tempfile.TemporaryDirectory[str]
    cwd: Path
    env: dict[str, str]
    client: Any = field(default=None)

    async def connect(self) -> Any:
        """A ready client for this kernel; one that does not answer is replaced (with retries)."""
        self.client = await start_kernel_with_retry(self.km, launched=True, cwd=str(self.cwd),
                                                    env=self.env, extra_arguments=KERNEL_ARGUMENTS)
        return self.client

    async def stop(self) -> None:
        """Kill the kernel at once and delete its folder."""
        client, self.client = self.client, None
        _kill_now(self.km)
        await discard_kernel(self.km, client)
        self.km.close_log()
        self.km.context.destroy(linger=0)  # the manager's own zmq context, shared with its client
        self.folder.cleanup()


async def launch_kernel(cwd: Path, fork_socket: str | None,
                        temp_root: Path | None = None) -> LaunchedKernel:
    """Start a kernel process in a private folder inside ``temp_root``; do not wait for it."""
    folder = tempfile.TemporaryDirectory(prefix="kernel-" if temp_root else "alignkit-kernel-",
                                         dir=temp_root)
    root = Path(folder.name)
    km = report_kernel_manager(root, fork_socket=fork_socket)
    private_tmp = root / "tmp"  # the kernel's temporary files go with it
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    kernel = LaunchedKernel(km, folder, cwd, env)
    try:
        await km.start_kernel(cwd=str(cwd), env=env, extra_arguments=KERNEL_ARGUMENTS)
    except (RuntimeError, OSError):
        pass  # connect() starts it again, with retries
    return kernel


class KernelSupply:
    """Kernels for one worker thread: one for each report, the next already booting.

    Parameters
    ----------
    fork_socket
        Socket of a running :class:`~alignkit.kernels.fork_server.KernelForkServer`, or
        ``None`` to start kernels as new Python processes.
    ahead
        Launch the next kernel while a report runs. Worth it when kernels are
        forked (cheap to launch); a spare left over at the end is killed by
        :meth:`close`.
    temp_root
        Where the kernels' private folders go (default: the system's
        temporary folder); see :mod:`alignkit.kernels.temp`.
    """

    def __init__(self, fork_socket: str | None = None, *, ahead: bool = True,
                 temp_root: Path | None = None) -> None:
        self.fork_socket = fork_socket
        self.ahead = ahead
        self.temp_root = temp_root
        self.loop = asyncio.new_event_loop()
        self._spare: LaunchedKernel | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on this supply's event loop."""
        return self.loop.run_until_complete(work)

    async def take(self, cwd: Path) -> LaunchedKernel:
        """A launched kernel for a report run in ``cwd``; launches the next one if ``ahead``."""
        kernel, self._spare = self._spare, None
        if kernel is not None and (kernel.cwd != cwd or not _same_env(kernel.env)):
            await kernel.stop()
            kernel = None
        if kernel is None:
            kernel = await launch_kernel(cwd, self.fork_socket, self.temp_root)
        if self.ahead:
            self._spare = await launch_kernel(cwd, self.fork_socket, self.temp_root)
        return kernel

    def close(self) -> None:
        """Kill the spare kernel, if any, and close the event loop."""
        if self.loop.is_closed():
            return
        if self._spare is not None:
            spare, self._spare = self._spare, None
            self.run(spare.stop())
        self.loop.close()


def _same_env(env: dict[str, str]) -> bool:
    """True when ``env`` (with its private ``TMPDIR``) was taken from today's environment."""
    return {k: v for k, v in env.items() if k != "TMPDIR"} == \
        {k: v for k, v in os.environ.items() if k != "TMPDIR"}


def _kill_now(km: ReportKernelManager) -> None:
    """Kill the kernel's process group and reap it at once.

    jupyter_client's own shutdown polls every 0.1 s for the process to go;
    there is nothing in the kernel worth a graceful exit.
    """
    process = getattr(km.provisioner, "process", None) if km.provisioner is not None else None
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the kernel runs in a session of its own
    except (OSError, AttributeError):  # no process groups (Windows) or already gone
        process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass  # jupyter_client's shutdown below tries again
