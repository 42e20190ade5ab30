"""Run a batch's report jobs on an existing Dask distributed cluster, with no shared disk.

The workers need alignkit installed (the same release and code as the batch:
``pip install 'alignkit[dask]'``), nothing else: no workspace, no notebooks,
no output folder. Each task carries one report's notebook, settings and the
company's store extract (see :mod:`alignkit.factory.remote`); each worker
renders it in a temporary folder of its own, with its long-lived renderer
and kernel fork server, and sends the files back. This process writes them
into the output folder; the batch then writes the manifest and indexes.

Before anything is submitted, every worker is asked for its alignkit version
and build; a worker running other code stops the batch with one line saying
what to install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alignkit.exceptions import ReportError
from alignkit.factory.manifest import ManifestEntry
from alignkit.factory.remote import (
    CompanyData,
    RemoteResult,
    company_data,
    make_task,
    run_remote_task,
    store_result,
    worker_build,
)
from alignkit.factory.worker import WorkerSettings
from alignkit.report.render import ReportJob, ReportOutcome
from alignkit.store.workspace import Workspace

__all__ = ["WORKER_WAIT", "check_workers", "run_on_dask", "task_name"]

#: Seconds to wait for the first worker to join the scheduler.
WORKER_WAIT = 60.0


def task_name(job: ReportJob) -> str:
    """The name of a job's task on the dashboard: ``alignkit_<company>_<stage>`` (no hyphens,
    which Dask would take for the end of the name)."""
    return f"alignkit_{job.company}_{job.stage}".replace("-", "_")


def check_workers(builds: dict[str, tuple[str, str]], version: str, build: str) -> None:
    """Refuse workers whose alignkit differs from this batch's (``builds``: address -> pair).

    Raises
    ------
    ReportError
        Naming the first worker that differs and what to install.
    """
    for address, (theirs, their_build) in sorted(builds.items()):
        if (theirs, their_build) != (version, build):
            raise ReportError(
                f"the Dask worker {address} runs alignkit {theirs} (build {their_build}) but this "
                f"batch runs alignkit {version} (build {build}); give every worker the same "
                f"alignkit (pip install 'alignkit[dask]=={version}') and restart it")


def run_on_dask(
    pending: list[Any],
    address: str,
    settings: WorkerSettings,
    reporter: Any,
    to_entry: Callable[[Any, ReportOutcome], ManifestEntry],
    workspace: Workspace,
) -> list[ManifestEntry]:
    """Submit every planned job to the scheduler at ``address``; collect one entry each.

    Raises
    ------
    ReportError
        When Dask is missing, the scheduler cannot be reached, no worker
        joins, or a worker runs another alignkit.
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
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise ReportError(f"no Dask worker joined the scheduler at {address} within "
                              f"{WORKER_WAIT:g} s; start one with `dask worker {address}`") from None
        try:
            builds = client.run(worker_build)
        except Exception as err:  # noqa: BLE001 - e.g. a worker without alignkit cannot load it
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ReportError(f"cannot ask the Dask workers at {address} which alignkit they run "
                              f"({first}); install the same alignkit on every worker: "
                              "pip install 'alignkit[dask]'") from None
        check_workers(builds, *worker_build())
        if len(pending) <= sum(client.nthreads().values()):  # one report per worker: no fork server
            settings = WorkerSettings(fork=False, retries=settings.retries)
        data: dict[str, CompanyData] = {}
        futures = {}
        for p in pending:
            slug = p.job.company
            if slug not in data:  # one extract per company, shared by its stages
                data[slug] = company_data(workspace, slug)
            task = make_task(p.job, p.company_name, data[slug])
            futures[client.submit(run_remote_task, task, settings, pure=False,
                                  key=f"{task_name(p.job)}-{id(p)}")] = p
        if reporter:
            reporter.running([p.job for p in pending])
        for future in as_completed(list(futures), loop=client.loop):
            planned = futures[future]
            try:
                result: RemoteResult = future.result()
                outcome = store_result(result, planned.job, workspace)
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
