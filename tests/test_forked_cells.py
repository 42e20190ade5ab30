"""A report's cells run in a forked child without a Jupyter kernel give a kernel's outputs.

Batch workers run each report's cells in a child of the fork server with
IPython's own shell (:mod:`alignkit.kernels.runner`), not in an ipykernel.
These tests run the same notebooks both ways and compare what comes out
(the children from a server as a batch worker starts it, which builds their
shell ahead), then check failures, time-outs, a dying child and isolation.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from alignkit.catalog.stages import STAGES
from alignkit.kernels.fork_server import KernelForkServer
from alignkit.report.execution import execute_notebook
from alignkit.report.render import Renderer, ReportJob

pytestmark = pytest.mark.slow

MANY_OUTPUTS = [
    "%matplotlib inline\n%config InlineBackend.figure_formats = ['svg']\n"
    "%config InlineBackend.print_figure_kwargs = {'bbox_inches': None, 'metadata': {'Date': None}}\n"
    "import matplotlib\nmatplotlib.rcParams['svg.hashsalt'] = 'same'",
    "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\nprint('stdout again')",
    "from IPython.display import Markdown, HTML, display, clear_output\n"
    "display(Markdown('**bold** <b>x</b>'))\nprint('between')\ndisplay(HTML('<i>i</i>'))",
    "import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': ['x', None]})",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 1))\nax.plot([1, 2])\nfig",
    "plt.figure(figsize=(1, 1)); plt.plot([3, 1]);",  # drawn by the inline backend after the cell
    "handle = display(Markdown('first'), display_id='live')",
    "handle.update(Markdown('updated from a later cell'))\nprint('done')",
    "print('gone'); clear_output(wait=True); print('kept')",
    "display(Markdown('a')); clear_output(); display(Markdown('b'))",
    "   ",  # skipped, as nbclient skips it
    "import ipywidgets\nipywidgets.IntSlider(value=40, description='Leads')",
    "from IPython.display import Image\nimport base64\n"
    "Image(data=base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='))",
    "1 / 0",
    "print('never run')",
]


class Servers:
    """A fork server for kernels, and one as a batch worker starts (children run cells only,
    with the shell built ahead), warmed up."""

    def __init__(self, kernels: KernelForkServer, runners: KernelForkServer) -> None:
        self.kernels, self.runners = kernels, runners

    def socket(self, in_fork: bool) -> str:
        return (self.runners if in_fork else self.kernels).socket_path


@pytest.fixture(scope="module")
def fork_server():
    with KernelForkServer() as kernels, KernelForkServer(kernels=False) as runners:
        runners.wait_warm()
        yield Servers(kernels, runners)


def _notebook(sources: list[str]) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _without_random_ids(notebook: nbformat.NotebookNode) -> str:
    """The outputs and metadata as JSON, widget model ids (random) numbered in order of use."""
    text = json.dumps({"cells": [{k: c.get(k) for k in ("outputs", "execution_count")}
                                 for c in notebook.cells],
                       "metadata": notebook.metadata})
    ids: dict[str, str] = {}
    text = re.sub(r"[0-9a-f]{32}", lambda m: ids.setdefault(m.group(0), f"model-{len(ids)}"), text)
    return json.dumps(json.loads(text), sort_keys=True)


def _run(sources: list[str], fork_server: Servers, cwd: Path, *, in_fork: bool,
         timeout: float = 60):
    notebook = _notebook(sources)
    outcome = execute_notebook(notebook, cwd=cwd, timeout=timeout,
                               fork_socket=fork_server.socket(in_fork), cells_in_fork=in_fork)
    return notebook, outcome


def test_the_outputs_are_the_ones_a_kernel_gives(fork_server, tmp_path: Path) -> None:
    kernel, by_kernel = _run(MANY_OUTPUTS, fork_server, tmp_path, in_fork=False)
    child, by_child = _run(MANY_OUTPUTS, fork_server, tmp_path, in_fork=True)
    assert (by_child.error_name, by_child.error_message) == \
        (by_kernel.error_name, by_kernel.error_message) == ("ZeroDivisionError", "division by zero")
    assert _without_random_ids(child) == _without_random_ids(kernel)
    outputs = [o for c in child.cells for o in c.outputs]
    kinds = {o.output_type for o in outputs}
    assert kinds == {"stream", "display_data", "execute_result", "error"}
    assert child.metadata.language_info["name"] == "python"
    assert "widgets" not in child.metadata  # as nbclient: a failed run saves no widget state
    assert child.cells[6].outputs[0].data["text/markdown"] == "updated from a later cell"
    assert [o.get("text") for o in child.cells[8].outputs] == ["kept\n"]
    assert child.cells[-1].execution_count is None and not child.cells[-1].outputs


def test_a_notebook_imports_a_module_next_to_it_as_in_a_kernel(fork_server, tmp_path: Path) -> None:
    (tmp_path / "helper_next_to_notebook.py").write_text("VALUE = 42\n")
    sources = ["import helper_next_to_notebook\nprint(helper_next_to_notebook.VALUE)",
               "import sys\nprint(sys.path.index('') < min(i for i, p in enumerate(sys.path)"
               " if p.endswith('site-packages')))"]
    kernel, by_kernel = _run(sources, fork_server, tmp_path, in_fork=False)
    child, by_child = _run(sources, fork_server, tmp_path, in_fork=True)
    assert by_kernel.ok and by_child.ok, (by_kernel.error_message, by_child.error_message)
    assert [c.outputs for c in child.cells] == [c.outputs for c in kernel.cells]
    assert child.cells[0].outputs[0]["text"] == "42\n"


def test_widget_state_is_saved_as_a_kernel_saves_it(fork_server, tmp_path: Path) -> None:
    sources = ["import ipywidgets\nslider = ipywidgets.IntSlider(value=40, description='Leads')\n"
               "slider", "slider.value = 55\nipywidgets.Dropdown(options=['a', 'b'])"]
    kernel, by_kernel = _run(sources, fork_server, tmp_path, in_fork=False)
    child, by_child = _run(sources, fork_server, tmp_path, in_fork=True)
    assert by_kernel.ok and by_child.ok
    assert _without_random_ids(child) == _without_random_ids(kernel)
    state = child.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert {"IntSliderModel", "DropdownModel"} <= {w["model_name"] for w in state.values()}
    assert 55 in [w["state"].get("value") for w in state.values()]


def test_cells_tagged_raises_exception_may_fail_and_skip_execution_do_not_run(
        fork_server, tmp_path: Path) -> None:
    sources = ["raise ValueError('expected')", "print('skipped')", "import sys\nprint('after')"]
    runs = {}
    for in_fork in (False, True):
        notebook = _notebook(sources)
        notebook.cells[0].metadata["tags"] = ["raises-exception"]
        notebook.cells[1].metadata["tags"] = ["skip-execution"]
        outcome = execute_notebook(notebook, cwd=tmp_path, timeout=60,
                                   fork_socket=fork_server.socket(in_fork), cells_in_fork=in_fork)
        assert outcome.ok
        runs[in_fork] = notebook
    notebook = runs[True]
    assert notebook.cells[0].outputs[0].ename == "ValueError"
    assert not notebook.cells[1].outputs and notebook.cells[1].execution_count is None
    assert notebook.cells[2].outputs[0].text == "after\n"
    assert [c.execution_count for c in notebook.cells] == [1, None, 2]
    assert _without_random_ids(runs[True]) == _without_random_ids(runs[False])


def test_a_report_that_runs_too_long_is_stopped_and_its_process_killed(fork_server,
                                                                        tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sources = [f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))",
               "time.sleep(60)"]
    started = time.monotonic()
    _, outcome = _run(sources, fork_server, tmp_path, in_fork=True, timeout=2)
    assert outcome.timed_out
    assert time.monotonic() - started < 10
    pid = int(pid_file.read_text())
    for _ in range(100):  # the fork server reaps it
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()


def test_a_child_that_dies_fails_its_report_only(fork_server, tmp_path: Path) -> None:
    _, died = _run(["print('x')", "import os\nos._exit(3)"], fork_server, tmp_path, in_fork=True)
    assert (died.error_name, died.ok) == ("DeadKernelError", False)
    _, fine = _run(["print('x')"], fork_server, tmp_path, in_fork=True)
    assert fine.ok


def test_each_report_has_its_own_process_folder_and_random_state(fork_server,
                                                                  tmp_path: Path) -> None:
    probe = ["import os, tempfile, numpy\n"
             "print(os.getpid(), os.getcwd(), tempfile.gettempdir(), numpy.random.random())"]
    seen = []
    for _ in range(2):
        notebook, outcome = _run(probe, fork_server, tmp_path, in_fork=True)
        assert outcome.ok
        pid, cwd, tmp, draw = notebook.cells[0].outputs[0].text.split()
        seen.append((pid, tmp, draw))
        assert cwd == str(tmp_path)
        assert not Path(tmp).exists()  # the private TMPDIR went with the child
    assert len({s[0] for s in seen}) == len({s[1] for s in seen}) == len({s[2] for s in seen}) == 2
    assert str(os.getpid()) not in {s[0] for s in seen}


def test_every_stage_report_has_the_same_bytes_either_way(fork_server, tmp_path: Path) -> None:
    workspace = Path(os.environ["ALIGNKIT_WORKSPACE"])
    pages = {}
    for in_fork in (False, True):
        renderer = Renderer(fork_socket=fork_server.socket(in_fork), cells_in_fork=in_fork)
        try:
            for stage in STAGES:
                job = ReportJob("bluepeak-logistics", stage, tmp_path / str(in_fork), workspace,
                                as_of="2026-12-04")
                outcome = renderer.render(job, "Bluepeak Logistics")
                assert outcome.status == "ok", outcome.error_message
                pages[in_fork, stage] = (job.out_dir / f"{stage}.html").read_bytes()
        finally:
            renderer.close()
    for stage in STAGES:
        assert pages[True, stage] == pages[False, stage], stage


def test_a_notebook_is_not_changed_by_a_failed_start(tmp_path: Path) -> None:
    notebook = _notebook(["print(1)"])
    before = copy.deepcopy(notebook)
    outcome = execute_notebook(notebook, cwd=tmp_path, timeout=2,
                               fork_socket=str(tmp_path / "no-such.sock"), cells_in_fork=True)
    assert not outcome.ok
    assert notebook == before


def test_a_failed_start_gives_the_turn_back(tmp_path: Path) -> None:
    import threading

    turn = threading.Semaphore(1)
    failures = [{"temp_root": tmp_path / "gone"},  # fails before it asks for a child
                {}]  # the fork server is not there
    for held, options in ((False, failures[0]), (False, failures[1]), (True, failures[1])):
        if held:  # another report has the turn for a moment
            turn.acquire()
            threading.Timer(0.3, turn.release).start()
        outcome = execute_notebook(_notebook(["print(1)"]), cwd=tmp_path, timeout=2,
                                   fork_socket=str(tmp_path / "no-such.sock"), cells_in_fork=True,
                                   slot=turn, **options)
        assert not outcome.ok
        time.sleep(0.4)
        assert turn.acquire(False)  # free again, and given back only once
        assert not turn.acquire(False)
        turn.release()


def test_a_report_asked_of_a_server_that_has_died_fails_at_once(tmp_path: Path) -> None:
    from alignkit.kernels.fork import SERVER_GONE, server_gone
    from alignkit.kernels.provisioner import request_kernel

    server = KernelForkServer(["json"], temp_root=tmp_path).start()
    assert server.socket_path and not server_gone(server.socket_path)  # alive: its lock is held
    server._process.kill()  # at once: most likely before it could open its socket
    server._process.wait()
    assert server_gone(server.socket_path)
    started = time.monotonic()
    outcome = execute_notebook(_notebook(["print(1)"]), cwd=tmp_path, timeout=60,
                               fork_socket=server.socket_path, cells_in_fork=True)
    assert not outcome.ok and SERVER_GONE in outcome.error_message
    with pytest.raises(ConnectionError, match="fork server has stopped"):  # as a kernel, too
        import asyncio

        asyncio.run(request_kernel(server.socket_path, ["python"], cwd=str(tmp_path), env={}))
    assert time.monotonic() - started < 10  # not the 60 s it would wait for a server to start
    server.stop()


IMPORTED_LATE = """
import sys
from alignkit.kernels import runner
print("LATE", sorted(m for m in set(sys.modules) - runner.STARTED_WITH
                     if m.split(".")[0] in {"alignkit", "IPython", "ipykernel", "pandas", "numpy",
                                            "matplotlib", "scipy"}))
"""


def test_a_stage_report_imports_nothing_the_fork_server_did_not_load(tmp_path: Path) -> None:
    from alignkit.catalog.resources import notebooks_dir

    workspace = Path(os.environ["ALIGNKIT_WORKSPACE"])
    with KernelForkServer(kernels=False) as server:  # what a batch worker's server loads
        server.wait_warm()  # the first kernels of a batch may start before the warm-up
        renderer = Renderer(fork_socket=server.socket_path, cells_in_fork=True)
        try:
            for stage, info in STAGES.items():
                notebook = nbformat.read(notebooks_dir() / info.notebook, as_version=4)
                notebook.cells.append(nbformat.v4.new_code_cell(IMPORTED_LATE))
                path = tmp_path / info.notebook
                nbformat.write(notebook, path)
                job = ReportJob("corvid-health", stage, tmp_path / "out", workspace,
                                as_of="2026-12-04", notebook_path=path)
                assert renderer.render(job, "Corvid Health").status == "ok"
                page = (tmp_path / "out" / f"{stage}.html").read_text()
                assert re.search(r"LATE \[\]", page), (stage, re.search(r"LATE .*", page))
        finally:
            renderer.close()


CACHES = "from alignkit.charts.svg import cache_sizes\nprint('LAYOUTS', cache_sizes()['layouts'])"


def _layouts_seen(server: KernelForkServer, cwd: Path) -> int:
    notebook = _notebook([CACHES])
    outcome = execute_notebook(notebook, cwd=cwd, timeout=60, fork_socket=server.socket_path,
                               cells_in_fork=True)
    assert outcome.ok, outcome.error_message
    return int(re.search(r"LAYOUTS (\d+)", notebook.cells[0].outputs[0]["text"]).group(1))


def test_a_report_waiting_when_the_server_has_imported_starts_before_its_warm_up(
        tmp_path: Path) -> None:
    from alignkit.kernels.fork import RUNNER_MODULES

    server = KernelForkServer(RUNNER_MODULES + ("alignkit.charts.identify",)).start()
    try:
        first = _layouts_seen(server, tmp_path)  # asked before the server had even imported
        meanwhile = _layouts_seen(server, tmp_path)  # asked while it warms up (about 0.5 s)
        server.wait_warm()
        later = _layouts_seen(server, tmp_path)
    finally:
        server.stop()
    assert first == 0  # forked as soon as the modules were loaded, without waiting for the warm-up
    assert meanwhile < later  # forked between two steps of the warm-up, not after all of them
    assert later > 50  # every later child starts with the text layouts the warm-up filled


def test_a_warm_child_finds_alignkit_s_library_imported_and_comment_patterns_compiled(
        fork_server, tmp_path: Path) -> None:
    probe = ("import gc, pkgutil, sys, importlib, re\n"
             "from alignkit.kernels.warmup import LIBRARY_PACKAGES\n"
             "missing = [m.name for p in LIBRARY_PACKAGES\n"
             "           for m in pkgutil.walk_packages(importlib.import_module('alignkit.' + p)"
             ".__path__, f'alignkit.{p}.') if m.name not in sys.modules]\n"
             "print('GC', gc.isenabled(), 'MISSING', missing, 'PATTERNS', len(re._cache))")
    notebook, outcome = _run([probe], fork_server, tmp_path, in_fork=True)
    assert outcome.ok, outcome.error_message
    printed = notebook.cells[0].outputs[0]["text"]
    assert printed.startswith("GC True ")  # the server collects again once it has imported
    assert "MISSING [] " in printed  # a report imports none of them itself
    assert int(printed.split("PATTERNS")[1]) > 20  # the comment lexicon's, among others


PROBE_MEMORY = ("import re\n"
                "from alignkit.kernels.runner import HOT\n"
                "rollup = open('/proc/self/smaps_rollup').read()\n"
                "print('PRIVATE', re.search(r'Private_Dirty:\\s+(\\d+)', rollup).group(1), 'LEARNED',"
                " sum(end - start for start, end in HOT.ranges) // 1024 if HOT else -1)")


def _probed(notebook: nbformat.NotebookNode, cell: int = 0) -> tuple[int, int]:
    """(KiB of private memory as the cell ran, KiB of pages the server had learned)."""
    found = re.search(r"PRIVATE (\d+) LEARNED (-?\d+)", notebook.cells[cell].outputs[0]["text"])
    return int(found.group(1)), int(found.group(2))


linux_only = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(),
                                reason="reads Linux's /proc")


@pytest.fixture()
def fresh_runners():
    """A warm server whose children run cells, that has not learned anything from them yet."""
    with KernelForkServer(kernels=False) as server:
        server.wait_warm()
        yield server


def _run_on(server: KernelForkServer, sources: list[str], cwd: Path, **options):
    notebook = _notebook(sources)
    outcome = execute_notebook(notebook, cwd=cwd, timeout=60, fork_socket=server.socket_path,
                               cells_in_fork=True, **options)
    return notebook, outcome


def _while_another_report_runs(sources: list[str], fork_server: Servers, cwd: Path,
                               meanwhile: Callable[[dict[str, object]], None]):
    """Run ``sources`` in a child while another report holds the turn for 1.5 s, then let
    the turn go; ``meanwhile`` checks what has happened before. (outcome, notebook, turn)"""
    import threading

    turn = threading.Semaphore(1)
    done: dict[str, object] = {}

    def run() -> None:
        notebook = _notebook(sources)
        done["outcome"] = execute_notebook(notebook, cwd=cwd, timeout=60,
                                           fork_socket=fork_server.socket(True),
                                           cells_in_fork=True, slot=turn)
        done["notebook"] = notebook

    turn.acquire()  # another report is running its cells
    waiting = threading.Thread(target=run)
    waiting.start()
    time.sleep(1.5)
    meanwhile(done)
    turn.release()
    waiting.join(60)
    return done["outcome"], done["notebook"], turn


def test_a_child_that_waits_for_its_turn_runs_when_the_turn_comes(fork_server,
                                                                    tmp_path: Path) -> None:
    def meanwhile(done: dict[str, object]) -> None:
        assert "outcome" not in done  # it waits for the turn, however long it takes

    outcome, notebook, turn = _while_another_report_runs(MANY_OUTPUTS, fork_server, tmp_path,
                                                         meanwhile)
    assert turn.acquire(False)  # given back when the report is done
    assert outcome.error_name == "ZeroDivisionError"  # MANY_OUTPUTS ends on one
    assert outcome.seconds < 1.5  # counted from the moment the turn came
    straight, _ = _run(MANY_OUTPUTS, fork_server, tmp_path, in_fork=True)
    assert _without_random_ids(notebook) == _without_random_ids(straight)


def test_a_child_ahead_of_its_turn_runs_no_cell_past_the_set_up_before_the_turn(
        fork_server, tmp_path: Path) -> None:
    set_up = ["company = 'acme'  # parameters", "%matplotlib inline", "import os"]
    sources = [*set_up, "import pathlib\npathlib.Path('ran').write_text(company)",
               *MANY_OUTPUTS[1:]]

    def meanwhile(done: dict[str, object]) -> None:
        assert not (tmp_path / "ran").exists()  # the first cell that is not set-up waits

    outcome, notebook, _ = _while_another_report_runs(sources, fork_server, tmp_path, meanwhile)
    assert (tmp_path / "ran").read_text() == "acme"
    assert outcome.error_name == "ZeroDivisionError"  # MANY_OUTPUTS ends on one
    (tmp_path / "ran").unlink()
    straight, _ = _run(sources, fork_server, tmp_path, in_fork=True)
    assert _without_random_ids(notebook) == _without_random_ids(straight)


@linux_only
def test_a_child_asked_for_ahead_during_the_warm_up_is_forked_warm(tmp_path: Path) -> None:
    import threading

    from alignkit.kernels.fork import RUNNER_MODULES

    server = KernelForkServer(RUNNER_MODULES + ("alignkit.charts.identify",)).start()
    turn = threading.Semaphore(1)
    done: dict[str, object] = {}
    try:
        turn.acquire()  # another report has the turn: the next child is asked for ahead
        waiting = threading.Thread(target=lambda: done.update(
            ahead=_run_on(server, [PROBE_MEMORY], tmp_path, slot=turn)))
        waiting.start()
        now, _ = _run_on(server, [PROBE_MEMORY], tmp_path)  # needed now: forked at once
        server.wait_warm()
        turn.release()
        waiting.join(60)
    finally:
        server.stop()
    ahead, outcome = done["ahead"]
    assert outcome.ok, outcome.error_message
    assert _probed(now)[1] == -1  # forked before the warm-up had ended
    assert _probed(ahead)[1] == 0  # forked as it ended, although asked for before


@linux_only
def test_the_server_learns_the_pages_reports_write_and_later_children_copy_them_at_once(
        fresh_runners, tmp_path: Path) -> None:
    from alignkit.kernels.prefault import HotPages

    work = [PROBE_MEMORY, "import pandas as pd\nframe = pd.DataFrame({'a': range(10_000)})\n"
            "frame.describe()", PROBE_MEMORY]
    seen = [_probed(_run_on(fresh_runners, work, tmp_path)[0], 2)
            for _ in range(HotPages().wanted + 2)]
    assert [learned for _, learned in seen[:HotPages().wanted]] == [0] * HotPages().wanted
    learned = seen[-1][1]
    assert learned > 1024  # at least a MiB: the pages every report writes
    later, _ = _run_on(fresh_runners, work, tmp_path)
    private_at_start, _ = _probed(later, 0)
    assert private_at_start >= learned  # copied before the first cell ran


def test_a_child_whose_turn_is_free_runs_at_once_and_gives_the_turn_back(
        fork_server, tmp_path: Path) -> None:
    import threading

    turn = threading.Semaphore(1)
    notebook = _notebook(["print('ran')"])
    outcome = execute_notebook(notebook, cwd=tmp_path, timeout=60,
                               fork_socket=fork_server.socket(True), cells_in_fork=True, slot=turn)
    assert outcome.ok, outcome.error_message
    assert notebook.cells[0].outputs[0]["text"] == "ran\n"
    assert turn.acquire(False)


def test_while_warming_up_the_server_leaves_a_core_to_the_warm_up() -> None:
    from alignkit.kernels.fork import must_wait

    needed_now, ahead = {"mode": "cells"}, {"mode": "cells", "ahead": True}
    assert not must_wait(needed_now, True, running=0, cold_limit=1)  # the first: at once
    assert must_wait(needed_now, True, running=1, cold_limit=1)  # then it waits
    assert not must_wait(needed_now, True, running=1, cold_limit=3)  # more cores: at once
    assert must_wait(ahead, True, running=0, cold_limit=3)  # ahead of its turn: warm
    assert not must_wait(needed_now, False, running=9, cold_limit=1)  # once warm: at once
    assert not must_wait(ahead, False, running=9, cold_limit=1)
