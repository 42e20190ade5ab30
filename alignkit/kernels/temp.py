"""Private temporary folders for report runs: one per batch, gone when it ends.

Kernels need temporary space: a connection file, IPC sockets, a stderr log
and a ``TMPDIR`` for whatever a notebook writes. Any of it may hold client
data and none of it may outlive the run. Each batch (or single report) gets
one private folder ``alignkit-run-*`` (``0700``) in the system's temporary
folder, removed when the batch ends; kernel folders, the fork server's
socket and the workers' ``TMPDIR`` all live there. A process that renders
batches also keeps multiprocessing's own folder (its fork server's socket)
in a run folder of its own, removed when the process exits.

A process killed outright (``kill -9``, a power cut) cannot remove anything.
It holds a lock on the ``.lock`` file of each of its folders for as long as
it lives, so the next run that starts, in any process of the same user,
removes every ``alignkit-run-*`` folder whose lock is free.

Names are short on purpose: a UNIX socket's path may not be longer than
about 100 bytes, and macOS puts the temporary folder 50 bytes deep.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.util import Finalize
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: folders are removed on exit only
    fcntl = None  # type: ignore[assignment]

__all__ = ["PREFIX", "batch_folder", "private_multiprocessing_folder", "remove_stale_folders"]

PREFIX = "alignkit-run-"
_LOCK = ".lock"
#: A folder without its lock file yet is being made right now, unless it is this old.
_MAKING_SECONDS = 3600.0
#: multiprocessing's socket path inside its folder: ``/pymp-XXXXXXXX/listener-XXXXXXXX``.
_MULTIPROCESSING_PATH = 32
_SOCKET_PATH_MAX = 100

_lock = threading.Lock()
_process: tuple[int, Path, int] | None = None  # (pid, folder, locked file descriptor)


def _locked_folder() -> tuple[Path, int]:
    """A new run folder (``0700``) and the descriptor holding its lock."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    fd = os.open(folder / _LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return folder, fd


@contextmanager
def batch_folder() -> Iterator[Path]:
    """A private folder for one batch, removed with everything in it when the batch ends.

    Run folders of killed processes are removed first.
    """
    remove_stale_folders()
    folder, fd = _locked_folder()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def private_multiprocessing_folder() -> None:
    """Have multiprocessing make its folder inside a run folder of this process.

    multiprocessing makes one folder per process, on first use, for the
    socket of its fork server, and removes it when the process exits
    normally. Made here, a killed process's folder is removed by the next
    run. Nothing changes if the folder exists already, or if the socket's
    path would be too long.
    """
    global _process
    with _lock:
        if _process is None or _process[0] != os.getpid():  # a forked child makes its own
            folder, fd = _locked_folder()
            _process = (os.getpid(), folder, fd)
            # after multiprocessing removed its own folder inside ours (priority -100)
            Finalize(None, _remove_process_folder, args=(os.getpid(),), exitpriority=-200)
        folder = _process[1]
    if len(str(folder)) + _MULTIPROCESSING_PATH < _SOCKET_PATH_MAX:
        from multiprocessing import util

        saved, tempfile.tempdir = tempfile.tempdir, str(folder)
        try:
            util.get_temp_dir()  # made once per process, where tempfile points the first time
        finally:
            tempfile.tempdir = saved


def _remove_process_folder(pid: int) -> None:
    global _process
    if _process is not None and _process[0] == pid == os.getpid():
        shutil.rmtree(_process[1], ignore_errors=True)
        os.close(_process[2])
        _process = None


def remove_stale_folders(base: str | Path | None = None) -> list[Path]:
    """Remove the run folders of processes that are gone; return them.

    Only this user's folders whose lock nobody holds are touched: those of
    running processes, and anything else in the temporary folder, are not.
    """
    if fcntl is None:  # pragma: no cover - without locks a live folder cannot be told apart
        return []
    removed = []
    for folder in Path(base or tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                continue
            if _abandoned(folder, info.st_mtime):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:  # removed by another process meanwhile
            continue
    return removed


def _abandoned(folder: Path, made: float) -> bool:
    try:
        fd = os.open(folder / _LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return time.time() - made > _MAKING_SECONDS
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # its process is alive
    finally:
        os.close(fd)
    return True
