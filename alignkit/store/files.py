"""The workspace's files on disk: private modes, and raw copies that appear only once stored.

Everything alignkit writes into a workspace is for its owner's eyes only:
folders are made ``0700`` and files ``0600`` (raw copies ``0400``) whatever
the process's umask. A raw copy is first written under a hidden temporary
name in ``raw/`` while a lock is held on it, and only takes its final name
after the database transaction that refers to it has committed. A process
killed in between leaves a temporary file that nobody holds a lock on; the
next process that opens the workspace either finishes it (the database
refers to it) or deletes it (it never does).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "StagedFile",
    "make_private_dir",
    "raw_name",
    "recover_raw_files",
    "staged_file",
    "tighten",
]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
READ_ONLY_FILE = 0o400

_STAGED = re.compile(r"^\.(?P<final>.+)\.[0-9a-f]{12}\.tmp$")

try:  # POSIX: a lock on a staged file tells a live writer from a killed one
    import fcntl
except ImportError:  # pragma: no cover - Windows: staged files are only ever cleaned by age
    fcntl = None  # type: ignore[assignment]


def tighten(path: Path, mode: int) -> None:
    """Give ``path`` exactly ``mode`` if it is ours and looser (best effort: never raises)."""
    try:
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return
        if stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)
    except OSError:  # read-only file system, vanished file: nothing to protect or nothing to do
        pass


def make_private_dir(path: Path, *, within: Path | None = None) -> Path:
    """Create ``path`` (and missing parents) as ``0700`` folders, whatever the umask.

    Folders that already exist keep their mode, except ``path`` itself when it
    lies inside ``within`` (a workspace): that one is tightened too.
    """
    missing = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made by a concurrent process meanwhile
            continue
        tighten(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    if within is not None and path.resolve().is_relative_to(within.resolve()):
        tighten(path, PRIVATE_DIR)
    return path


class StagedFile:
    """A file written under a hidden temporary name, locked, then published once.

    Use :func:`staged_file`. Until :meth:`publish`, nothing under the final
    name has changed; a process killed before that leaves only the locked
    (and, once it is dead, unlocked) temporary file.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.temp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")
        self._fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self.published = False

    def write_bytes(self, data: bytes) -> None:
        """Write ``data`` as the file's whole content."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def copy_from(self, source: Path) -> None:
        """Copy ``source``'s bytes (the source is only read)."""
        with open(source, "rb") as src, os.fdopen(os.dup(self._fd), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    def publish(self) -> bool:
        """Give the file its final name, read-only; False if a file of that name exists."""
        os.fsync(self._fd)
        os.chmod(self.temp, READ_ONLY_FILE)
        try:
            os.link(self.temp, self.final)  # never replaces an existing copy
        except FileExistsError:
            return False
        finally:
            self.temp.unlink(missing_ok=True)
        self.published = True
        return True

    def discard(self) -> None:
        """Remove the temporary file and release the lock."""
        self.temp.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        """Release the lock (closing the file)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@contextmanager
def staged_file(final: Path) -> Iterator[StagedFile]:
    """A :class:`StagedFile` for ``final``, removed again unless it was published."""
    make_private_dir(final.parent)
    staged = StagedFile(final)
    try:
        yield staged
    finally:
        if not staged.published:
            staged.discard()
        staged.close()


def _stale(path: Path) -> bool:
    """True when no live process holds the lock of a staged file."""
    if fcntl is None:  # pragma: no cover - no locks: only files a day old are stale
        import time

        return time.time() - path.stat().st_mtime > 86400
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _referenced(con: sqlite3.Connection, relative: str) -> bool:
    """True when any table's ``raw_path`` column names ``relative``."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}
        if "raw_path" in columns and con.execute(
                f'SELECT 1 FROM "{table}" WHERE raw_path = ? LIMIT 1', (relative,)).fetchone():
            return True
    return False


def staged_leftovers(raw_dir: Path) -> list[Path]:
    """Temporary raw files in ``raw_dir`` (of live or killed writers)."""
    try:
        names = os.listdir(raw_dir)
    except OSError:
        return []
    return [raw_dir / n for n in names if _STAGED.match(n)]


def recover_raw_files(con: sqlite3.Connection, root: Path, raw_dir: Path) -> None:
    """Finish or delete the raw files of writers that were killed.

    Call inside a write transaction (``BEGIN IMMEDIATE``): writers stage
    their raw file while they hold the same lock, so every staged file seen
    here is either locked by its live writer or left by a dead one.
    """
    for temp in staged_leftovers(raw_dir):
        try:
            if not _stale(temp):
                continue
            final = raw_dir / _STAGED.match(temp.name).group("final")
            if not final.exists() and _referenced(con, final.relative_to(root).as_posix()):
                temp.chmod(READ_ONLY_FILE)
                os.replace(temp, final)  # the import committed: its copy takes its name
            else:
                temp.unlink()
        except FileNotFoundError:  # finished by its writer meanwhile
            continue


def raw_name(sha256: str, suffix: str, *, redacted: bool = False) -> str:
    """The name of a raw copy in ``raw/``: ``<sha256><suffix>`` (suffix in lower case), or
    ``<sha256>.redacted.csv`` for a copy that keeps only the columns the import reads."""
    return f"{sha256}.redacted.csv" if redacted else f"{sha256}{suffix.lower()}"
