"""Report kernels: many at once without collisions, forked or not, each a process of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from alignkit.kernels.fork_server import KernelForkServer
from alignkit.kernels.server import report_kernel_manager, start_kernel_with_retry
from alignkit.report.execution import execute_notebook, parameterize

CONCURRENT = 16


@pytest.fixture(scope="module")
def fork_server():
    with KernelForkServer() as server:
        server.wait_warm()  # some tests check what kernels inherit from the warm-up
        yield server


async def _pid_of_new_kernel(fork_socket: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="alignkit-test-kernel-") as folder:
        km = report_kernel_manager(Path(folder), fork_socket=fork_socket)
        client = await start_kernel_with_retry(km)
        try:
            reply = await client.execute_interactive("import os; print(os.getpid(), end='')",
                                                     output_hook=_collect(out := []), timeout=60)
            assert reply["content"]["status"] == "ok"
            return int("".join(out))
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)
            km.close_log()
            km.context.destroy(linger=0)


def _collect(sink: list[str]):
    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            sink.append(msg["content"]["text"])
    return hook


@pytest.mark.parametrize("forked", [False, True], ids=["new-process", "fork-server"])
def test_many_kernels_start_at_once_each_in_its_own_process(forked: bool, fork_server) -> None:
    socket = fork_server.socket_path if forked else None

    async def start_all() -> list[int]:
        return await asyncio.gather(*(_pid_of_new_kernel(socket) for _ in range(CONCURRENT)))

    pids = asyncio.run(start_all())
    assert len(set(pids)) == CONCURRENT
    assert os.getpid() not in pids


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('company = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(s) for s in sources)]
    return nb


def test_forked_kernel_runs_notebook_with_injected_parameters(fork_server, tmp_path: Path) -> None:
    nb = parameterize(_notebook("print(company.upper())"), {"company": "acme"})
    outcome = execute_notebook(nb, cwd=tmp_path, timeout=60, fork_socket=fork_server.socket_path)
    assert outcome.ok
    assert nb.cells[1].metadata["tags"] == ["injected-parameters"]
    assert nb.cells[2].outputs[0]["text"] == "ACME\n"


@pytest.mark.parametrize(("source", "error_name", "message"), [
    ("raise ValueError('bad data for acme')", "ValueError", "bad data for acme"),
    ("import os; os._exit(3)", "DeadKernelError", ""),
])
def test_failures_come_back_as_outcomes_with_the_notebook(fork_server, tmp_path: Path, source: str,
                                                          error_name: str, message: str) -> None:
    nb = parameterize(_notebook("x = 1", source, "y = 2"), {"company": "acme"})
    outcome = execute_notebook(nb, cwd=tmp_path, timeout=60, fork_socket=fork_server.socket_path)
    assert not outcome.ok
    assert outcome.error_name == error_name
    assert message in outcome.error_message
    # parameters, injected parameters and "x = 1" ran; nothing ran after the failure
    counts = [c.execution_count for c in nb.cells]
    assert counts[:3] == [1, 2, 3] and counts[4] is None


def test_a_report_running_past_its_timeout_is_abandoned(fork_server, tmp_path: Path) -> None:
    nb = parameterize(_notebook("import time; time.sleep(60)"), {"company": "acme"})
    outcome = execute_notebook(nb, cwd=tmp_path, timeout=3, fork_socket=fork_server.socket_path)
    assert outcome.timed_out
    assert outcome.seconds < 30


def test_kernel_temporary_files_go_with_the_kernel(fork_server, tmp_path: Path) -> None:
    nb = parameterize(_notebook(
        "import tempfile; handle = tempfile.NamedTemporaryFile(delete=False); print(handle.name)"),
        {"company": "acme"})
    assert execute_notebook(nb, cwd=tmp_path, timeout=60, fork_socket=fork_server.socket_path).ok
    written = Path(nb.cells[2].outputs[0]["text"].strip())
    assert "alignkit-kernel-" in str(written)  # the kernel's private TMPDIR
    assert not written.exists()


@pytest.mark.parametrize("how", ["stop", "crash"])
def test_kernels_never_outlive_their_fork_server(tmp_path: Path, how: str) -> None:
    server = KernelForkServer().start().wait_ready()

    async def start_one():
        km = report_kernel_manager(tmp_path / "k", fork_socket=server.socket_path)
        client = await start_kernel_with_retry(km)
        reply = await client.execute_interactive("import os; print(os.getpid(), end='')",
                                                 output_hook=_collect(out := []), timeout=60)
        client.stop_channels()
        return km, int("".join(out)), reply

    km, pid, reply = asyncio.run(start_one())
    assert reply["content"]["status"] == "ok"
    if how == "crash":  # killed outright: Linux kills its children with it
        os.kill(server.pid, signal.SIGKILL)
    server.stop()
    assert not server.running
    for _ in range(100):  # the kernel is killed when the server goes
        if not _running(pid):
            break
        time.sleep(0.1)
    assert not _running(pid)
    asyncio.run(km.shutdown_kernel(now=True))  # reaps the launcher, which exited with its kernel
    km.close_log()
    km.context.destroy(linger=0)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return False
    return state not in "ZX"  # a zombie has exited


def test_a_kernel_that_fails_to_start_is_started_again(tmp_path: Path) -> None:
    km = report_kernel_manager(tmp_path)
    real_start = km.start_kernel
    attempts = []

    async def flaky_start(**kw):
        attempts.append(kw)
        if len(attempts) == 1:
            raise RuntimeError("address already in use")
        await real_start(**kw)

    km.start_kernel = flaky_start

    async def run() -> str:
        client = await start_kernel_with_retry(km)
        reply = await client.execute_interactive("1", timeout=60)
        client.stop_channels()
        await km.shutdown_kernel(now=True)
        return reply["content"]["status"]

    assert asyncio.run(run()) == "ok"
    assert len(attempts) == 2
    km.close_log()
    km.context.destroy(linger=0)


def test_a_kernel_that_never_starts_is_one_clear_error(tmp_path: Path) -> None:
    from alignkit.exceptions import ReportError

    km = report_kernel_manager(tmp_path)

    async def broken_start(**kw):
        raise RuntimeError("address already in use")

    km.start_kernel = broken_start
    with pytest.raises(ReportError, match="did not start after 3 attempts: address already in use"):
        asyncio.run(start_kernel_with_retry(km))
    km.close_log()
    km.context.destroy(linger=0)


def _printed(fork_server, cwd: Path, *sources: str) -> list[str]:
    """What each of ``sources`` printed, run as cells of one report in a forked kernel."""
    nb = parameterize(_notebook(*sources), {"company": "acme"})
    assert execute_notebook(nb, cwd=cwd, timeout=60, fork_socket=fork_server.socket_path).ok
    return [cell.outputs[0]["text"] for cell in nb.cells[2:]]  # after the two parameter cells


def test_forked_kernel_starts_warm_with_the_inherited_heap_frozen(fork_server, tmp_path: Path) -> None:
    # the server's own objects are skipped by the kernel's garbage collector, which still runs
    assert _printed(fork_server, tmp_path,
                    "import gc, sys\n"
                    "print(gc.get_freeze_count() > 10000, 'matplotlib.backends.backend_svg' in "
                    "sys.modules, 'alignkit.charts.funnel' in sys.modules, gc.isenabled())") == \
        ["True True True True\n"]


def test_forked_kernel_inherits_the_warm_up_catalogues_and_driver_paths(fork_server,
                                                                       tmp_path: Path) -> None:
    # read once by the server's warm-up, so no report kernel parses the YAML or builds the map
    assert _printed(fork_server, tmp_path,
                    "from alignkit.analysis import drivers\n"
                    "from alignkit.catalog import comment_lexicon, maturity, playbook\n"
                    "print(playbook._validated.cache_info().currsize,"
                    " comment_lexicon.load_comment_lexicon.cache_info().currsize,"
                    " maturity.load_maturity_framework.cache_info().currsize,"
                    " drivers._dominance_map.cache_info().currsize)") == ["1 1 1 1\n"]


def test_report_kernels_keep_history_in_memory_and_reply_without_a_pause(fork_server,
                                                                        tmp_path: Path) -> None:
    assert _printed(fork_server, tmp_path,
                    "ip = get_ipython()\nprint(ip.history_manager.hist_file, ip.kernel._execute_sleep)",
                    "print('out of', 'cell 3')") == [":memory: 0.0\n", "out of cell 3\n"]


def test_notebook_imports_lists_what_the_code_cells_import(tmp_path: Path) -> None:
    from alignkit.kernels.fork_server import notebook_imports

    nb = _notebook("%matplotlib inline\nimport numpy as np\n"
                   "from alignkit.charts import identify as charts",
                   "from os.path import join\nif True:\n    import json", "this is not python")
    nb.cells.append(nbformat.v4.new_markdown_cell("import markdown_is_not_code"))
    path = tmp_path / "stage.ipynb"
    nbformat.write(nb, path)
    assert notebook_imports([path]) == ("numpy", "alignkit.charts", "alignkit.charts.identify",
                                        "os.path", "os.path.join", "json")


def test_a_batch_starts_its_fork_server_before_it_imports_any_jupyter_package() -> None:
    import subprocess
    import sys

    probe = ("import sys\nimport alignkit.factory.batch, alignkit.kernels.fork_server\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('jupyter_client', 'nbclient', 'nbconvert', 'ipykernel', 'zmq')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_batch_workers_preload_leaves_the_garbage_collector_on() -> None:
    import subprocess
    import sys

    probe = ("import gc, sys\nimport alignkit.factory.preload\n"
             "print(gc.isenabled(), 'nbconvert' in sys.modules, gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]


def test_a_batch_fork_server_preloads_only_what_its_stages_import() -> None:
    from alignkit.factory.batch import _start_fork_server

    server = _start_fork_server(True, ["identify"])
    try:
        assert "alignkit.charts.identify" in server.modules and "pandas" in server.modules
        assert "alignkit.track.recap" not in server.modules  # recap's statistics need scipy
    finally:
        server.stop()
    server = _start_fork_server(True, ["identify", "recap"])
    try:
        assert "alignkit.track.recap" in server.modules
    finally:
        server.stop()
    assert _start_fork_server(False, ["identify"]) is None


def test_a_forked_kernel_is_the_fork_servers_child_with_no_launcher_between(
        fork_server, tmp_path: Path) -> None:
    from alignkit.kernels.provisioner import ForkProvisioner

    async def run() -> tuple[int, int, str, int | None, int | None]:
        km = report_kernel_manager(tmp_path / "k", fork_socket=fork_server.socket_path)
        client = await start_kernel_with_retry(km)
        try:
            assert isinstance(km.provisioner, ForkProvisioner)
            code = "import os; print(os.getpid(), os.getppid(), end='')"
            await client.execute_interactive(code, output_hook=_collect(out := []), timeout=60)
            pid, parent = map(int, "".join(out).split())
            # jupyter_client interrupts through the provisioner: straight to the kernel
            running = client.execute("import time; time.sleep(30)")
            await asyncio.sleep(0.5)
            await km.interrupt_kernel()
            while True:
                reply = await client.get_shell_msg(timeout=20)
                if reply["parent_header"].get("msg_id") == running:
                    break
            alive = await km.provisioner.poll()
            await km.shutdown_kernel(now=True)
            return pid, parent, reply["content"].get("ename", ""), alive, km.provisioner.pid
        finally:
            client.stop_channels()
            km.close_log()
            km.context.destroy(linger=0)

    pid, parent, interrupted, alive, provisioned = asyncio.run(run())
    assert parent == fork_server.pid  # forked by the server, not started by a launcher
    assert provisioned == pid
    assert interrupted == "KeyboardInterrupt"
    assert alive is None  # running until shut down
    assert not _running(pid)


def test_a_fork_server_that_is_gone_is_a_failed_start_not_a_hang(tmp_path: Path) -> None:
    from alignkit.exceptions import ReportError
    from alignkit.kernels.provisioner import ForkProvisioner

    km = report_kernel_manager(tmp_path / "k", fork_socket=str(tmp_path / "no-server.sock"))
    km.kernel_id = "gone"
    km.provisioner = ForkProvisioner(kernel_id="gone", kernel_spec=km.kernel_spec, parent=km,
                                     fork_socket=km.fork_socket, connect_timeout=0.2)

    async def run() -> None:
        await start_kernel_with_retry(km, attempts=2)

    with pytest.raises(ReportError, match="did not start after 2 attempts"):
        asyncio.run(run())
    km.close_log()
    km.context.destroy(linger=0)
