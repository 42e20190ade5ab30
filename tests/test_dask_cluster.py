"""``alignkit batch --scheduler`` on a real Dask cluster whose workers cannot see the workspace.

The cluster test starts ``dask scheduler`` and two ``dask worker`` processes
from the command line, each worker in an empty folder of its own. Where the
system allows it (``unshare``), the workers run in a mount namespace in which
the consultant's folder (workspace and reports) is replaced by an empty
one, so a worker that tried to open the workspace would fail. The reports
they send back must be the same bytes a local batch writes, with the same
manifest entries, and a second run must skip what did not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from alignkit.analysis.drivers import load_drivers
from alignkit.analysis.publications import last_publication
from alignkit.demo import DEMO_COMPANIES, build_demo_workspace, write_demo_survey
from alignkit.demo.survey import DemoCompany
from alignkit.exceptions import ReportError
from alignkit.factory.batch import render_batch
from alignkit.factory.dask import check_workers, task_name
from alignkit.factory.remote import (
    RemoteResult,
    company_data,
    make_task,
    portfolio_jobs,
    store_result,
    worker_build,
)
from alignkit.intake.survey import import_survey
from alignkit.report.render import ReportJob, ReportOutcome, notebooks_dir
from alignkit.store.settings import save_settings
from alignkit.store.workspace import Workspace

BIN = Path(sys.executable).parent
STAGES = ("identify", "plan", "execute", "recap")
AS_OF = "2026-06-30"


# -- the task and its result, without a cluster ---------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_demo_workspace(tmp_path_factory.mktemp("demo") / "consultant-workspace")


def _job(ws: Workspace, out: Path, company: str = "corvid-health", stage: str = "identify") -> ReportJob:
    return ReportJob(company, stage, out / company, ws.root, as_of=AS_OF,
                     notebook_path=notebooks_dir() / "01_identify.ipynb")


@pytest.mark.slow
def test_a_task_carries_no_path_of_the_consultants_machine(demo: Workspace, tmp_path: Path) -> None:
    job = _job(demo, tmp_path / "out")
    task = make_task(job, "Corvid Health", company_data(demo, job.company))
    wire = pickle.dumps(task)
    for path in (demo.root, tmp_path, notebooks_dir()):
        assert str(path).encode() not in wire
    assert task.notebook == job.notebook.read_bytes() and task.notebook_name == "01_identify.ipynb"
    assert (task.version, task.build) == worker_build()
    assert len(task.data.compressed) < 200_000  # small: a few hundred people and leads


@pytest.mark.slow
def test_returned_files_are_checked_written_privately_and_publications_recorded(
        demo: Workspace, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(demo.root, ws.root)
    job = _job(ws, ws.root / "reports")
    page = b"<html>report</html>"
    published = last_publication(ws, job.company, "baseline")
    assert published is not None
    fewer = tuple(sorted(published.respondents))[:-1]
    result = RemoteResult(ReportOutcome(job.company, job.stage, "ok", 1.0, ("identify.html",)),
                          (("identify.html", page, hashlib.sha256(page).hexdigest()),),
                          (("baseline", 7, fewer),))
    (job.out_dir).mkdir(parents=True)
    (job.out_dir / "identify.failed.ipynb").write_text("{}")
    assert store_result(result, job, ws).status == "ok"
    assert (job.out_dir / "identify.html").read_bytes() == page
    assert (job.out_dir / "identify.html").stat().st_mode & 0o077 == 0
    assert not (job.out_dir / "identify.failed.ipynb").exists()
    again = last_publication(ws, job.company, "baseline")
    assert again is not None and again.threshold == 7 and again.respondents == frozenset(fewer)

    damaged = RemoteResult(result.outcome, (("identify.html", b"<html>other</html>",
                                             hashlib.sha256(page).hexdigest()),))
    outcome = store_result(damaged, job, ws)
    assert outcome.status == "failed" and "damaged" in outcome.error_message
    assert (job.out_dir / "identify.html").read_bytes() == page  # the good file stays
    escaping = RemoteResult(result.outcome, (("../../x.html", page, hashlib.sha256(page).hexdigest()),))
    assert store_result(escaping, job, ws).status == "failed"
    assert not (ws.root / "x.html").exists()


def test_a_worker_with_other_code_stops_the_batch() -> None:
    check_workers({"tcp://a:1": ("1.0", "abc"), "tcp://b:1": ("1.0", "abc")}, "1.0", "abc")
    with pytest.raises(ReportError, match=r"tcp://b:1 runs alignkit 0\.9 .*pip install"):
        check_workers({"tcp://a:1": ("1.0", "abc"), "tcp://b:1": ("0.9", "abc")}, "1.0", "abc")
    with pytest.raises(ReportError, match="build def"):
        check_workers({"tcp://a:1": ("1.0", "def")}, "1.0", "abc")


def test_a_report_that_reads_the_portfolio_pool_stays_on_this_machine(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")

    def add(company: DemoCompany, people: int | None = None) -> None:
        ws.add_company(company.slug, company.name)
        survey = write_demo_survey(company, tmp_path / f"{company.slug}.csv")
        if people is not None:  # keep the first people only: too few for a driver view of its own
            lines = survey.read_text(encoding="utf-8").splitlines(keepends=True)
            survey.write_text("".join(lines[:people + 1]), encoding="utf-8")
        import_survey(survey, company=company.slug, wave="baseline", workspace=ws)

    add(replace(DEMO_COMPANIES[0], slug="tiny-co", name="Tiny Co", seed=7), people=12)
    jobs = [_job(ws, tmp_path / "out", "tiny-co", stage) for stage in ("identify", "plan")]
    assert portfolio_jobs(ws, jobs) == set()  # alone in the workspace: its extract is everything
    for company in (*DEMO_COMPANIES, replace(DEMO_COMPANIES[2], slug="fifth-co", name="Fifth Co")):
        add(company)
    jobs = [_job(ws, tmp_path / "out", c.slug, stage) for c in ws.companies()
            for stage in ("identify", "plan")]
    # the oracle: the driver view itself says whether it read beyond the company's own answers
    pooled = {(c.slug, "identify") for c in ws.companies()
              if load_drivers(c.slug, "baseline", workspace=ws, resamples=2).source != "company"}
    assert ("tiny-co", "identify") in pooled and len(pooled) < len(ws.companies())
    assert portfolio_jobs(ws, jobs) == pooled


# -- a real cluster -----------------------------------------------------------------------------
def _can_hide() -> bool:
    """True when this user may run a process in a mount namespace of its own."""
    if not shutil.which("unshare"):
        return False
    try:
        probe = subprocess.run(["unshare", "-r", "-m", "sh", "-c", "mount -t tmpfs none /mnt"],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _ours(root: Path) -> list[str]:
    """Processes whose working folder or command line lies under ``root``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(root)) or str(root) in cmd:
            found.append(f"{pid} {cmd[:120]}")
    return found


@contextmanager
def dask_cluster(root: Path, hidden: Path | None) -> Iterator[str]:
    """A scheduler and two workers as separate processes; ``hidden`` is absent for the workers."""
    procs: list[subprocess.Popen] = []
    base = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
    # a short TMPDIR: kernels' UNIX sockets live there, and their paths may not be long
    temps = [Path(tempfile.mkdtemp(prefix=f"ak-w{n}-")) for n in (1, 2)]
    try:
        home = root / "scheduler"
        home.mkdir(parents=True)
        info = home / "scheduler.json"
        with open(home / "log.txt", "wb") as log:
            procs.append(subprocess.Popen(
                [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", info], cwd=home, env={**base, "HOME": str(home)},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 60
        while not info.is_file() or not info.stat().st_size:
            assert procs[0].poll() is None and time.monotonic() < deadline, (home / "log.txt").read_text()
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for n in (1, 2):
            own = root / f"worker{n}"
            own.mkdir(parents=True)
            command = [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
                       "--no-dashboard", "--name", f"w{n}", "--local-directory", str(own / "dask")]
            if hidden is not None:  # the consultant's folder: an empty one, as on another machine
                command = ["unshare", "-r", "-m", "sh", "-c",
                           f'mount -t tmpfs none "{hidden}" && exec "$@"', "worker", *command]
            with open(own / "log.txt", "wb") as log:
                procs.append(subprocess.Popen(
                    command, cwd=own, env={**base, "HOME": str(own), "TMPDIR": str(temps[n - 1])},
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        yield address
    finally:
        for proc in reversed(procs):
            with _quiet():
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with _quiet():
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        leftovers = [p for t in temps for p in _ours(t)]
        for temp in temps:
            shutil.rmtree(temp, ignore_errors=True)
        assert leftovers == []  # kernels and fork servers ended with their worker


@contextmanager
def _quiet() -> Iterator[None]:
    try:
        yield
    except ProcessLookupError:
        pass


def _ask_workers(address: str, path: Path) -> dict[str, dict]:
    """Each worker's working folder and whether it sees ``path`` (once both have joined)."""
    script = ("import json, os, sys\nfrom distributed import Client\n"
              "with Client(sys.argv[1], timeout=60) as c:\n"
              "    c.wait_for_workers(2, timeout=60)\n"
              "    print(json.dumps(c.run(lambda p: {'cwd': os.getcwd(), 'sees': os.path.exists(p)},"
              " sys.argv[2])))\n")
    done = subprocess.run([sys.executable, "-c", script, address, str(path)], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _task_prefixes(address: str) -> list[str]:
    """The names of the tasks the scheduler has seen (see :func:`task_name`)."""
    script = ("import json, sys\nfrom distributed import Client\n"
              "with Client(sys.argv[1], timeout=60) as c:\n"
              "    print(json.dumps(c.run_on_scheduler("
              "lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))))\n")
    done = subprocess.run([sys.executable, "-c", script, address], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _batch(ws: Path, address: str, *extra: str) -> dict[tuple[str, str], dict]:
    done = subprocess.run(
        [BIN / "alignkit", "batch", "--workspace", ws, "--scheduler", address, "--stages",
         ",".join(STAGES), "--as-of", AS_OF, "--json", *extra],
        capture_output=True, text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {(r["company"], r["stage"]): r for r in json.loads(done.stdout)["reports"]}


def _manifest(out: Path) -> dict[tuple[str, str], dict]:
    data = json.loads((out / "manifest.json").read_text())
    # a fingerprint covers the workspace's folder too: compared by the skips below instead
    return {(r["company"], r["stage"]): {k: v for k, v in r.items()
                                         if k not in ("seconds", "rendered_at", "fingerprint")}
            for r in data["reports"]}


@pytest.mark.slow
def test_a_cluster_without_the_workspace_renders_what_a_local_batch_renders(
        demo: Workspace, tmp_path: Path) -> None:
    consultant = tmp_path / "consultant"  # the workers never see this folder
    on_cluster, local = consultant / "cluster-ws", consultant / "local-ws"
    shutil.copytree(demo.root, on_cluster)
    shutil.copytree(demo.root, local)
    hide = _can_hide()
    try:
        with dask_cluster(tmp_path / "cluster", consultant if hide else None) as address:
            workers = _ask_workers(address, on_cluster)
            assert len(workers) == 2
            for worker in workers.values():
                assert worker["cwd"].startswith(str(tmp_path / "cluster" / "worker"))
                assert worker["sees"] is (not hide)  # with unshare: the workspace is not there
            first = _batch(on_cluster, address)
            render_batch(local, stages=STAGES, workers=2, as_of=AS_OF)

            assert {e["status"] for e in first.values()} == {"ok"} and len(first) == 3 * len(STAGES)
            # every report went to the workers, except those that read other companies' data
            here = portfolio_jobs(Workspace(on_cluster), [_job(demo, consultant, *k) for k in first])
            names = {key: task_name(_job(demo, consultant, *key)) for key in first}
            there = {name for key, name in names.items() if key not in here}
            assert len(there) >= 4 and set(_task_prefixes(address)) & set(names.values()) == there
            assert _manifest(on_cluster / "reports") == _manifest(local / "reports")
            for company, stage in first:
                ours = (on_cluster / "reports" / company / f"{stage}.html").read_bytes()
                theirs = (local / "reports" / company / f"{stage}.html").read_bytes()
                assert ours == theirs, (company, stage)  # the same bytes, every stage
                assert str(on_cluster).encode() not in ours

            # the cluster's manifest is the one a local batch would have written: nothing to do
            assert render_batch(on_cluster, stages=STAGES, as_of=AS_OF).counts["skipped"] == len(first)
            again = _batch(on_cluster, address)
            assert {e["status"] for e in again.values()} == {"skipped"}

            save_settings(Workspace(on_cluster), "corvid-health", revenue_goal=2_500_000)
            changed = _batch(on_cluster, address)
            assert {k: e["status"] for k, e in changed.items()} == {
                k: "ok" if k[0] == "corvid-health" else "skipped" for k in first}
    finally:
        deadline = time.monotonic() + 15
        while _ours(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert _ours(tmp_path) == []  # no scheduler, worker or kernel left behind
