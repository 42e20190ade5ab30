"""A kernel fork server: fresh report kernels without paying for imports each time.

Starting a Python kernel and importing pandas, matplotlib and alignkit in it
costs far more than a report's analysis. The fork server is a process that
imports those modules once and then never runs any notebook code itself. For
every report it forks a child that becomes a brand-new ipykernel. Each child
starts from the server's pristine memory, so one company's variables, module
state, figures, widget models and temporary files are never visible to the
next: a kernel is never reused, only its clean start-up state is copied.

Protocol (one UNIX socket connection per kernel): jupyter_client's
:class:`~alignkit.kernels.provisioner.ForkProvisioner`, in the process that
manages the kernel, sends the kernel's argv, working folder and environment
as one JSON line with its stdin/stdout/stderr attached as file descriptors.
The server forks, answers with the child's pid, and later with its exit
status. The provisioner signals the kernel's process group directly and
reads its exit status from the connection, so no launcher process stands
between jupyter_client and the kernel. If the connection closes (the
managing process died), the server kills the kernel; if the server's parent
closes its stdin, the server kills every child and exits.

A request may instead ask for a child that runs a report's cells itself
(``"mode": "cells"``, see :mod:`alignkit.kernels.runner`): it comes with a
fourth descriptor, one end of a socket pair over which the worker sends the
cells and reads their outputs. Such a child gets the same fresh start, the
same environment, folder and ``TMPDIR``, and is watched and killed the same way.
Such a request may say it is made ahead of its report's turn (``"ahead":
true``): while the server warms up, it forks that child only when the
warm-up ends or the worker writes a line on the connection (its turn has
come), whichever is first, so that the child starts warm. While it warms
up, the server also leaves one core to the warm-up: a request that would
run more children than the other cores waits until the warm-up ends or a
child ends. A server whose
children all run cells learns from its first warm children which memory
pages a report writes, and has later children copy them at once (see
:mod:`alignkit.kernels.prefault`).

The server answers requests as soon as its modules are imported; it fills
its caches on made-up data (see :mod:`alignkit.kernels.warmup`) step by step
whenever no request is waiting, so the first reports of a batch need not wait
for that, and it prints ``ready`` and then ``warm`` on stdout.

Run as ``python -m alignkit.kernels.fork SOCKET MODULE...``.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import selectors
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

__all__ = ["ALIVE_FILE", "KERNEL_MODULES", "RUNNER_MODULES", "SERVER_GONE", "hold_alive_lock",
           "kill_process_group", "must_wait", "refuse_if_gone", "serve", "server_gone",
           "usable_cores"]

#: What every report child needs whatever its notebook, when it runs the cells itself (see
#: :mod:`alignkit.kernels.runner`): loaded once by the server, next to the modules the
#: batch's notebooks import (see :func:`alignkit.kernels.fork_server.notebook_imports`).
RUNNER_MODULES: tuple[str, ...] = (
    "numpy", "pandas", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
    "matplotlib.backends.backend_svg", "IPython", "alignkit.kernels.runner", "ipykernel.compiler",
    "ipykernel.jsonutil", "IPython.core.magics", "IPython.core.magic_arguments",
    "IPython.core.completerlib", "IPython.core.oinspect", "IPython.core.logger",
    "IPython.utils.module_paths", "IPython.utils.wildcard", "IPython.core.application",
    "IPython.core.crashhandler", "IPython.core.shellapp", "bdb", "pandas.io.formats.string",
    "alignkit.analysis.metrics",
    *(f"IPython.core.magics.{name}" for name in (  # loaded one by one as a shell starts
        "ast_mod", "auto", "basic", "code", "config", "display", "execution", "extension", "history",
        "logging", "namespace", "osm", "packaging", "pylab", "script")),
)

#: The same for children that become an ipykernel.
KERNEL_MODULES: tuple[str, ...] = RUNNER_MODULES + (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")

def _preload(modules: list[str]) -> None:
    """Import ``modules`` (what every child needs before it can run anything)."""
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]  # as ipykernel_launcher does: the kernel's cwd is not a package root
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    gc.disable()  # imports make many objects and little garbage: collecting meanwhile only costs
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue  # an optional module; the kernel imports it itself if it needs it
    finally:
        gc.enable()
    _freeze()


def _warm_up(modules: list[str]) -> Iterator[None]:
    """Fill the caches the stage notebooks use (fonts, text layouts, code paths) on made-up data.

    The server does this once, step by step (``yield``) whenever no request is
    waiting, so the first reports of a batch need not wait for it and a request
    that comes meanwhile waits for one step at most; every child forked after
    the last step starts with the caches filled.
    """
    _warm_fonts()
    yield
    if "alignkit.kernels.runner" in modules and "ipykernel.kernelapp" not in modules:
        from alignkit.kernels.runner import prepare_shell  # every child runs cells itself
        from alignkit.kernels.warmup import made_up_outputs, stage_cells

        prepare_shell(stage_cells(), made_up_outputs())  # early: each child saves the most here
        yield
    if "alignkit.charts.identify" in modules:  # the stage notebooks' kernels: fill their caches once
        try:
            from alignkit.kernels.warmup import warm_up_steps

            for _ in warm_up_steps():
                yield
        except Exception:  # noqa: BLE001 - a failed warm-up costs speed, never a report
            traceback.print_exc()
    _freeze()


def _freeze() -> None:
    """Everything loaded so far is shared with every kernel. Keep the garbage collector
    of a kernel from walking (and so copying, page by page) this inherited memory."""
    gc.collect()
    gc.freeze()


def _warm_fonts() -> None:
    """Draw one throw-away figure so font files and glyph outlines are loaded once."""
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    axes = figure.add_subplot()
    axes.set_title("Aa", fontweight="bold")
    axes.text(0.5, 0.5, "0.5 %", fontsize=9, color="grey")
    figure.savefig(io.BytesIO(), format="svg")  # as the notebooks render their charts


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the server dies (no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _enter_child(request: dict, fds: list[int], server: int) -> bool:
    """In the forked child: take the stdio sent with the request, the request's environment,
    working folder and ``TMPDIR``; False when the server died before we could ask."""
    _die_with_parent()
    if os.getppid() != server:  # the server died before we could ask
        return False
    os.setsid()
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds[:3]:
        if fd > 2:
            os.close(fd)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    import tempfile

    tempfile.tempdir = None  # forget the server's cached folder: use this kernel's TMPDIR
    import numpy

    numpy.random.seed()  # the server's random state must not be shared by its children
    return True


def _become_kernel(request: dict, fds: list[int], server: int) -> int:
    """In the forked child: run an ipykernel with the request's argv."""
    if not _enter_child(request, fds, server):
        return 1
    from ipykernel.kernelapp import IPKernelApp

    try:
        IPKernelApp.launch_instance(argv=request["argv"])
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    return 0


def _become_runner(request: dict, fds: list[int], server: int) -> int:
    """In the forked child: run a report's cells and write their outputs to the fourth fd."""
    if not _enter_child(request, fds, server):
        return 1
    from alignkit.kernels.runner import run_cells

    return run_cells(fds[3], _HOT[0] if _HOT else None)


#: The pages this server's report children write (see :mod:`alignkit.kernels.prefault`):
#: learned from the first ones forked after the warm-up by a server whose children run cells.
_HOT: list[Any] = []


def _take_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """A request and the descriptors sent with it, or None (all closed) if it is not one."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 4)
    while data and not data.endswith(b"\n"):  # a large environment may come in pieces
        more = conn.recv(1 << 16)
        if not more:
            break
        data += more
    try:
        request = json.loads(data.decode("utf-8")) if data.endswith(b"\n") else {}
    except ValueError:  # not one JSON line: refuse it, keep serving
        request = {}
    if not isinstance(request, dict):
        request = {}
    if not request or len(fds) != (4 if request.get("mode") == "cells" else 3):
        for fd in fds:
            os.close(fd)
        return None
    return request, fds


def _fork_kernel(conn: socket.socket, request: dict[str, Any], fds: list[int],
                 closing: list[object]) -> int:
    """Fork the child ``request`` asks for; tell ``conn`` its pid."""
    runs_cells = request.get("mode") == "cells"
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for item in [*closing, conn]:
                os.close(item) if isinstance(item, int) else item.close()  # type: ignore[attr-defined]
            code = (_become_runner if runs_cells else _become_kernel)(request, fds, server)
        except BaseException:  # noqa: BLE001 - the child must never return into the server loop
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(f"{pid}\n".encode())
    except OSError:  # the provisioner gave up meanwhile
        kill_process_group(pid)
        conn.close()
        raise
    return pid


def _reap(children: dict[int, socket.socket], sel: selectors.BaseSelector) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            try:
                sel.unregister(conn)
            except KeyError:
                pass  # its provisioner had already gone
            conn.close()


#: Next to the socket: a file its server holds locked for as long as it lives (see
#: :meth:`alignkit.kernels.fork_server.KernelForkServer.start` and :func:`server_gone`).
ALIVE_FILE = "fork.alive"


def hold_alive_lock(socket_path: str) -> int:
    """Create and lock the file that says a server for ``socket_path`` lives; its descriptor.

    The process that starts a server takes the lock and hands the descriptor to the
    server, then closes its own copy: from then on the lock is the server's, and the
    system lets it go when the server ends, however it ends.
    """
    import fcntl

    fd = os.open(os.path.join(os.path.dirname(socket_path), ALIVE_FILE),
                 os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def server_gone(socket_path: str) -> bool:
    """True when the server for ``socket_path`` has ended (nobody holds its lock).

    False while it lives, and when nothing says either way (no lock file: a
    server started without one).
    """
    import fcntl

    try:
        fd = os.open(os.path.join(os.path.dirname(socket_path), ALIVE_FILE), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False  # held: the server lives
    else:
        return True
    finally:
        os.close(fd)


#: What a report says when the fork server it was to be forked from has ended.
SERVER_GONE = ("the kernel fork server has stopped; run the batch again, or without it "
               "(alignkit batch --no-fork)")


def refuse_if_gone(socket_path: str) -> None:
    """For a client that cannot connect: raise at once when the server has ended.

    Raises
    ------
    ConnectionError
        With :data:`SERVER_GONE`, when :func:`server_gone`.
    """
    if server_gone(socket_path):
        raise ConnectionError(SERVER_GONE)


def kill_process_group(pid: int) -> None:
    """Kill a child and whatever it started (it leads its own process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def serve(socket_path: str, modules: list[str]) -> None:
    """Import ``modules``, then fork a fresh kernel for every request that connects."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(128)  # requests that connect now wait in the backlog until we are warm
    loaded = threading.Event()
    threading.Thread(target=_exit_if_orphaned, args=(loaded,), daemon=True).start()
    _preload(modules)
    loaded.set()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(wake_r, selectors.EVENT_READ, "child")
    sel.register(sys.stdin, selectors.EVENT_READ, "parent")
    state = _State(listener, sel, wake_r, wake_w)
    print("ready", flush=True)
    warming: Iterator[None] | None = _warm_up(modules)
    try:
        while True:
            if warming is not None and not sel.select(timeout=0):  # no one waiting: warm up
                if next(warming, "warm") == "warm":
                    warming, state.warming = None, False
                    _learn_pages(modules, sel)
                    state.fork_waiting()  # every deferred request: its child starts warm
                    print("warm", flush=True)
                continue
            if not _serve_events(state):
                break
    finally:  # however the server ends, no kernel outlives it
        for pid in state.children:
            kill_process_group(pid)


class _State:
    """What the serving loop keeps: its sockets, its children and the requests it defers."""

    def __init__(self, listener: socket.socket, sel: selectors.BaseSelector, wake_r: int,
                 wake_w: int) -> None:
        self.listener, self.sel, self.wake_r, self.wake_w = listener, sel, wake_r, wake_w
        self.children: dict[int, socket.socket] = {}
        #: Requests made while the server warms up that wait: for a child ahead of its turn,
        #: until the warm-up ends or the worker says its turn has come; any other, until
        #: the warm-up ends or a running child ends.
        self.deferred: dict[socket.socket, tuple[dict[str, Any], list[int]]] = {}
        self.warming = True
        #: While the server warms up, how many children may run: one core is left to the
        #: warm-up, and any other request waits for it (or for a running child to end).
        self.cold_limit = max(1, usable_cores() - 1)

    def closing(self) -> list[object]:
        """What a child must close: the server's sockets, the other children's connections,
        the deferred requests and their descriptors, the learning channel's server end."""
        learning = [_HOT[0].socket] if _HOT and _HOT[0].learning else []
        return [self.listener, self.sel, self.wake_r, self.wake_w, *self.children.values(),
                *self.deferred, *(fd for _, fds in self.deferred.values() for fd in fds),
                *learning]

    def fork(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        pid = _fork_kernel(conn, request, fds, self.closing())
        self.children[pid] = conn
        self.sel.register(conn, selectors.EVENT_READ, pid)

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        taken = _take_request(conn)
        if taken is None:
            conn.close()
        elif must_wait(taken[0], self.warming, len(self.children), self.cold_limit):
            self.deferred[conn] = taken
            self.sel.register(conn, selectors.EVENT_READ, "deferred")
        else:
            self.fork(conn, *taken)

    def fork_waiting(self) -> None:
        """While warming up: fork the requests needed now, as far as :attr:`cold_limit` allows
        (after a child ended)."""
        for conn, (request, _) in list(self.deferred.items()):
            if must_wait(request, self.warming, len(self.children), self.cold_limit):
                continue
            self.sel.unregister(conn)
            request, fds = self.deferred.pop(conn)
            try:
                self.fork(conn, request, fds)
            except OSError:
                pass  # that worker went away; the others still get theirs

    def undefer(self, conn: socket.socket) -> None:
        """The worker's turn has come (it wrote), or it went away (it closed)."""
        self.sel.unregister(conn)
        request, fds = self.deferred.pop(conn)
        try:
            turn = bool(conn.recv(64))
        except OSError:
            turn = False
        if turn:
            self.fork(conn, request, fds)
            return
        for fd in fds:
            os.close(fd)
        conn.close()



def must_wait(request: dict[str, Any], warming: bool, running: int, cold_limit: int) -> bool:
    """Whether a request waits before its child is forked: only while the server warms up,
    a child asked for ahead of its turn, or one more child than ``cold_limit`` allows."""
    return warming and (bool(request.get("ahead")) or running >= cold_limit)


def usable_cores() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _learn_pages(modules: list[str], sel: selectors.BaseSelector) -> None:
    """Learn, from the next children, which pages a report writes, if they all run cells."""
    if "alignkit.kernels.runner" in modules and "ipykernel.kernelapp" not in modules:
        from alignkit.kernels.prefault import HotPages

        try:
            _HOT[:] = [HotPages()]
        except OSError:  # no socket pair: the children copy pages as they write, as before
            return
        sel.register(_HOT[0].socket, selectors.EVENT_READ, "learn")


def _exit_if_orphaned(loaded: threading.Event) -> None:
    """While the modules load: exit at once if the process that started us is gone.

    Once loaded, the serving loop watches stdin itself (and kills its kernels).
    """
    while not loaded.is_set():
        ready, _, _ = select.select([sys.stdin], [], [], 0.1)
        if ready and not os.read(sys.stdin.fileno(), 4096):
            os._exit(0)


def _serve_events(state: _State) -> bool:
    """Handle what is ready; False once the server's parent has gone."""
    # what children have learned first: a request that came with it then forks with it
    for key, _ in sorted(state.sel.select(), key=lambda ready: ready[0].data != "learn"):
        try:
            if key.data == "accept":
                state.accept()
            elif key.data == "deferred":
                state.undefer(key.fileobj)  # type: ignore[arg-type]
            elif key.data == "child":
                os.read(state.wake_r, 4096)
                _reap(state.children, state.sel)
                state.fork_waiting()  # a core may have come free for a request waiting
            elif key.data == "learn":
                if _HOT[0].receive():
                    state.sel.unregister(key.fileobj)
                    _HOT[0].learn()
            elif key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    return False
            elif not key.fileobj.recv(64):  # the provisioner is gone: its kernel must go too
                state.sel.unregister(key.fileobj)
                kill_process_group(key.data)
        except (OSError, ValueError):  # one broken request must not stop the server
            if isinstance(key.data, int):
                kill_process_group(key.data)
    return True


if __name__ == "__main__":  # pragma: no cover - run by the kernel pool
    serve(sys.argv[1], sys.argv[2:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # its kernels are gone; tearing down the imported modules would only cost time
