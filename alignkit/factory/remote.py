"""Report jobs that carry their data: what a Dask worker without the workspace renders from.

On a cluster without a shared disk, a job cannot name the workspace, the
notebook or the output folder: none of them exists on the worker. A
:class:`RemoteTask` carries instead what the report needs: the stage
notebook's bytes, the job's settings (wave, threshold, formats, branding,
day), and the company's data as an extract of the store
(:func:`alignkit.store.extract.extract_company`: that company's rows only,
compressed, with its SHA-256). It also names the alignkit version and code it
was planned with; a worker running other code refuses it.

The worker (:func:`run_remote_task`) checks the task, writes the extract as
a workspace in a temporary folder of its own, renders there with its
long-lived renderer, and returns a :class:`RemoteResult`: the outcome, every
rendered file as bytes with its SHA-256, and the publication records the
notebook made (the disclosure hold of :mod:`alignkit.analysis.publications`
must reach the real workspace). The batch (:func:`store_result`) checks the
files, writes them into the output folder atomically and records the
publications, so the manifest, the index pages and the next batch's
incremental skip work exactly as for a local batch.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from alignkit.exceptions import ReportError, StoreError
from alignkit.factory.worker import WorkerSettings, _at_exit, render_job
from alignkit.report.render import ReportJob, ReportOutcome, write_atomic
from alignkit.report.scrub import WORKSPACE
from alignkit.store.extract import extract_company, extract_digest, open_extract
from alignkit.store.files import make_private_dir
from alignkit.store.workspace import Workspace

__all__ = [
    "CompanyData",
    "RemoteResult",
    "RemoteTask",
    "build_id",
    "company_data",
    "make_task",
    "portfolio_jobs",
    "run_remote_task",
    "store_result",
    "worker_build",
]


@dataclass(frozen=True)
class CompanyData:
    """One company's store extract on its way to a worker: compressed, with its checksum."""

    compressed: bytes
    sha256: str  # of the uncompressed extract

    @property
    def size(self) -> int:
        """Bytes on the wire."""
        return len(self.compressed)


@dataclass(frozen=True)
class RemoteTask:
    """One report job with everything it needs, and no path of the consultant's machine."""

    job: ReportJob  # out_dir, workspace and notebook_path are placeholders
    company_name: str
    notebook_name: str
    notebook: bytes
    data: CompanyData
    version: str
    build: str


@dataclass(frozen=True)
class RemoteResult:
    """What a worker sends back: the outcome, the files ``(name, bytes, sha256)``, publications."""

    outcome: ReportOutcome
    files: tuple[tuple[str, bytes, str], ...] = ()
    publications: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # wave, threshold, respondents


@functools.cache
def build_id() -> str:
    """This installation's alignkit code, templates and instrument, as one short hash.

    Two machines with the same alignkit release and files render the same
    report from the same task; the batch and its workers compare this.
    """
    from alignkit import __version__
    from alignkit.catalog.instrument import load_instrument
    from alignkit.catalog.resources import templates_dir
    from alignkit.factory.fingerprint import code_hash, files_hash

    digest = hashlib.sha256(f"{__version__}\x1f{load_instrument().version}\x1f".encode())
    digest.update(code_hash().encode())
    digest.update(files_hash([templates_dir() / "alignkit", templates_dir() / "vendor"]).encode())
    return digest.hexdigest()[:16]


def worker_build() -> tuple[str, str]:
    """``(alignkit version, build id)`` of the process this runs in (run on each worker)."""
    from alignkit import __version__

    return __version__, build_id()


def company_data(workspace: Workspace, slug: str) -> CompanyData:
    """The extract of one company's rows, compressed for the wire."""
    extract = extract_company(workspace, slug)
    return CompanyData(zlib.compress(extract, 6), extract_digest(extract))


def make_task(job: ReportJob, company_name: str, data: CompanyData) -> RemoteTask:
    """A job as a worker without the workspace can run it.

    The notebook goes as bytes; the workspace, output folder and notebook
    paths are replaced by placeholders the worker fills in.
    """
    from alignkit import __version__

    notebook = job.notebook
    placeholder = replace(job, out_dir=Path(job.company), workspace=Path(WORKSPACE), notebook_path=None)
    return RemoteTask(placeholder, company_name, notebook.name, notebook.read_bytes(), data,
                      __version__, build_id())


def portfolio_jobs(workspace: Workspace, jobs: list[ReportJob]) -> set[tuple[str, str]]:
    """``(company, stage)`` of the jobs whose report reads other companies' data.

    Identify's driver view falls back to the portfolio pool (every company's
    published answers, see :func:`alignkit.analysis.drivers.load_drivers`)
    when a company has too few usable answers of its own; even when the pool
    is too small, the report says how many companies and answers it holds.
    An extract carries one company only, so such a report cannot be rendered
    from it: the batch renders it on this machine.
    """
    from alignkit.analysis.disclosure import plan_disclosure, published_answers
    from alignkit.analysis.drivers import MIN_COMPANY, driver_frame
    from alignkit.catalog.instrument import load_instrument

    candidates = [j for j in jobs if j.stage == "identify"]
    if not candidates or sum(bool(workspace.waves(c.slug)) for c in workspace.companies()) < 2:
        return set()
    instrument = load_instrument()
    found = set()
    for job in candidates:
        answers = workspace.answers(job.company, job.wave)
        shown = published_answers(answers, plan_disclosure(answers, instrument, job.anonymity_min),
                                  instrument)
        if len(driver_frame(shown, instrument)) < MIN_COMPANY:
            found.add(job.company_stage)
    return found


def _check_build(task: RemoteTask) -> None:
    version, build = worker_build()
    if (task.version, task.build) != (version, build):
        raise ReportError(
            f"this Dask worker runs alignkit {version} (build {build}) but the batch was "
            f"planned with alignkit {task.version} (build {task.build}); give every worker "
            f"the same alignkit (pip install 'alignkit[dask]=={task.version}') and restart it")


_NOTEBOOKS_LOCK = threading.Lock()


@functools.cache
def _run_folder() -> Path:
    """This worker process's private run folder (see :mod:`alignkit.kernels.temp`).

    Kernels, the fork server's socket, the notebooks and every task's data
    live there; it goes when the process ends, and a killed worker's folder
    is removed by the next alignkit run on that machine.
    """
    from alignkit.kernels.temp import batch_folder

    folder = batch_folder()
    path = folder.__enter__()
    _at_exit(functools.partial(folder.__exit__, None, None, None))
    return path


def _notebook_file(task: RemoteTask) -> Path:
    """The task's notebook as a file, rewritten only when its bytes changed.

    All notebooks share one folder, the kernels' working folder, as in a local batch.
    """
    name = Path(task.notebook_name).name  # a bare file name, whatever the task says
    path = _run_folder() / "notebooks" / name
    make_private_dir(path.parent)
    with _NOTEBOOKS_LOCK:
        if not path.is_file() or path.read_bytes() != task.notebook:
            write_atomic(path, task.notebook)
    return path


def _publications(ws: Workspace, company: str) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    from alignkit.analysis.publications import last_publication

    found = []
    for wave in ws.waves(company):
        record = last_publication(ws, company, wave)
        if record is not None:
            found.append((wave, record.threshold, tuple(sorted(record.respondents))))
    return tuple(found)


def run_remote_task(task: RemoteTask, settings: WorkerSettings) -> RemoteResult:
    """Render one task in a temporary folder of this worker; never touches any other folder.

    Any error (other code, damaged data, a failing notebook) comes back as a
    failed outcome, with a message that names no path of this machine.
    """
    started = time.perf_counter()
    job = task.job
    if not settings.temp_dir:
        settings = replace(settings, temp_dir=str(_run_folder()))
    folder = Path(tempfile.mkdtemp(prefix="task-", dir=settings.temp_root))
    try:
        _check_build(task)
        try:
            extract = zlib.decompress(task.data.compressed)
        except zlib.error:
            raise StoreError(f"the data extract of {job.company} is damaged: it cannot be "
                             "decompressed") from None
        ws = open_extract(extract, task.data.sha256, folder / "workspace", label=job.company)
        local = replace(job, out_dir=folder / "out" / job.company, workspace=ws.root,
                        notebook_path=_notebook_file(task))
        outcome = render_job(local, task.company_name, settings)
        names = [*outcome.files, *([outcome.executed_notebook] if outcome.executed_notebook else [])]
        files = []
        for name in names:
            data = (local.out_dir / name).read_bytes()
            files.append((name, data, hashlib.sha256(data).hexdigest()))
        publications = _publications(ws, job.company) if outcome.status == "ok" else ()
        return RemoteResult(outcome, tuple(files), publications)
    except Exception as err:  # noqa: BLE001 - one broken task must not stop the batch
        message = str(err).splitlines()[0] if str(err) else ""
        return RemoteResult(ReportOutcome(job.company, job.stage, "failed",
                                          time.perf_counter() - started,
                                          error_name=type(err).__name__, error_message=message))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def store_result(result: RemoteResult, job: ReportJob, workspace: Workspace) -> ReportOutcome:
    """Write a worker's files into ``job.out_dir`` atomically and record its publications.

    A file whose bytes do not match their checksum fails the report (nothing
    of it is written); the last good files stay in place.
    """
    outcome = result.outcome
    for name, data, sha256 in result.files:
        if Path(name).name != name or hashlib.sha256(data).hexdigest() != sha256:
            return replace(outcome, status="failed", files=(), executed_notebook="",
                           error_name="ReportError",
                           error_message=f"{name} came back damaged from the Dask worker")
    if result.files or outcome.status == "ok":
        make_private_dir(job.out_dir, within=workspace.root)
    for name, data, _ in result.files:
        write_atomic(job.out_dir / name, data)
    if outcome.status == "ok":
        (job.out_dir / f"{job.stage}.failed.ipynb").unlink(missing_ok=True)
        if result.publications:
            from alignkit.analysis.publications import record_publication

            for wave, threshold, respondents in result.publications:
                record_publication(workspace, job.company, wave, threshold, frozenset(respondents))
    return outcome

