"""Small helpers shared by several test modules."""

from __future__ import annotations

import hashlib
import sqlite3

from alignkit.store.workspace import Workspace


def snapshot(ws: Workspace) -> tuple[str, list[str]]:
    """A workspace's state: a hash of the logical database dump and the raw files' names.

    The logical dump (not the file bytes) is compared because SQLite's WAL
    journal changes the files without changing any data.
    """
    con = sqlite3.connect(ws.db_path)
    try:
        dump = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()
    return dump, sorted(p.name for p in ws.raw_dir.glob("*")) if ws.raw_dir.exists() else []
