"""Execute one parameterized notebook in a kernel of its own.

The notebook is parameterized exactly as papermill does it (an
``injected-parameters`` cell after the ``parameters`` cell), then run cell by
cell by nbclient in a fresh kernel: a new Python process, or a fork of a
:class:`~alignkit.kernel.KernelForkServer`. The kernel is killed afterwards,
whatever happened, so no kernel ever serves a second report. A failing cell,
a timeout or a dead kernel comes back as an :class:`ExecutionOutcome` with
the executed notebook (outputs up to and including the error), never as an
exception, so one broken report cannot stop a batch. The kernel's ``TMPDIR``
is a private folder deleted with the kernel, so no temporary file of one
company is left for the next.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ExecutionOutcome", "execute_notebook", "parameterize"]

#: Extra kernel arguments: keep IPython's history in memory, not in a shared SQLite file.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


@dataclass(frozen=True)
class ExecutionOutcome:
    """An executed notebook and how its run ended.

    ``error_name`` is empty when every cell ran; else it is the exception's
    class name (``"Timeout"`` when the report ran out of time).
    """

    notebook: Any
    seconds: float
    error_name: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        """True when every cell ran without error."""
        return not self.error_name

    @property
    def timed_out(self) -> bool:
        """True when the report was abandoned for taking too long."""
        return self.error_name == "Timeout"


def parameterize(notebook: Any, parameters: dict[str, Any]) -> Any:
    """A copy of ``notebook`` with papermill's ``injected-parameters`` cell."""
    from papermill.parameterize import parameterize_notebook

    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:  # papermill's loader gives every cell a tags list
        cell.metadata.setdefault("tags", [])
    fresh.metadata.setdefault("papermill", {})
    return parameterize_notebook(fresh, parameters, kernel_name="python3", language="python")


def execute_notebook(
    notebook: Any, *, cwd: Path, timeout: float, fork_socket: str | None = None
) -> ExecutionOutcome:
    """Run every cell of ``notebook`` (modified in place) in a new kernel.

    Parameters
    ----------
    notebook
        A parameterized ``nbformat.NotebookNode``.
    cwd
        The kernel's working folder (the notebook's folder).
    timeout
        Seconds the whole report may take; a cell running past it ends the run.
    fork_socket
        Socket of a running :class:`~alignkit.kernel.KernelForkServer`, or
        ``None`` to start the kernel as a new Python process.
    """
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alignkit-kernel-") as folder:
        try:
            asyncio.run(asyncio.wait_for(
                _run(notebook, Path(folder), cwd, timeout, fork_socket), timeout))
        except TimeoutError:
            return ExecutionOutcome(notebook, time.perf_counter() - started, "Timeout",
                                    f"the report took longer than {timeout:g} s")
        except _Failed as failed:
            seconds = time.perf_counter() - started
            if seconds >= timeout:  # nbclient turns our cancellation into "kernel died"
                return ExecutionOutcome(notebook, seconds, "Timeout",
                                        f"the report took longer than {timeout:g} s")
            return ExecutionOutcome(notebook, seconds, failed.name, failed.message)
    return ExecutionOutcome(notebook, time.perf_counter() - started)


class _Failed(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


async def _run(notebook: Any, folder: Path, cwd: Path, timeout: float, fork_socket: str | None) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from alignkit.kernel import report_kernel_manager, start_kernel_with_retry

    km = report_kernel_manager(folder, fork_socket=fork_socket)
    private_tmp = folder / "tmp"  # the kernel's temporary files go with it
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    # the whole-report limit (asyncio.wait_for) fires first; the cell limit is a backstop
    client = NotebookClient(notebook, km=km, timeout=timeout + 30, kernel_name="python3",
                            shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}})
    try:
        client.kc = await start_kernel_with_retry(km, cwd=str(cwd), env=env,
                                                  extra_arguments=KERNEL_ARGUMENTS)
        await client.async_execute(cleanup_kc=False)  # _stop kills the kernel, faster
    except CellExecutionError as err:
        raise _Failed(err.ename or "CellExecutionError", _first_line(err.evalue)) from None
    except CellTimeoutError:
        raise TimeoutError from None
    except DeadKernelError as err:
        raise _Failed("DeadKernelError", _first_line(str(err))) from None
    finally:
        await _stop(km, client)


async def _stop(km: Any, client: Any) -> None:
    from alignkit.kernel import discard_kernel

    kc, client.kc = client.kc, None
    _kill_now(km)
    await discard_kernel(km, kc)
    km.close_log()
    km.context.destroy(linger=0)  # the manager's own zmq context, shared with its client


def _kill_now(km: Any) -> None:
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


def _first_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[0].strip() if lines else ""
