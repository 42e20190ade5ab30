"""Render a stage notebook into a client report: execute, then convert.

The notebook runs in a fresh kernel with the company's parameters (see
:mod:`alignkit.report.execution`); the executed notebook becomes one self-contained
HTML page (code hidden, images embedded, no script loaded from the internet)
through the branded template in ``templates/alignkit``, and optionally a PDF
printed by the system Chromium. Every file is written under a temporary name
and moved into place, so a failed render never replaces a good report; the
executed notebook of a failed run is kept as ``<stage>.failed.ipynb``, with
the workspace's and the machine's paths taken out (see
:mod:`alignkit.report.scrub`). Report folders are made ``0700`` and report
files ``0600``; kernels keep their temporary files in a private folder that
goes when the run ends (see :mod:`alignkit.kernels.temp`).

:class:`Renderer` is the reusable engine (one per worker process);
:func:`render_report` renders one report and raises on failure.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD, check_threshold
from alignkit.catalog.resources import notebooks_dir, templates_dir
from alignkit.catalog.stages import STAGES
from alignkit.exceptions import ReportError
from alignkit.report.branding import Brand
from alignkit.report.formats import output_format
from alignkit.report.scrub import scrub_notebook, scrub_text
from alignkit.store.files import make_private_dir
from alignkit.store.workspace import Workspace

__all__ = [
    "STAGES",
    "RenderedReport",
    "Renderer",
    "ReportJob",
    "ReportOutcome",
    "check_job",
    "notebooks_dir",
    "render_report",
    "templates_dir",
    "write_atomic",
]



def write_atomic(target: Path, data: str | bytes) -> None:
    """Write ``target`` (mode ``0600``) through a hidden temporary file and an atomic rename."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
    partial.chmod(0o600)  # also when an earlier partial file had another mode
    os.replace(partial, target)


@dataclass(frozen=True)
class ReportJob:
    """One company through one stage, and where its files go."""

    company: str
    stage: str
    out_dir: Path
    workspace: Path
    wave: str = "baseline"
    anonymity_min: int = DEFAULT_THRESHOLD
    formats: tuple[str, ...] = ("html",)
    timeout: float = 600.0
    brand: Brand = field(default_factory=Brand)
    index_link: str = ""
    notebook_path: Path | None = None  # default: the stage's notebook in notebooks_dir()
    as_of: str = ""  # YYYY-MM-DD every "as of" figure is read for ("": stored date, else today)

    @property
    def parameters(self) -> dict[str, Any]:
        """The notebook's parameters, exactly as injected."""
        return {"company": self.company, "wave": self.wave, "workspace": str(self.workspace),
                "anonymity_min": self.anonymity_min, "as_of": self.as_of}

    @property
    def company_stage(self) -> tuple[str, str]:
        """``(company, stage)``, the key of this job in the manifest."""
        return (self.company, self.stage)

    @property
    def notebook(self) -> Path:
        """The stage notebook this job runs."""
        return self.notebook_path or notebooks_dir() / STAGES[self.stage].notebook


@dataclass(frozen=True)
class ReportOutcome:
    """How a job ended: ``status`` is ``ok`` or ``failed``; files written, if any."""

    company: str
    stage: str
    status: str
    seconds: float
    files: tuple[str, ...] = ()
    error_name: str = ""
    error_message: str = ""
    attempts: int = 1
    executed_notebook: str = ""


@dataclass(frozen=True)
class RenderedReport:
    """Where a report went and what it was made from."""

    company: str
    stage: str
    html: Path
    parameters: dict[str, Any]


class Renderer:
    """Executes and converts report jobs; keep one per worker and reuse it.

    Parameters
    ----------
    fork_socket
        Socket of a running :class:`~alignkit.kernels.fork_server.KernelForkServer`, or
        ``None`` to start every kernel as a new Python process.
    retries
        How many times a report that timed out is run again.
    ahead
        Launch the next report's kernel while a report runs (for workers that
        render many reports); call :meth:`close` when done.
    cells_in_fork
        With a fork server: run each report's cells in a forked child without
        a Jupyter kernel (see :mod:`alignkit.kernels.runner`); same outputs,
        less overhead per cell.
    temp_root
        The run's private folder for the kernels' folders (see
        :mod:`alignkit.kernels.temp`); default: the system's temporary folder.
    cells_slot
        A lock or semaphore held while a report's cells run (not while its page
        is written), shared by a batch's worker processes so that one of them
        can write a page while another runs the next report. A forked report
        child is made before the slot is taken, so the fork costs no turn.
    """

    def __init__(self, fork_socket: str | None = None, retries: int = 1, *,
                 ahead: bool = False, temp_root: Path | None = None,
                 cells_in_fork: bool = False, cells_slot: Any = None) -> None:
        from alignkit.kernels.supply import KernelSupply
        from alignkit.report.html import take_exporter

        self.fork_socket = fork_socket
        self.retries = retries
        self.exporter = take_exporter()
        self.cells_in_fork = bool(cells_in_fork and fork_socket)
        self.cells_slot = cells_slot
        self.temp_root = temp_root
        self.supply = KernelSupply(fork_socket, ahead=ahead and not self.cells_in_fork,
                                   temp_root=temp_root)
        self._notebooks: dict[Path, tuple[float, Any]] = {}

    def close(self) -> None:
        """Stop the kernel launched ahead and the browser that printed PDFs, if any."""
        try:
            self.supply.close()
        finally:
            self.exporter.close()

    def render(self, job: ReportJob, company_name: str) -> ReportOutcome:
        """Run ``job``; never raises for a failing notebook (see the outcome)."""
        from alignkit.report.execution import execute_notebook, parameterize

        started = time.perf_counter()
        make_private_dir(job.out_dir, within=job.workspace)
        source = self._load(job.notebook)
        spent, attempt = 0.0, 0
        while True:
            attempt += 1
            executed = parameterize(source, job.parameters)
            # held while the cells run: the page is written after it is free for the next
            run = execute_notebook(executed, cwd=job.notebook.parent.resolve(),
                                   timeout=job.timeout, supply=self.supply,
                                   fork_socket=self.fork_socket, cells_in_fork=self.cells_in_fork,
                                   temp_root=self.temp_root, slot=self.cells_slot)
            spent += run.seconds
            if not (run.timed_out and attempt <= self.retries):
                break
        if not run.ok:
            kept = self._keep_failed(job, executed)
            return ReportOutcome(job.company, job.stage, "failed", spent, (), run.error_name,
                                 scrub_text(run.error_message, job.workspace), attempt, kept)
        try:
            files = self._write(job, executed, company_name)
        except ReportError as err:
            return ReportOutcome(job.company, job.stage, "failed", spent, (), "ReportError", str(err),
                                 attempt)
        (job.out_dir / f"{job.stage}.failed.ipynb").unlink(missing_ok=True)
        return ReportOutcome(job.company, job.stage, "ok", time.perf_counter() - started, files,
                             attempts=attempt)

    def _load(self, notebook: Path) -> Any:
        import nbformat

        if not notebook.is_file():
            raise ReportError(f"notebook {notebook.name} not found in {notebook.parent}")
        stamp = notebook.stat().st_mtime
        cached = self._notebooks.get(notebook)
        if cached is None or cached[0] != stamp:
            cached = (stamp, nbformat.read(notebook, as_version=4))
            self._notebooks[notebook] = cached
        return cached[1]

    def _write(self, job: ReportJob, executed: Any, company_name: str) -> tuple[str, ...]:
        from alignkit import __version__
        context = {**job.brand.context(), "company": company_name,
                   "stage_title": STAGES[job.stage].title, "title": f"{company_name} · {job.stage}",
                   "subtitle": STAGES[job.stage].subtitle.format(wave=job.wave),
                   "date": job.as_of or date.today().isoformat(),
                   "anonymity_min": job.anonymity_min, "version": __version__,
                   "index_link": job.index_link}
        html = self.exporter.to_html(executed, context)
        written = []
        for name in job.formats:  # each format is one module of alignkit.report.formats
            fmt = output_format(name)
            write_atomic(job.out_dir / f"{job.stage}{fmt.suffix}", fmt.export(self.exporter, html))
            written.append(f"{job.stage}{fmt.suffix}")
        return tuple(written)

    @staticmethod
    def _keep_failed(job: ReportJob, executed: Any) -> str:
        """Keep the executed notebook for diagnosis, without any of the machine's paths."""
        import nbformat

        target = job.out_dir / f"{job.stage}.failed.ipynb"
        write_atomic(target, nbformat.writes(scrub_notebook(executed, job.workspace)))
        return target.name


def report_day(ws: Workspace, company: str, as_of: str | None = "") -> str:
    """The day a report is read for: ``as_of`` if given, else the stored report date, else today.

    Resolved before rendering so that the day is part of the report's
    parameters (and of its fingerprint in a batch).
    """
    from datetime import date

    from alignkit.store.settings import load_settings

    if as_of:
        try:
            return date.fromisoformat(str(as_of)).isoformat()
        except ValueError:
            raise ReportError(f"--as-of must be a day as YYYY-MM-DD, not {as_of!r}") from None
    return load_settings(ws, company).as_of().isoformat()


def check_job(job: ReportJob, workspace: Workspace | None = None) -> str:
    """Refuse a job that cannot run; return the company's display name.

    Raises
    ------
    ReportError
        Unknown stage, or the stage notebook does not exist.
    UnknownCompanyError, StoreError
        Unknown company or wave.
    """
    if job.stage not in STAGES:
        raise ReportError(f"unknown stage '{job.stage}'; choose one of {', '.join(STAGES)}")
    ws = workspace or Workspace(job.workspace)
    info = ws.company(job.company)
    if job.wave not in ws.waves(job.company):
        ws.answers(job.company, job.wave)  # raises the store's message naming the known waves
    check_threshold(job.anonymity_min)
    if not job.notebook.is_file():
        raise ReportError(f"notebook {job.notebook.name} not found in {job.notebook.parent}")
    return info.name


def render_report(
    company: str,
    stage: str,
    out_dir: str | Path,
    *,
    workspace: str | Path | None = None,
    wave: str = "baseline",
    anonymity_min: int = DEFAULT_THRESHOLD,
    timeout: int = 600,
    brand: Brand | None = None,
    as_of: str = "",
) -> RenderedReport:
    """Execute a stage notebook for one company and write ``<out_dir>/<stage>.html``.

    ``as_of`` (``YYYY-MM-DD``) is the day every "as of" figure is read for;
    empty: the company's stored report date, else today.

    Raises
    ------
    ReportError
        When the stage is unknown or the notebook fails (the executed notebook
        is kept next to the report as ``<stage>.failed.ipynb``).
    UnknownCompanyError
        When the company is not registered.
    """
    from alignkit.kernels.temp import batch_folder
    from alignkit.report.branding import load_brand

    ws = Workspace(workspace)
    job = ReportJob(company, stage, Path(out_dir), ws.root, wave, anonymity_min,
                    timeout=timeout, brand=brand or load_brand(),
                    as_of=report_day(ws, company, as_of))
    name = check_job(job)
    with batch_folder() as temp:
        renderer = Renderer(retries=0, temp_root=temp)
        try:
            outcome = renderer.render(job, name)
        finally:
            renderer.close()
    if outcome.status != "ok":
        kept = f" (executed notebook kept at {job.out_dir / outcome.executed_notebook})" \
            if outcome.executed_notebook else ""
        raise ReportError(f"{job.notebook.name} failed: {outcome.error_name}: "
                          f"{outcome.error_message}{kept}")
    return RenderedReport(company, stage, job.out_dir / f"{stage}.html", job.parameters)
