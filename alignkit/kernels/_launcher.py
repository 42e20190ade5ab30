"""Stand-in for ``python -m ipykernel_launcher``: ask the fork server for a kernel.

Run with ``python -I -S`` (standard library only, so it starts in a few
milliseconds). It hands its stdin/stdout/stderr, argv, working folder and
environment to the fork server, forwards the signals jupyter_client sends it
(interrupt, terminate) to the kernel, and exits with the kernel's status.

Usage: ``python -I -S _launcher.py SOCKET KERNEL-ARGS...``
"""

import json
import os
import signal
import socket
import sys
import time


def _connect(path: str, wait: float = 60.0) -> socket.socket:
    """Connect to the server, waiting while it is still starting up."""
    deadline = time.monotonic() + wait
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)
            return conn
        except (FileNotFoundError, ConnectionRefusedError):
            conn.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    conn = _connect(argv[1])
    request = {"argv": argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)}
    message = json.dumps(request).encode("utf-8") + b"\n"
    sent = socket.send_fds(conn, [message], [0, 1, 2])
    conn.sendall(message[sent:])
    reader = conn.makefile("r", encoding="ascii")
    line = reader.readline()
    if not line.strip().isdigit():
        sys.stderr.write("alignkit: the kernel fork server did not start a kernel\n")
        return 1
    pid = int(line)

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
        signal.signal(signum, forward)
    while True:
        try:
            line = reader.readline()
        except InterruptedError:
            continue
        if not line:
            return 1  # the server went away; it killed the kernel
        if line.startswith("exit "):
            code = int(line.split()[1])
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
