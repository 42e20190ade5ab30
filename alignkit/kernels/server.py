"""Kernels for report runs: private IPC sockets, a retry on start, optional fork server.

TCP kernels pick a free port, release it and bind it again later, so two
reports starting at once can collide (papermill issues #239, #511). A kernel
that talks over IPC sockets inside its own temporary folder cannot collide
with another one. Its stderr goes to a log file next to the sockets, so the
console shows our messages, not the kernel's start-up chatter.

A :class:`~alignkit.kernels.fork_server.KernelForkServer` (see
:mod:`alignkit.kernels.fork`) makes each new kernel a fork of a process that
already imported pandas, matplotlib and alignkit but never ran a notebook:
every report still gets a kernel of its own, at a fraction of the start-up cost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import IO, Any

from jupyter_client.manager import AsyncKernelManager

from alignkit.exceptions import ReportError

__all__ = [
    "ReportKernelManager",
    "report_kernel_manager",
    "start_kernel_with_retry",
    "wait_until_ready",
]


class ReportKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel writes stderr to ``stderr_log``.

    When ``fork_socket`` is set, the kernel is forked by a
    :class:`~alignkit.kernels.fork_server.KernelForkServer` instead of started as a new Python
    process:
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
