"""Opening a workspace's database: creation, upgrades, locks and plain errors.

The first time a process opens a workspace, the database is created if it
is new (a ``0600`` file in a ``0700`` folder), switched to WAL, and brought
up to date in one write transaction: the schema (every statement of
``data/schema.sql`` is idempotent), the key moved out of older databases
(:mod:`alignkit.store.key`), raw copies left by killed imports finished or
removed (:mod:`alignkit.store.files`), and the files of an older workspace
made private. An up-to-date database skips all that: opening it takes no
write lock.

Every connection waits up to :data:`BUSY_SECONDS` for another process's
write; a database that stays locked, or a workspace that cannot be written,
becomes one readable :class:`~alignkit.exceptions.StoreError`.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import time
from importlib import resources
from typing import TYPE_CHECKING

from alignkit.exceptions import StoreError, UnknownCompanyError
from alignkit.store.files import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    READ_ONLY_FILE,
    make_private_dir,
    recover_raw_files,
    staged_leftovers,
    tighten,
)
from alignkit.store.key import KEY_NAME, ensure_key

if TYPE_CHECKING:
    from alignkit.store.workspace import Workspace

__all__ = ["BUSY_SECONDS", "DB_NAME", "company_id", "open_database", "plain_error", "prepare_database"]

DB_NAME = "alignkit.db"
SCHEMA_VERSION = "1"
#: Seconds a command waits for another process's write before it gives up.
BUSY_SECONDS = 60.0

_SCHEMA = resources.files("alignkit").joinpath("data/schema.sql").read_text(encoding="utf-8")
_SCHEMA_DIGEST = hashlib.sha256(_SCHEMA.encode()).hexdigest()[:16]


def open_database(ws: Workspace) -> sqlite3.Connection:
    """A connection whose first change in a transaction takes the write lock at once."""
    try:
        con = sqlite3.connect(ws.db_path, timeout=BUSY_SECONDS, isolation_level="IMMEDIATE")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA secure_delete = ON")  # deleted rows are overwritten, not left
    except sqlite3.Error as err:
        raise plain_error(ws, err) from None
    return con


def company_id(con: sqlite3.Connection, slug: str) -> int:
    """The database id of a registered company (:class:`UnknownCompanyError` if there is none)."""
    row = con.execute("SELECT id FROM companies WHERE slug = ?", (slug,)).fetchone()
    if row is None:
        raise UnknownCompanyError(slug, [])
    return row[0]


def plain_error(ws: Workspace, err: sqlite3.Error) -> Exception:
    """A one-line :class:`StoreError` for a locked or read-only database, else ``err``."""
    text = str(err)
    if "locked" in text or "busy" in text:
        return StoreError(f"the workspace database {ws.db_path} stayed locked by another "
                          f"alignkit command for {BUSY_SECONDS:g} s; try again once it is done")
    if "readonly" in text or "unable to open" in text or not os.access(ws.root, os.W_OK):
        return StoreError(f"the workspace {ws.root} is read-only ({text}): alignkit needs to "
                          "write to the folder even to read it; get write access, or work on "
                          "a copy of the workspace")
    if not isinstance(err, sqlite3.OperationalError):
        return StoreError(f"cannot open workspace database {ws.db_path}: {text}")
    return err


def prepare_database(ws: Workspace, *, create: bool) -> None:
    """Create the database (with ``create``) and bring it and its files up to date."""
    try:
        if create and not ws.exists():
            make_private_dir(ws.root)
            os.close(os.open(ws.db_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    except OSError as err:
        raise StoreError(f"cannot create a workspace in {ws.root}: {err.strerror}") from None
    con = open_database(ws)
    try:
        _use_wal(con)
        if _outdated(con) or staged_leftovers(ws.raw_dir):
            _upgrade(ws, con)
    except sqlite3.Error as err:
        raise plain_error(ws, err) from None
    finally:
        con.close()


def _use_wal(con: sqlite3.Connection) -> None:
    """Switch a new database to WAL; processes doing so at once wait for each other.

    SQLite reports a busy database at once for a journal-mode change,
    without waiting for the busy timeout, hence the retries.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    while con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            con.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def _outdated(con: sqlite3.Connection) -> bool:
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return True
    meta = dict(con.execute(
        "SELECT key, value FROM meta WHERE key IN ('schema_digest', 'key_check', 'salt')"))
    return (meta.get("schema_digest") != _SCHEMA_DIGEST or "key_check" not in meta
            or "salt" in meta)


def _upgrade(ws: Workspace, con: sqlite3.Connection) -> None:
    """Bring the schema up to date, move the key out, finish killed imports' raw files."""
    # IF NOT EXISTS throughout: also brings older workspaces up to date.
    con.executescript("BEGIN IMMEDIATE;\n" + _SCHEMA)
    try:
        had_salt = con.execute("SELECT 1 FROM meta WHERE key = 'salt'").fetchone() is not None
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_digest', ?)", (_SCHEMA_DIGEST,))
        ensure_key(con, ws.key_path)
        recover_raw_files(con, ws.root, ws.raw_dir)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    if had_salt:  # the old key must not linger in the journal either
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _tighten_files(ws)


def _tighten_files(ws: Workspace) -> None:
    """Make an older workspace as private as a new one."""
    tighten(ws.root, PRIVATE_DIR)
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", KEY_NAME):
        tighten(ws.root / name, PRIVATE_FILE)
    for folder in (ws.raw_dir, ws.reports_dir):
        tighten(folder, PRIVATE_DIR)
    if ws.raw_dir.is_dir():
        for path in ws.raw_dir.iterdir():
            tighten(path, READ_ONLY_FILE)
