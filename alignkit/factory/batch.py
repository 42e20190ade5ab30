"""Render many companies x stages at once: the report factory behind ``alignkit batch``.

The batch plans one :class:`~alignkit.report.render.ReportJob` per company and
stage, skips those whose fingerprint (notebook, parameters, alignkit and
instrument version, templates, branding, company data) matches the last good
render, and runs the rest on a bounded pool of long-lived worker processes,
or on an existing Dask cluster (whose workers need no access to the workspace:
see :mod:`alignkit.factory.dask`). Each report runs in a kernel of its own;
a failing or hanging report is recorded and the others go on. At the end the
manifest and the index pages are written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.catalog.stages import STAGES
from alignkit.exceptions import ReportError, StoreError
from alignkit.factory.company_outputs import write_company_outputs
from alignkit.factory.fingerprint import (
    WRITTEN_BY_REPORTS,
    code_hash,
    company_table_hashes,
    data_hash,
    files_hash,
    report_fingerprint,
)
from alignkit.factory.indexes import IndexCompany, write_indexes
from alignkit.factory.manifest import ManifestEntry, load_manifest, now_iso, write_manifest
from alignkit.factory.worker import WorkerSettings, init_worker, render_job
from alignkit.kernels.fork import usable_cores
from alignkit.kernels.temp import batch_folder, private_multiprocessing_folder
from alignkit.report.branding import Brand, load_brand
from alignkit.report.formats import company_formats, output_format, report_formats
from alignkit.report.render import (
    ReportJob,
    ReportOutcome,
    check_job,
    notebooks_dir,
    report_day,
    templates_dir,
)
from alignkit.report.scrub import WORKSPACE
from alignkit.store.files import make_private_dir
from alignkit.store.workspace import Workspace

if TYPE_CHECKING:
    from alignkit.kernels.fork_server import KernelForkServer

__all__ = ["BatchReporter", "BatchResult", "available_stages", "default_workers", "render_batch",
           "worker_processes"]


class BatchReporter(Protocol):
    """Receives progress: the CLI draws a progress bar with it."""

    def start(self, total: int, skipped: int) -> None: ...
    def running(self, jobs: Sequence[ReportJob]) -> None: ...
    def finished(self, entry: ManifestEntry) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class PlannedJob:
    """A job with what the manifest needs to know about it."""

    job: ReportJob
    company_name: str
    fingerprint: str


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: this run's entries, the manifest and the index pages."""

    entries: tuple[ManifestEntry, ...]
    manifest: Path
    indexes: tuple[Path, ...]
    seconds: float
    workers: int
    scheduler: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return not self.counts.get("failed")


def worker_processes(workers: int) -> int:
    """How many processes ``workers`` workers run as: one each, and a second one for as many
    as there are cores to spare, which writes a report's page while its twin runs the next
    report's cells (at most ``workers`` run cells at a time)."""
    return workers + max(0, min(workers, default_workers() - workers))


def default_workers() -> int:
    """The number of cores this process may use."""
    return usable_cores()


def available_stages() -> list[str]:
    """Stages whose notebook exists, in cycle order."""
    return [name for name, stage in STAGES.items() if (notebooks_dir() / stage.notebook).is_file()]


def _environment_hash(brand: Brand, formats: Sequence[str]) -> str:
    import hashlib

    from alignkit import __version__
    from alignkit.catalog.instrument import load_instrument

    digest = hashlib.sha256(f"{__version__}\x1f{load_instrument().version}\x1f{sorted(formats)}"
                            f"\x1f{brand}".encode())
    digest.update(files_hash([templates_dir() / "alignkit", templates_dir() / "vendor"]).encode())
    digest.update(code_hash().encode())  # alignkit's own code: an upgrade renders again
    return digest.hexdigest()


def _plan(ws: Workspace, companies: Sequence[str], stages: Sequence[str], out_dir: Path,
          base: dict[str, Any]
          ) -> tuple[list[PlannedJob], list[ManifestEntry], dict[str, dict[str, str]]]:
    """Jobs to consider, entries for the companies that cannot run (e.g. no such wave), and
    each company's table hashes (see :func:`~alignkit.factory.fingerprint.company_table_hashes`)."""
    for slug in companies:
        ws.company(slug)  # an unknown company is the user's mistake: stop before anything runs
    tables = company_table_hashes(ws, companies)
    data = {slug: data_hash(hashes) for slug, hashes in tables.items()}
    env = _environment_hash(base["brand"], base["formats"])
    planned, refused = [], []
    for slug in companies:
        day = report_day(ws, slug, base.get("as_of", ""))
        for stage in stages:
            job = ReportJob(slug, stage, out_dir / slug, ws.root, index_link="index.html",
                            notebook_path=(notebooks_dir() / STAGES[stage].notebook).resolve(),
                            **{**base, "as_of": day})
            try:
                name = check_job(job, ws)
            except StoreError as err:  # this company's data is not ready; the others go on
                refused.append(ManifestEntry(slug, stage, "failed", 0.0, _shown(job), "",
                                             error_name=type(err).__name__, error_message=str(err)))
                continue
            planned.append(PlannedJob(job, name, report_fingerprint(
                notebook=job.notebook, parameters=job.parameters, data_hash=data[slug],
                environment_hash=env)))
    return planned, refused, tables


def _unchanged(planned: PlannedJob, previous: ManifestEntry | None) -> bool:
    return (previous is not None and previous.status in ("ok", "skipped")
            and previous.fingerprint == planned.fingerprint
            and all((planned.job.out_dir / f).is_file() for f in previous.files))


def _shown(job: ReportJob) -> dict[str, Any]:
    """The job's parameters as the manifest next to the reports shows them: no machine path."""
    return {**job.parameters, "workspace": WORKSPACE}


def _after_rendering(ws: Workspace, pending: Sequence[PlannedJob], done: list[ManifestEntry],
                     base: dict[str, Any], tables: dict[str, dict[str, str]]
                     ) -> list[ManifestEntry]:
    """``done`` with each rendered report fingerprinted on its company's data as rendering left it.

    Rendering records what a report published (the disclosure log), which is
    part of the company's data; fingerprinted before, every such report would
    render again in the next batch although nothing a user did has changed.
    Only the tables rendering writes (:data:`~alignkit.factory.fingerprint.WRITTEN_BY_REPORTS`)
    are read again; the others' hashes are the plan's (``tables``).
    """
    rendered = {e.company for e in done if e.status == "ok"}
    if not rendered:
        return done
    written = company_table_hashes(ws, sorted(rendered), WRITTEN_BY_REPORTS)
    data = {slug: data_hash({**tables[slug], **written[slug]}) for slug in rendered}
    env = _environment_hash(base["brand"], base["formats"])
    jobs = {p.job.company_stage: p.job for p in pending}
    out = []
    for entry in done:
        job = jobs.get((entry.company, entry.stage))
        if entry.status == "ok" and job is not None:
            entry = replace(entry, fingerprint=report_fingerprint(
                notebook=job.notebook, parameters=job.parameters, data_hash=data[entry.company],
                environment_hash=env))
        out.append(entry)
    return out


def _entry(planned: PlannedJob, outcome: ReportOutcome) -> ManifestEntry:
    return ManifestEntry(
        company=outcome.company, stage=outcome.stage, status=outcome.status,
        seconds=round(outcome.seconds, 3), parameters=_shown(planned.job),
        fingerprint=planned.fingerprint if outcome.status == "ok" else "", files=outcome.files,
        error_name=outcome.error_name, error_message=outcome.error_message,
        attempts=outcome.attempts, executed_notebook=outcome.executed_notebook)


def render_batch(
    workspace: str | Path | None = None,
    *,
    out_dir: str | Path | None = None,
    companies: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    workers: int | None = None,
    formats: Sequence[str] = ("html",),
    force: bool = False,
    scheduler: str | None = None,
    timeout: float = 600.0,
    wave: str = "baseline",
    anonymity_min: int = DEFAULT_THRESHOLD,
    brand_file: str | Path | None = None,
    fork: bool = True,
    reporter: BatchReporter | None = None,
    as_of: str = "",
) -> BatchResult:
    """Render every company x stage into ``out_dir`` and write the manifest and indexes.

    Parameters
    ----------
    workspace
        The workspace (``None``: ``$ALIGNKIT_WORKSPACE`` or the current folder).
    out_dir
        Output folder (default ``<workspace>/reports``): ``<company>/<stage>.html``.
    companies, stages
        Subsets; ``None`` means every registered company and every stage whose
        notebook exists.
    workers
        Size of the local worker pool (default: the number of cores).
    formats
        ``html`` and/or ``pdf``.
    force
        Render even the reports whose inputs are unchanged.
    scheduler
        Address of a Dask scheduler (``tcp://host:port``) to run the jobs on.
    timeout
        Seconds one report may take; a report that times out is tried once more.
    fork
        Fork kernels from a warm fork server (fresh kernel per report either way).

    Raises
    ------
    UnknownCompanyError, ReportError
        Before anything runs, for an unknown company, stage, wave or format.
    """
    started = time.perf_counter()
    ws = Workspace(workspace)
    out = Path(out_dir) if out_dir is not None else ws.reports_dir
    chosen_stages = list(dict.fromkeys(stages)) if stages else available_stages()
    if not chosen_stages:
        raise ReportError(f"no stage notebook found in {notebooks_dir()}")
    for name in formats:
        output_format(name)  # an unknown format stops the batch before anything runs
    chosen = list(dict.fromkeys(companies)) if companies else [c.slug for c in ws.companies()]
    brand = load_brand(brand_file)
    base = {"wave": wave, "anonymity_min": anonymity_min, "formats": report_formats(formats), "as_of": as_of,
            "timeout": timeout, "brand": brand}
    workers = workers or default_workers()
    with batch_folder() as temp:  # the kernels' files: private, and gone with the batch
        # kernels warm up while the batch is planned; dropped if little is left to do
        server = _start_fork_server(fork and not scheduler and len(chosen) * len(chosen_stages) > workers,
                                    chosen_stages, temp)
        if not scheduler and chosen:
            _start_worker_server()
        try:
            planned, refused, tables = _plan(ws, chosen, chosen_stages, out, base) \
                if base["formats"] else ([], [], {})
            make_private_dir(out, within=ws.root)
            previous = load_manifest(out)
            pending = [p for p in planned
                       if force or not _unchanged(p, previous.get(p.job.company_stage))]
            skipped = [previous[p.job.company_stage].skipped() for p in planned if p not in pending]
            if server is not None and len(pending) <= workers:  # one report per worker: not worth it
                server.stop()
                server = None
            if reporter:
                reporter.start(len(planned) + len(refused), len(skipped))
                for entry in refused:
                    reporter.finished(entry)
            try:
                done = _after_rendering(ws, pending, _run(pending, workers, scheduler, server,
                                                          fork, reporter, temp, ws), base, tables)
                done += write_company_outputs(ws, out, chosen, chosen_stages,  # deck, one-pager
                                              company_formats(formats), base)
            finally:
                if reporter:
                    reporter.close()
        finally:
            if server is not None:
                server.stop()
    return _finish(ws, out, previous, refused + skipped + done, brand, started, workers, scheduler)


def _start_fork_server(wanted: bool, stages: Sequence[str],
                       temp: Path | None = None) -> KernelForkServer | None:
    """A kernel fork server, started now, when forking is possible and ``wanted``.

    A fork server pays off once a worker renders more than one report. It
    preloads what the ``stages``' notebooks import (and nothing they do not).
    Its socket lives in the batch's private folder ``temp`` (default: the system's).
    """
    if not (wanted and hasattr(os, "fork")):
        return None
    from alignkit.kernels.fork import RUNNER_MODULES  # the workers' children run cells themselves
    from alignkit.kernels.fork_server import KernelForkServer, notebook_imports

    notebooks = [notebooks_dir() / STAGES[s].notebook for s in stages if s in STAGES]
    return KernelForkServer(RUNNER_MODULES + notebook_imports(n for n in notebooks if n.is_file()),
                            temp_root=temp).start()


def _run(pending: list[PlannedJob], workers: int, scheduler: str | None,
         server: KernelForkServer | None, fork: bool,
         reporter: BatchReporter | None, temp: Path, ws: Workspace) -> list[ManifestEntry]:
    if not pending:
        return []
    if scheduler:  # the workers get each company's data, never the workspace itself
        from alignkit.factory.dask import run_on_dask
        from alignkit.factory.remote import portfolio_jobs

        # a report that reads other companies' data (a pooled driver view) renders here
        pooled = portfolio_jobs(ws, [p.job for p in pending])
        here = [p for p in pending if p.job.company_stage in pooled]
        there = [p for p in pending if p.job.company_stage not in pooled]
        done = run_on_dask(there, scheduler, WorkerSettings(fork=fork), reporter, _entry, ws) \
            if there else []
        return done + (_run_local(here, workers, None, reporter, temp) if here else [])
    return _run_local(pending, workers, server, reporter, temp)


def _run_local(pending: list[PlannedJob], workers: int, server: KernelForkServer | None,
               reporter: BatchReporter | None, temp: Path) -> list[ManifestEntry]:
    from concurrent.futures import ProcessPoolExecutor

    settings = WorkerSettings(fork=server is not None,
                              fork_socket=server.socket_path or "" if server else "",
                              temp_dir=str(temp))
    environment = {**os.environ, "TMPDIR": str(temp)}  # whatever else workers write goes there too
    # With cores to spare, a worker runs as two processes, of which at most ``workers`` run a
    # report's cells at a time: while one writes the page of the report it has just run, the
    # other runs the next report's cells. Workers start while the fork server warms up; their
    # first kernels wait for it. They end as soon as this process does, however it ends.
    context = _worker_context()
    processes = min(worker_processes(workers), len(pending))
    cells = context.BoundedSemaphore(workers)
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=init_worker,
                               initargs=(settings, environment, os.getpid(), cells))
    try:
        return _drain(pending, processes, lambda p: pool.submit(
            render_job, p.job, p.company_name, settings), reporter)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker_server() -> None:
    """Start the process that forks the workers now, so it imports while the batch is planned.

    Its socket goes into a private run folder of this process (see
    :mod:`alignkit.kernels.temp`), which a killed batch leaves for the next to remove.
    """
    if _worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        private_multiprocessing_folder()
        forkserver.ensure_running()


def _worker_context() -> Any:
    """Fork workers from a server that imported nbconvert and friends once (else spawn)."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["alignkit.factory.preload"])
    return context


def _drain(pending: list[PlannedJob], limit: int, submit: Callable[[PlannedJob], Future[Any]],
           reporter: BatchReporter | None) -> list[ManifestEntry]:
    """Keep at most ``limit`` jobs in flight; collect an entry for each."""
    queue = list(pending)
    running: dict[Future[Any], PlannedJob] = {}
    entries = []
    while queue or running:
        while queue and len(running) < limit:
            planned = queue.pop(0)
            running[submit(planned)] = planned
        if reporter:
            reporter.running([p.job for p in running.values()])
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            planned = running.pop(future)
            entries.append(_entry(planned, _outcome(future, planned)))
            if reporter:
                reporter.finished(entries[-1])
    return entries


def _outcome(future: Future[Any], planned: PlannedJob) -> ReportOutcome:
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001 - e.g. a worker process that died
        return ReportOutcome(planned.job.company, planned.job.stage, "failed", 0.0,
                             error_name=type(err).__name__, error_message=str(err).split("\n")[0])


def _finish(ws: Workspace, out: Path, previous: dict[tuple[str, str], ManifestEntry],
            entries: list[ManifestEntry], brand: Brand, started: float, workers: int,
            scheduler: str | None) -> BatchResult:
    merged = dict(previous)
    for entry in entries:
        if entry.status == "failed" and entry.key in previous and previous[entry.key].files:
            # the last good files are still in place: keep pointing at them
            entry = replace(entry, files=previous[entry.key].files,
                            rendered_at=previous[entry.key].rendered_at)
        merged[entry.key] = entry
    counts = {s: sum(e.status == s for e in entries) for s in ("ok", "failed", "skipped")}
    seconds = time.perf_counter() - started
    run = {"finished_at": now_iso(), "seconds": round(seconds, 3), "workers": workers,
           "scheduler": scheduler or "local", **counts}
    manifest = write_manifest(out, merged, run)
    names = [IndexCompany(c.slug, c.name) for c in ws.companies()]
    indexes = write_indexes(out, names, merged, brand)
    return BatchResult(tuple(entries), manifest, tuple(indexes), seconds, workers,
                       scheduler or "", counts)
