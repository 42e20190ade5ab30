"""The task a batch worker runs: render one report job with a long-lived renderer.

A worker is a process that lives for the whole batch (a process-pool worker
or a Dask worker). It keeps nbclient, nbconvert and one exporter imported and
built, and a :class:`~alignkit.kernels.fork_server.KernelForkServer` running, in a
per-process :class:`WorkerState`; each job still gets a kernel of its own.
A process-pool worker ends as soon as its batch process is gone, even when
that process was killed outright, and its kernels go with it.
"""

from __future__ import annotations

import os
import select
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from alignkit.report.render import Renderer, ReportJob, ReportOutcome

__all__ = ["WorkerSettings", "exit_with", "init_worker", "render_job", "skip_slow_iri_checker"]


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker starts kernels.

    ``fork_socket`` is a fork server shared by the workers of one machine;
    when it is empty and ``fork`` is true, the worker starts its own.
    ``temp_dir`` is the batch's private folder for kernel folders (empty:
    the system's temporary folder).
    """

    fork: bool = True
    fork_socket: str = ""
    retries: int = 1
    temp_dir: str = ""

    @property
    def temp_root(self) -> Path | None:
        """``temp_dir`` as a path, if set."""
        return Path(self.temp_dir) if self.temp_dir else None


class WorkerState:
    """A worker process's renderers (one per thread) and its own fork server, if any."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._server = None

    def _socket(self) -> str | None:
        if not self.settings.fork or not hasattr(os, "fork"):
            return None
        if self.settings.fork_socket:
            return self.settings.fork_socket
        with self._lock:
            if self._server is None or not self._server.running:
                from alignkit.kernels.fork_server import KernelForkServer

                self._server = KernelForkServer(temp_root=self.settings.temp_root,
                                                kernels=False).start()
                _at_exit(self._server.stop)
            return self._server.socket_path

    def renderer(self) -> Renderer:
        """This thread's renderer, built on first use."""
        renderer = getattr(self._local, "renderer", None)
        if renderer is None:
            socket = self._socket()
            # with a fork server, each report's cells run in a forked child of their own
            renderer = Renderer(fork_socket=socket, retries=self.settings.retries,
                                temp_root=self.settings.temp_root,
                                cells_in_fork=socket is not None,
                                cells_slot=_CELLS[0] if _CELLS else None)
            _at_exit(renderer.close)
            self._local.renderer = renderer
        return renderer


_STATE: dict[WorkerSettings, WorkerState] = {}  # per process: workers outlive single jobs
_CELLS: list[Any] = []  # the batch's semaphore for running cells, set by init_worker


def _state(settings: WorkerSettings) -> WorkerState:
    state = _STATE.get(settings)
    if state is None:
        state = _STATE.setdefault(settings, WorkerState(settings))
    return state


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from building the rfc3987 grammar (~1.5 s) when nbformat loads.

    Only the ``iri`` format checks go; nbformat's schema does not use them.
    Done in batch worker processes only, before nbformat is first imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _at_exit(stop: object) -> None:
    """Call ``stop`` when this process ends, also as a pool worker (which skips ``atexit``)."""
    Finalize(None, stop, exitpriority=10)


def exit_with(parent: int) -> None:
    """End this process as soon as process ``parent`` is gone, however it ended.

    A pool worker cannot rely on its queue for that: when the batch process
    is killed, every worker still holds both ends of it and would wait for
    ever. Its kernels then die with it (see :mod:`alignkit.kernels.fork`).
    """
    def watch() -> None:
        try:
            handle = os.pidfd_open(parent)  # readable once the process has ended
        except (AttributeError, OSError):  # not Linux 5.3+: look twice a second
            while _alive(parent):
                time.sleep(0.5)
        else:
            select.select([handle], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="alignkit-exit-with-batch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or its number taken by another user
        return False
    return True


def init_worker(settings: WorkerSettings, environment: dict[str, str] | None = None,
                parent: int | None = None, cells: Any = None) -> None:
    """Process-pool initializer: take the batch's environment, build the renderer now.

    A worker forked from a long-lived fork server would otherwise keep the
    environment the server started with, not the one of this batch. With
    ``parent`` (the batch process), the worker ends as soon as it is gone.
    ``cells`` is a semaphore shared by the batch's worker processes: a report's
    cells run only while it is held, its page is written after it is released.
    """
    if parent is not None:
        exit_with(parent)
    if cells is not None:
        _CELLS[:] = [cells]
    if environment is not None:
        os.environ.clear()
        os.environ.update(environment)
        tempfile.tempdir = None  # take this batch's TMPDIR, not the fork server's
    skip_slow_iri_checker()
    _state(settings).renderer()


def render_job(job: ReportJob, company_name: str, settings: WorkerSettings) -> ReportOutcome:
    """Render one job; any unexpected error becomes a failed outcome, never an exception."""
    started = time.perf_counter()
    skip_slow_iri_checker()
    try:
        return _state(settings).renderer().render(job, company_name)
    except Exception as err:  # noqa: BLE001 - one broken job must not stop the batch
        message = str(err).splitlines()[0] if str(err) else ""
        return ReportOutcome(job.company, job.stage, "failed", time.perf_counter() - started,
                             error_name=type(err).__name__, error_message=message)
