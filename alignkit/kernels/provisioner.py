"""A jupyter_client kernel provisioner that has the fork server fork each report's kernel.

jupyter_client starts a kernel through a *provisioner*; the default one runs
``python -m ipykernel_launcher`` as a new process. :class:`ForkProvisioner`
asks a running :mod:`alignkit.kernels.fork` server for the kernel instead,
over its UNIX socket, and hands it the kernel's argv, working folder,
environment and stdio: no launcher process sits between jupyter_client and
the kernel. Everything else (connection file, IPC sockets, keys) is
jupyter_client's :class:`~jupyter_client.provisioning.LocalProvisioner`.

The kernel is a child of the fork server, not of this process, so it is
watched through the socket: the server writes the kernel's exit status there,
and kills the kernel if the socket closes (this process ended). Signals go
straight to the kernel's process group, as for a local kernel.

:class:`~alignkit.kernels.server.ReportKernelManager` uses this provisioner
whenever it has a fork socket; it can also be named in a kernel spec
(``"kernel_provisioner": {"provisioner_name": "alignkit-fork", "config":
{"fork_socket": "..."}}``) once registered as an entry point.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import time
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, Unicode

from alignkit.kernels.fork import refuse_if_gone

__all__ = ["ForkProvisioner", "ForkedKernel", "request_kernel"]


async def _connect(path: str, wait: float) -> socket.socket:
    """Connect to the fork server, waiting while it has not opened its socket yet."""
    deadline = time.monotonic() + wait
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)  # a listening socket takes us into its backlog at once
            return conn
        except (FileNotFoundError, ConnectionRefusedError):
            conn.close()
            refuse_if_gone(path)
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


class ForkedKernel:
    """A kernel forked by the fork server, with the methods of :class:`subprocess.Popen`
    that jupyter_client and :mod:`alignkit.kernels.supply` use.

    ``conn`` is the connection the kernel was asked on; the server writes
    ``exit <status>`` there when the kernel ends.
    """

    stdin = stdout = stderr = None  # the kernel's stdio was handed over, not piped here

    def __init__(self, pid: int, conn: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._conn = conn
        self._buffer = b""

    def _read(self, timeout: float | None) -> None:
        """Take what the server wrote, waiting up to ``timeout`` seconds (``None``: for ever)."""
        if self.returncode is not None:
            return
        ready, _, _ = select.select([self._conn], [], [], timeout)
        if not ready:
            return
        try:
            data = self._conn.recv(64)
        except BlockingIOError:  # nothing after all
            return
        except OSError:
            data = b""
        if not data:  # the server is gone, and killed its kernels with it
            self._finish(-signal.SIGKILL)
            return
        self._buffer += data
        for line in self._buffer.split(b"\n")[:-1]:
            if line.startswith(b"exit "):
                self._finish(int(line.split()[1]))
                return

    def _finish(self, code: int) -> None:
        self.returncode = code
        self._conn.close()

    def poll(self) -> int | None:
        """The exit status once the kernel has ended, else ``None``."""
        self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end; :class:`subprocess.TimeoutExpired` after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0.0)
            self._read(left)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the kernel (not its process group; see :meth:`ForkProvisioner.send_signal`)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


async def request_kernel(fork_socket: str, argv: list[str], *, cwd: str, env: dict[str, str],
                         stdout: Any = None, stderr: Any = None, wait: float = 60.0,
                         warm_up: float = 600.0) -> ForkedKernel:
    """Ask the fork server at ``fork_socket`` for a kernel run as ``ipykernel argv``.

    ``stdout`` and ``stderr`` are files (or descriptors) for the kernel's
    output (default: this process's); its stdin is ``/dev/null``. Waits up
    to ``wait`` seconds for the server's socket, then up to ``warm_up``
    seconds for its answer (a server answers once it has imported its
    modules), without blocking the event loop.

    Raises
    ------
    OSError
        When the server cannot be reached or does not start a kernel.
    """
    conn = await _connect(fork_socket, wait)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        fds = [null, _fileno(stdout, 1), _fileno(stderr, 2)]
        message = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode("utf-8") + b"\n"
        sent = socket.send_fds(conn, [message], fds)
        conn.sendall(message[sent:])
        conn.setblocking(False)
        loop = asyncio.get_running_loop()
        line = b""
        while not line.endswith(b"\n"):
            chunk = await asyncio.wait_for(loop.sock_recv(conn, 64), warm_up)
            if not chunk:
                raise OSError("the kernel fork server did not start a kernel")
            line += chunk
        first, _, rest = line.partition(b"\n")
        if not first.strip().isdigit():
            raise OSError("the kernel fork server did not start a kernel")
    except (OSError, TimeoutError):
        conn.close()
        raise
    finally:
        os.close(null)
    kernel = ForkedKernel(int(first), conn)
    kernel._buffer = rest
    return kernel


def _fileno(stream: Any, default: int) -> int:
    if stream is None or stream == subprocess.PIPE:
        return default
    return stream if isinstance(stream, int) else stream.fileno()


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Kernels forked by an alignkit fork server instead of started as new processes."""

    fork_socket = Unicode("", config=True, help="The fork server's UNIX socket.")
    connect_timeout = Float(60.0, config=True,
                            help="Seconds to wait for a fork server that is still warming up.")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Have the fork server fork a kernel running ``cmd``'s ipykernel arguments."""
        if not self.fork_socket or "-f" not in cmd:  # not an ipykernel command line
            return await super().launch_kernel(cmd, **kwargs)
        env = kwargs.get("env") or dict(os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            self.process = await request_kernel(
                self.fork_socket, cmd[cmd.index("-f"):], cwd=cwd, env=env,
                stdout=kwargs.get("stdout"), stderr=kwargs.get("stderr"),
                wait=self.connect_timeout)
        except TimeoutError:
            raise OSError("the kernel fork server did not answer in time") from None
        self.pid = self.process.pid
        self.pgid = self.process.pid  # the kernel leads a session of its own
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group (it and whatever it started), else the kernel."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.pgid, signum)
        except OSError:  # not yet its own group: it has only just been forked
            self.process.send_signal(signum)
