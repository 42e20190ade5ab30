"""A worker's kernel supply: the next kernel boots ahead, yet every report gets a fresh one."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import nbformat
import pytest

from alignkit.kernels.fork_server import KernelForkServer
from alignkit.kernels.supply import KernelSupply
from alignkit.report.execution import execute_notebook, parameterize

CELL = ("import os\n"
        "seen = globals().get('left_behind')\n"
        "left_behind = company\n"
        "print(os.getpid(), os.environ['TMPDIR'], seen, sep='|', end='')")


@pytest.fixture(scope="module")
def fork_server():
    with KernelForkServer(modules=["IPython", "ipykernel.kernelapp"]) as server:
        yield server


def _notebook(company: str):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("company = ''")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return parameterize(nb, {"company": company})


def _run(supply: KernelSupply, company: str, cwd: Path) -> tuple[int, str, str]:
    nb = _notebook(company)
    outcome = execute_notebook(nb, cwd=cwd, timeout=60, supply=supply)
    assert outcome.ok, outcome.error_message
    pid, tmpdir, seen = nb.cells[-1].outputs[0]["text"].split("|")
    return int(pid), tmpdir, seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone(pid: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_each_report_gets_a_fresh_kernel_and_the_spare_is_killed_on_close(fork_server,
                                                                        tmp_path: Path) -> None:
    supply = KernelSupply(fork_server.socket_path, ahead=True)
    try:
        runs = [_run(supply, company, tmp_path) for company in ("acme", "globex", "initech")]
        spare = supply._spare
        assert spare is not None and spare.km.has_kernel  # the next kernel is already running
        spare_pid = spare.km.provisioner.process.pid
    finally:
        supply.close()
    pids = [pid for pid, _, _ in runs]
    assert len(set(pids)) == 3  # never a kernel twice
    assert all(seen == "None" for _, _, seen in runs)  # nothing of the previous company
    assert len({tmpdir for _, tmpdir, _ in runs}) == 3
    assert not any(Path(tmpdir).exists() for _, tmpdir, _ in runs)  # deleted with its kernel
    assert all(_gone(pid) for pid in pids)
    assert _gone(spare_pid)  # the launcher of the spare; its kernel goes with it
    assert supply.loop.is_closed()


def test_a_spare_that_died_is_replaced(fork_server, tmp_path: Path) -> None:
    supply = KernelSupply(fork_server.socket_path, ahead=True)
    try:
        first, _, _ = _run(supply, "acme", tmp_path)
        launcher = supply._spare.km.provisioner.process
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait(timeout=10)
        second, _, seen = _run(supply, "globex", tmp_path)
    finally:
        supply.close()
    assert second != first and seen == "None"


def test_a_spare_from_another_folder_or_environment_is_not_used(fork_server, tmp_path: Path,
                                                               monkeypatch) -> None:
    supply = KernelSupply(fork_server.socket_path, ahead=True)
    try:
        _run(supply, "acme", tmp_path)
        stale = supply._spare
        monkeypatch.setenv("ALIGNKIT_SUPPLY_TEST", "changed")
        _run(supply, "globex", tmp_path)
        assert supply._spare is not stale and not Path(stale.folder.name).exists()
        stale = supply._spare
        other = tmp_path / "elsewhere"
        other.mkdir()
        _run(supply, "initech", other)
        assert supply._spare is not stale and supply._spare.cwd == other
    finally:
        supply.close()


def test_without_ahead_no_kernel_is_left_running(fork_server, tmp_path: Path) -> None:
    supply = KernelSupply(fork_server.socket_path, ahead=False)
    try:
        pid, _, _ = _run(supply, "acme", tmp_path)
        assert supply._spare is None
    finally:
        supply.close()
    assert _gone(pid)
