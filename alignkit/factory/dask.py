"""Run a batch's report jobs on an existing Dask distributed cluster.

The jobs are the same as on the local pool: :func:`alignkit.factory.worker.render_job`
runs on the Dask workers, each of which keeps its renderer and its own kernel
fork server for the jobs it receives. The workers must see the workspace, the
notebooks and the output folder at the same paths (a shared disk).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alignkit.exceptions import ReportError
from alignkit.factory.manifest import ManifestEntry
from alignkit.factory.worker import WorkerSettings, render_job
from alignkit.report.render import ReportOutcome

__all__ = ["run_on_dask"]


def run_on_dask(
    pending: list[Any],
    address: str,
    settings: WorkerSettings,
    reporter: Any,
    to_entry: Callable[[Any, ReportOutcome], ManifestEntry],
) -> list[ManifestEntry]:
    """Submit every planned job to the scheduler at ``address``; collect one entry each.

    Raises
    ------
    ReportError
        When the scheduler cannot be reached.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ReportError("--scheduler needs Dask: install it with "
                          "`pip install 'alignkit[dask]'`") from None
    try:
        client = Client(address, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise ReportError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    entries = []
    try:
        if len(pending) <= sum(client.nthreads().values()):  # one report per worker: no fork server
            settings = WorkerSettings(fork=False, retries=settings.retries)
        futures = {client.submit(render_job, p.job, p.company_name, settings, pure=False,
                                 key=f"alignkit-{p.job.company}-{p.job.stage}-{id(p)}"): p
                   for p in pending}
        if reporter:
            reporter.running([p.job for p in pending])
        for future in as_completed(list(futures), loop=client.loop):
            planned = futures[future]
            try:
                outcome = future.result()
            except Exception as err:  # noqa: BLE001 - a lost worker fails one job, not the batch
                outcome = ReportOutcome(planned.job.company, planned.job.stage, "failed", 0.0,
                                        error_name=type(err).__name__,
                                        error_message=str(err).split("\n")[0])
            entries.append(to_entry(planned, outcome))
            if reporter:
                reporter.finished(entries[-1])
    finally:
        client.close()
    return entries
