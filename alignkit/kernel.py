"""Kernels for report runs: IPC transport in a private folder, stderr to a log.

TCP kernels pick a free port, release it and bind it again later, so two
reports starting at once can collide (papermill issues #239, #511). A kernel
that talks over IPC sockets inside its own temporary folder cannot collide
with another one. Its stderr goes to a log file next to the sockets, so the
console shows our messages, not the kernel's start-up chatter.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from jupyter_client.manager import AsyncKernelManager

__all__ = ["ReportKernelManager", "report_kernel_manager"]


class ReportKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel writes stderr to ``stderr_log``."""

    stderr_log: IO[bytes] | None = None

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        if self.stderr_log is not None:
            kw.setdefault("stderr", self.stderr_log)
        await super().start_kernel(**kw)


def report_kernel_manager(folder: Path, kernel_name: str = "python3") -> ReportKernelManager:
    """A kernel manager using IPC sockets and a connection file inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    km = ReportKernelManager(
        kernel_name=kernel_name,
        transport="ipc",
        ip=str(folder / "kernel-ipc"),
        connection_file=str(folder / "kernel.json"),
    )
    km.stderr_log = open(folder / "kernel-stderr.log", "wb")  # noqa: SIM115 - closed by caller
    return km
