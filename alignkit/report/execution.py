"""Execute one parameterized notebook in a kernel of its own.

The notebook is parameterized exactly as papermill does it (an
``injected-parameters`` cell after the ``parameters`` cell), then run cell by
cell by nbclient in a fresh kernel: a new Python process, or a fork of a
:class:`~alignkit.kernels.fork_server.KernelForkServer`. The kernel is killed afterwards,
whatever happened, so no kernel ever serves a second report. A failing cell,
a timeout or a dead kernel comes back as an :class:`ExecutionOutcome` with
the executed notebook (outputs up to and including the error), never as an
exception, so one broken report cannot stop a batch. The kernel's ``TMPDIR``
is a private folder deleted with the kernel, so no temporary file of one
company is left for the next. Without a fork server, kernels come from a
:class:`~alignkit.kernels.supply.KernelSupply`. With one, a batch worker has
the cells run by a forked child without a Jupyter kernel
(``cells_in_fork``, see :mod:`alignkit.kernels.runner`): the same outputs and
the same end for a failing cell, a timeout or a dead process.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignkit.kernels.forked_run import Slot
    from alignkit.kernels.supply import KernelSupply

__all__ = ["ExecutionOutcome", "execute_notebook", "parameterize"]


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
    """A copy of ``notebook`` with papermill's ``injected-parameters`` cell.

    papermill gives the injected cell a random id; it gets a fixed one here, so
    the same inputs render the same bytes.
    """
    from papermill.parameterize import parameterize_notebook

    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:  # papermill's loader gives every cell a tags list
        cell.metadata.setdefault("tags", [])
    fresh.metadata.setdefault("papermill", {})
    done = parameterize_notebook(fresh, parameters, kernel_name="python3", language="python")
    for cell in done.cells:
        if "injected-parameters" in cell.metadata.get("tags", []) and "id" in cell:
            cell.id = "injected-parameters"
    return done


def execute_notebook(
    notebook: Any, *, cwd: Path, timeout: float, fork_socket: str | None = None,
    supply: KernelSupply | None = None, cells_in_fork: bool = False,
    temp_root: Path | None = None, slot: Slot | None = None,
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
        Socket of a running :class:`~alignkit.kernels.fork_server.KernelForkServer`, or
        ``None`` to start the kernel as a new Python process.
    supply
        Where a worker that renders many reports gets its kernels (see
        :class:`~alignkit.kernels.supply.KernelSupply`); ``fork_socket`` is then
        the supply's. Without one, a kernel is launched for this run alone.
    cells_in_fork
        Run the cells in a child of the fork server at ``fork_socket`` without
        a Jupyter kernel (see :mod:`alignkit.kernels.runner`): the same
        outputs, without a kernel's per-cell round trips. ``temp_root`` is
        where its private folder goes.
    slot
        A lock or semaphore held while the cells run, shared by processes that
        take turns running reports. A forked child is asked for before the
        slot is taken (it waits, copying ahead the memory it will write to; see
        :func:`~alignkit.kernels.forked_run.run_forked`); a kernel is started
        after. The time spent waiting for the slot counts neither in
        ``timeout`` nor in the outcome's ``seconds``.
    """
    timed = _TimedSlot(slot)
    if cells_in_fork and fork_socket:  # the child is forked before the slot is taken
        return _execute(notebook, cwd, timeout, fork_socket, supply, timed, fork=True,
                        temp_root=temp_root)
    timed.acquire(True)
    try:
        return _execute(notebook, cwd, timeout, fork_socket, supply, timed)
    finally:
        timed.release()


class _TimedSlot:
    """A slot (or none: always free) that remembers when it was taken."""

    def __init__(self, slot: Slot | None) -> None:
        self.slot = slot
        self.taken: float | None = None

    def acquire(self, block: bool = True) -> bool:
        if self.slot is not None and not self.slot.acquire(block):
            return False
        self.taken = time.perf_counter()
        return True

    def release(self) -> None:
        if self.slot is not None:
            self.slot.release()


def _execute(notebook: Any, cwd: Path, timeout: float, fork_socket: str | None,
             supply: KernelSupply | None, slot: _TimedSlot, *, fork: bool = False,
             temp_root: Path | None = None) -> ExecutionOutcome:
    from alignkit.kernels.forked_run import CellsFailed, run_forked

    called = time.perf_counter()

    def seconds() -> float:  # since the slot was taken (the run starts then)
        return time.perf_counter() - (slot.taken if slot.taken is not None else called)

    try:
        if fork and fork_socket:
            try:
                run_forked(notebook, cwd=cwd, timeout=timeout, fork_socket=fork_socket,
                           temp_root=temp_root, slot=slot)
            except CellsFailed as failed:
                raise _Failed(failed.name, failed.message) from None
            except OSError as err:
                raise _Failed("KernelError",
                              f"the report's process could not be started ({err})") from None
        elif supply is None:
            asyncio.run(asyncio.wait_for(_run(notebook, cwd, timeout, None, fork_socket), timeout))
        else:
            supply.run(asyncio.wait_for(_run(notebook, cwd, timeout, supply, None), timeout))
    except TimeoutError:
        return ExecutionOutcome(notebook, seconds(), "Timeout",
                                f"the report took longer than {timeout:g} s")
    except _Failed as failed:
        spent = seconds()
        if spent >= timeout:  # nbclient turns our cancellation into "kernel died"
            return ExecutionOutcome(notebook, spent, "Timeout",
                                    f"the report took longer than {timeout:g} s")
        return ExecutionOutcome(notebook, spent, failed.name, failed.message)
    return ExecutionOutcome(notebook, seconds())


class _Failed(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


async def _run(notebook: Any, cwd: Path, timeout: float, supply: KernelSupply | None,
               fork_socket: str | None) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from alignkit.kernels.supply import launch_kernel

    kernel = await (supply.take(cwd) if supply else launch_kernel(cwd, fork_socket))
    # the whole-report limit (asyncio.wait_for) fires first; the cell limit is a backstop
    client = NotebookClient(notebook, km=kernel.km, timeout=timeout + 30, kernel_name="python3",
                            shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}})
    try:
        client.kc = await kernel.connect()
        await client.async_execute(cleanup_kc=False)  # kernel.stop() kills the kernel, faster
    except CellExecutionError as err:
        raise _Failed(err.ename or "CellExecutionError", _first_line(err.evalue)) from None
    except CellTimeoutError:
        raise TimeoutError from None
    except DeadKernelError as err:
        raise _Failed("DeadKernelError", _first_line(str(err))) from None
    finally:
        client.kc = None
        await kernel.stop()


def _first_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[0].strip() if lines else ""
