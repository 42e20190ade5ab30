"""Run one report's notebook cells in a forked child, speaking in Jupyter's output messages.

A report kernel costs more than the cells it runs: an ipykernel sets up its
sockets and threads, and every cell is a request, a reply and a wait for
the kernel to go idle (about 3 ms each, some 30 cells per report). In a
batch, a child of the fork server can instead run the cells itself with
IPython's own shell: the same ``%matplotlib inline``, display formatters,
display hook and tracebacks as in a kernel, but the outputs are written
straight back to the worker as the messages a kernel would have published
(``stream``, ``display_data``, ``update_display_data``, ``execute_result``,
``error``, ``clear_output``, and ipywidgets' ``comm_open`` / ``comm_msg``).
The worker turns them into outputs with nbclient's own message handling
(see :mod:`alignkit.kernels.forked_run`). Each report still runs
in a process of its own, forked from the server's pristine state and killed
afterwards.

As in ipykernel, printed text is buffered per stream and written out
(stdout first) before any other message and at the end of each cell, and
images are base64-encoded and the data made JSON-safe with ipykernel's own
helpers.

Protocol on the result socket, one JSON document per line: the worker sends
``{"cells": [{"source": ..., "id": ..., "allow_error": ...}, ...]}``; the
child answers ``{"language_info": {...}}``, then one
``{"cell": i, "messages": [...], "error": null | {"ename", "evalue"}}``
per cell, stopping after the first error that is not allowed, and ends with
``{"done": true}``. A request sent before the report's turn has come also
holds ``"turn_after": k``: the child runs the first ``k`` cells (set-up
only, see :func:`alignkit.kernels.forked_run.setup_cells`), then waits for
the worker's line ``go`` before it runs the others (or ends).
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import sys
from collections.abc import Iterable
from typing import Any

from alignkit.kernels.prefault import HotPages, populate

__all__ = ["STARTED_WITH", "new_shell", "prepare_shell", "run_cells"]


class _Messages:
    """The messages of the cell being run, in the order a kernel would publish them."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.buffers: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def flush_streams(self) -> None:
        for name in ("stdout", "stderr"):
            if self.buffers[name]:
                text = "".join(self.buffers[name])
                self.buffers[name].clear()
                if text:
                    self.items.append({"msg_type": "stream",
                                       "content": {"name": name, "text": text}})

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        self.flush_streams()
        self.items.append({"msg_type": msg_type, "content": content})

    def add_comm(self, msg_type: str, content: dict[str, Any], buffers: list[Any]) -> None:
        """A comm message (ipywidgets' models); like ipykernel, no stream is written out first."""
        self.items.append({"msg_type": msg_type, "content": content,
                           "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in buffers]})

    def take(self) -> list[dict[str, Any]]:
        self.flush_streams()
        items, self.items = self.items, []
        return items


MESSAGES = _Messages()

#: The modules this child had when it started (all the fork server's); a report's cells
#: should need no other, or every report pays to import it (see the tests).
STARTED_WITH: frozenset[str] = frozenset()


#: What this child's fork server has learned about the pages its children write (or is
#: learning from this one), see :mod:`alignkit.kernels.prefault`.
HOT: HotPages | None = None


class _Stream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` of the child: text goes into the cell's messages."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name  # as ipykernel's streams: "stdout" or "stderr"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "UTF-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        MESSAGES.buffers[self.name].append(text)
        return len(text)

    def flush(self) -> None:
        pass  # written out with the cell's next message, as ipykernel does


def _shell_classes() -> tuple[type, type, type]:
    from ipykernel.jsonutil import encode_images, json_clean
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class _DisplayHook(DisplayHook):
        """The value of a cell's last expression, as an ``execute_result``."""

        content: dict[str, Any] | None = None

        def start_displayhook(self) -> None:
            self.content = {"data": {}, "metadata": {}}

        def write_output_prompt(self) -> None:
            if self.content is not None:
                self.content["execution_count"] = self.prompt_count

        def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
            if self.content is not None:
                self.content["data"] = json_clean(encode_images(format_dict))
                self.content["metadata"] = md_dict

        def finish_displayhook(self) -> None:
            MESSAGES.flush_streams()
            if self.content is not None and self.content["data"]:
                MESSAGES.add("execute_result", self.content)
            self.content = None

    class _DisplayPublisher(DisplayPublisher):
        """``display()`` and ``clear_output()`` as ``display_data`` / ``clear_output``."""

        def publish(self, data: dict, metadata: dict | None = None, *args: Any,
                    transient: dict | None = None, update: bool = False, **kw: Any) -> None:
            self._validate_data(data, metadata)
            content = {"data": encode_images(data), "metadata": metadata or {},
                       "transient": transient or {}}
            MESSAGES.add("update_display_data" if update else "display_data", json_clean(content))

        def clear_output(self, wait: bool = False) -> None:
            MESSAGES.add("clear_output", {"wait": wait})

    class ReportShell(InteractiveShell):
        """IPython's shell with a kernel's outputs, for a forked report child."""

        def enable_gui(self, gui: str | None = None) -> None:
            """Nothing to do: the inline backend draws into outputs (as in ipykernel)."""

        def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
            MESSAGES.add("error", json_clean({"traceback": stb, "ename": str(etype.__name__),
                                              "evalue": str(evalue)}))
            self._last_traceback = stb

    return ReportShell, _DisplayHook, _DisplayPublisher


def _install_comms() -> None:
    """Let ipywidgets' comms publish their messages into the cell's, as a kernel's do."""
    import comm
    from comm.base_comm import BaseComm
    from ipykernel.jsonutil import json_clean

    class _Comm(BaseComm):
        def publish_msg(self, msg_type: str, data: dict | None = None,
                        metadata: dict | None = None, buffers: list | None = None,
                        **keys: Any) -> None:
            content = json_clean(dict(data={} if data is None else data, comm_id=self.comm_id,
                                      **keys))
            MESSAGES.add_comm(msg_type, content, list(buffers or ()))

    comm.create_comm = _Comm


def new_shell() -> Any:
    """A new shell for this process, set up as a report kernel's (history kept in memory)."""
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    from ipykernel.compiler import XCachingCompiler  # names cells as ipykernel does

    shell, hook, publisher = _shell_classes()
    return shell.instance(config=config, displayhook_class=hook, display_pub_class=publisher,
                          compiler_class=XCachingCompiler)


_PREPARED: list[Any] = []  # the shell prepare_shell() built in the fork server, if any


def prepare_shell(cells: Iterable[str] = (), shown: Iterable[object] = ()) -> None:
    """Build the shell and install the comms now, in the fork server, once.

    Every child forked afterwards finds a fresh shell ready (nothing has run
    in it) instead of building one itself. Only for servers whose children
    all run cells: a child that becomes an ipykernel builds its own shell.

    The shell also does now, once, what it would otherwise do in every child
    the first time it meets something, without running anything in it:

    - it registers IPython's own magics, which IPython declares lazily and
      would load at a notebook's first ``%matplotlib`` or ``%config``;
    - it works out how it would rewrite ``cells`` (the text IPython parses,
      with magics turned into calls), which builds its input transformers;
    - it formats ``shown`` as a display would (nothing is published), which
      builds its display formatters.
    """
    _install_comms()
    shell = new_shell()
    manager = shell.magics_manager
    if hasattr(manager, "load_all_lazy_magics"):  # IPython 9; older ones register them at once
        manager.load_all_lazy_magics()
    for source in cells:
        shell.transform_cell(source)
    for value in shown:
        shell.display_formatter.format(value)
    _PREPARED[:] = [shell]


def _import_from_cwd() -> None:
    """Let the notebook import modules next to it, as in a kernel (IPython's own rule: the
    working folder goes on ``sys.path`` before the installed packages)."""
    from IPython.core.shellapp import InteractiveShellApp

    InteractiveShellApp().init_path()


def _language_info() -> dict[str, Any]:
    """What an ipykernel reports about its language (``IPythonKernel.language_info``)."""
    return {"name": "python", "version": sys.version.split()[0], "mimetype": "text/x-python",
            "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
            "pygments_lexer": f"ipython{sys.version_info[0]}", "nbconvert_exporter": "python",
            "file_extension": ".py"}


def _write(conn: socket.socket, document: dict[str, Any]) -> None:
    from jupyter_client.session import json_packer  # as a kernel's messages are encoded

    conn.sendall(json_packer(document) + b"\n")


class _Lines:
    """Lines the worker writes on the result socket: the request, then perhaps ``go``."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def next(self) -> bytes:
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(1 << 16)
            if not chunk:
                raise EOFError("the worker went away")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


def _copy_ahead(hot: HotPages | None) -> None:
    """Have the pages the server learned its children write copied now, at once
    (:mod:`alignkit.kernels.prefault`), if it has learned them."""
    if hot is not None and hot.ranges:
        populate(hot.ranges)


def run_cells(fd: int, hot: HotPages | None = None) -> int:
    """Read the cells from the result socket ``fd``, run them, write back their messages.

    ``hot`` is what the fork server has learned about the pages its children
    write, or is learning from this one (which then reports them at the end).

    Returns the child's exit status: 0 when every cell ran or stopped on an
    error (the worker reads which), 1 when the worker went away.
    """
    global STARTED_WITH, HOT
    STARTED_WITH, HOT = frozenset(sys.modules), hot
    conn = socket.socket(fileno=fd)
    lines = _Lines(conn)
    try:
        _copy_ahead(hot)
        request = json.loads(lines.next().decode("utf-8"))
        turn_after = request.get("turn_after")  # cells it may run before its report's turn
        sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
        if _PREPARED:
            shell = _PREPARED.pop()
            shell.starting_dir = os.getcwd()  # as if built here
        else:
            _install_comms()
            shell = new_shell()
        _import_from_cwd()
        _write(conn, {"language_info": _language_info()})
        for index, cell in enumerate(request["cells"]):
            if index == turn_after:
                lines.next()  # the worker's "go": its report's turn has come
            result = shell.run_cell(cell["source"], store_history=True, cell_id=cell.get("id"))
            failure = result.error_before_exec or result.error_in_exec
            error = None if failure is None else {"ename": type(failure).__name__,
                                                  "evalue": str(failure)}
            _write(conn, {"cell": index, "messages": MESSAGES.take(),
                          "error": error})
            if error is not None and not cell.get("allow_error"):
                break
        else:
            if turn_after is not None and turn_after >= len(request["cells"]):
                lines.next()  # every cell was set-up: still wait for the turn, as promised
        if hot is not None and hot.learning:
            hot.report()
        _write(conn, {"done": True})
    except (OSError, EOFError):
        return 1
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        conn.close()
    return 0

