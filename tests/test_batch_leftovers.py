"""What a batch leaves behind: no temporary folder, no process, no machine path, no open files.

Batches run here as ``alignkit batch`` in processes of their own, with a
private ``TMPDIR``, so that what they leave in it (and which processes
outlive them) can be seen, including after ``kill -9``. The notebooks are
tiny stage notebooks (see ``tests/test_batch.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import alignkit
from alignkit.catalog.stages import STAGES
from alignkit.demo import build_demo_workspace
from alignkit.factory.batch import render_batch


def write_stage_notebooks(folder: Path, *sources: str) -> Path:
    """Tiny stage notebooks: the parameters cell, then ``sources`` as code cells."""
    folder.mkdir(parents=True, exist_ok=True)
    for stage in STAGES:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        params = nbformat.v4.new_code_cell(
            'company = "x"\nwave = "baseline"\nworkspace = ""\nanonymity_min = 5\nas_of = ""')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, *(nbformat.v4.new_code_cell(s) for s in sources)]
        nbformat.write(nb, folder / STAGES[stage].notebook)
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo") / "ws").root


@pytest.fixture
def workspace(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace."""
    return Path(shutil.copytree(demo, tmp_path / "ws"))


@pytest.fixture
def temp() -> Iterator[Path]:
    """An empty temporary folder for a batch process, with a short path as on most machines."""
    folder = Path(tempfile.mkdtemp(prefix="ak-", dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def batch(workspace: Path, notebooks: Path, temp: Path, *args: str,
          mark: str = "") -> subprocess.Popen[str]:
    """Start ``alignkit batch`` with its own temporary folder; do not wait."""
    env = {k: v for k, v in os.environ.items() if k != "ALIGNKIT_WORKSPACE"}
    env.update(TMPDIR=str(temp), ALIGNKIT_NOTEBOOKS=str(notebooks), ALIGNKIT_TEST_MARK=mark)
    return subprocess.Popen([sys.executable, "-m", "alignkit", "batch", "--workspace",
                             str(workspace), "--stages", "identify,plan", "--force", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def marked_processes(mark: str) -> list[str]:
    """Command lines of the live processes whose environment carries ``mark``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def test_a_batch_leaves_no_temporary_folder(workspace: Path, tmp_path: Path, temp: Path) -> None:
    notebooks = write_stage_notebooks(tmp_path / "nb", "1 + 1")
    run = batch(workspace, notebooks, temp, "--workers", "2")
    _, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert sorted(os.listdir(temp)) == []


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("fork", [True, False], ids=["fork-server", "new-process"])
def test_a_killed_batch_leaves_no_process_and_no_folder(workspace: Path, tmp_path: Path,
                                                        temp: Path, fork: bool) -> None:
    notebooks = write_stage_notebooks(tmp_path / "nb", "import time\ntime.sleep(120)")
    mark = uuid.uuid4().hex
    run = batch(workspace, notebooks, temp, "--workers", "2",
                *([] if fork else ["--no-fork"]), mark=mark)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until both workers run a report
        found = marked_processes(mark)  # kernels: started as ipykernel, or forks of the server
        if sum("ipykernel" in c for c in found) + \
                max(0, sum("alignkit.kernels.fork" in c for c in found) - 1) >= 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the reports did not start: {run.poll()} {marked_processes(mark)}")
    time.sleep(1.0)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    deadline = time.monotonic() + 15
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marked_processes(mark) == []

    # The next run, however small, tidies up what the killed one could not.
    quick = write_stage_notebooks(tmp_path / "quick", "1 + 1")
    assert os.listdir(temp) != []
    again = batch(workspace, quick, temp, "--companies", "corvid-health", "--workers", "1")
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert sorted(os.listdir(temp)) == []


def _machine_paths(tmp_path: Path, workspace: Path) -> set[str]:
    paths = {str(workspace), str(workspace.resolve()), str(tmp_path), sys.prefix,
             sys.base_prefix, tempfile.gettempdir(), str(Path(alignkit.__file__).parent),
             os.getcwd(), str(Path.home())}
    return {p for p in paths if p.count(os.sep) > 1}


def test_a_failed_notebook_names_no_machine_path(workspace: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = write_stage_notebooks(
        tmp_path / "nb", "print(workspace)", "import os\nprint(os.getcwd(), os.__file__)",
        "from alignkit.analysis.wave import load_wave\nload_wave('no-such-client', wave, "
        "workspace=workspace + '/nowhere')")
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
    out = tmp_path / "out"
    result = render_batch(workspace, out_dir=out, companies=["corvid-health"],
                          stages=["identify"], workers=1)
    assert result.counts["failed"] == 1
    kept = (out / "corvid-health" / "identify.failed.ipynb").read_text()
    manifest = (out / "manifest.json").read_text()
    for path in _machine_paths(tmp_path, workspace):
        assert path not in kept, path
        assert path not in manifest, path
    nb = nbformat.reads(kept, as_version=4)
    assert nb.cells[-1].outputs[-1]["ename"]  # the error is still there to read
    assert "<workspace>" in json.dumps(nb.metadata)


def test_report_folders_and_files_are_private_whatever_the_umask(
        workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", "1 + 1")))
    old = os.umask(0o022)
    try:
        render_batch(workspace, companies=["corvid-health"], stages=["identify"], workers=1)
    finally:
        os.umask(old)
    reports = workspace / "reports"
    modes = {str(p.relative_to(reports)): stat.S_IMODE(p.stat().st_mode)
             for p in [reports, *reports.rglob("*")]}
    assert modes == {k: (0o700 if (reports / k).is_dir() else 0o600) for k in modes}
    assert modes["corvid-health/identify.html"] == 0o600
