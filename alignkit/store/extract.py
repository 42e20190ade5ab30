"""One company's slice of a workspace, as bytes a machine without the workspace can render from.

:func:`extract_company` copies every row that belongs to one company (found
by following foreign keys to ``companies``, as the batch fingerprints do)
into a new SQLite database with the workspace's own table definitions, and
returns the database file as bytes. Nothing else goes in: no other
company's rows, no workspace key, no raw files, and of the shared ``meta``
table only the schema version. :func:`open_extract` checks an extract
against its SHA-256 and turns it into a workspace in a folder of the
caller's choosing (a render worker's own temporary folder).

An extract is read by the stage notebooks exactly like the workspace it
came from, for this company: the same ids, rows, settings and publication
records, hence the same report.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from alignkit.exceptions import StoreError
from alignkit.store.db import DB_NAME
from alignkit.store.files import PRIVATE_FILE, make_private_dir
from alignkit.store.workspace import Workspace

__all__ = ["KEPT_META", "extract_company", "extract_digest", "open_extract"]

#: The rows of the shared ``meta`` table an extract keeps (no key check, nothing secret).
KEPT_META = ("schema_version", "schema_digest")


def _tables(con: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, CREATE statement)`` of every table, parents before the tables naming them."""
    return [(name, sql) for name, sql in con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid")]


def _path_to_companies(con: sqlite3.Connection, table: str, seen: frozenset[str] = frozenset()
                       ) -> list[tuple[str, str, str, str]] | None:
    """Joins ``(child, column, parent, parent column)`` leading from ``table`` to ``companies``."""
    if table == "companies":
        return []
    for row in con.execute(f'PRAGMA foreign_key_list("{table}")'):
        column, parent, parent_column = row[3], row[2], row[4] or "id"
        if parent in seen:
            continue
        rest = _path_to_companies(con, parent, seen | {table})
        if rest is not None:
            return [(table, column, parent, parent_column), *rest]
    return None


def _company_rows(con: sqlite3.Connection, table: str, sql: str,
                  path: list[tuple[str, str, str, str]], slug: str) -> list[tuple[object, ...]]:
    joins = "".join(f' JOIN "{parent}" ON "{parent}"."{pcol}" = "{child}"."{col}"'
                    for child, col, parent, pcol in path)
    order = "" if "WITHOUT ROWID" in sql.upper() else f' ORDER BY "{table}".rowid'
    return con.execute(f'SELECT "{table}".* FROM "{table}"{joins} WHERE "companies"."slug" = ?{order}',
                       (slug,)).fetchall()


def extract_company(workspace: Workspace, slug: str) -> bytes:
    """The SQLite database of one company's rows of ``workspace``, as bytes.

    Every table and index of the workspace is created with its own
    definition; a table linked to ``companies`` through foreign keys keeps
    the rows that lead to ``slug`` (same ids, same order); a table with no
    such link keeps nothing, except the schema rows of ``meta``.

    Raises
    ------
    UnknownCompanyError
        When ``slug`` is not registered.
    """
    workspace.company(slug)
    out = sqlite3.connect(":memory:")
    try:
        with workspace.connect() as con:
            tables = _tables(con)
            indexes = [sql for (sql,) in con.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid")]
            for name, sql in tables:
                out.execute(sql)
                path = _path_to_companies(con, name)
                if path is not None:
                    rows = _company_rows(con, name, sql, path, slug)
                elif name == "meta":
                    rows = con.execute(
                        f"SELECT * FROM meta WHERE key IN ({', '.join('?' * len(KEPT_META))}) "
                        "ORDER BY key", KEPT_META).fetchall()
                else:  # shared by every company: not this company's to carry
                    rows = []
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    out.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        for sql in indexes:
            out.execute(sql)
        out.commit()
        out.execute("VACUUM")
        return out.serialize()
    finally:
        out.close()


def extract_digest(data: bytes) -> str:
    """Hex SHA-256 of an extract's bytes (what a worker checks before it uses them)."""
    return hashlib.sha256(data).hexdigest()


def open_extract(data: bytes, sha256: str, folder: Path, *, label: str = "company") -> Workspace:
    """Write an extract as the workspace ``folder`` (a new private folder) and return it.

    Parameters
    ----------
    data
        The bytes :func:`extract_company` returned.
    sha256
        Their expected :func:`extract_digest`.
    folder
        Where the workspace goes; it must not hold a database yet.
    label
        What the extract is of, for the error message.

    Raises
    ------
    StoreError
        When the bytes do not match ``sha256`` (damaged or changed on the way),
        or ``folder`` already holds a workspace.
    """
    found = extract_digest(data)
    if found != sha256:
        raise StoreError(f"the data extract of {label} is damaged (SHA-256 {found[:12]}…, "
                         f"expected {sha256[:12]}…): it was changed on its way to this worker")
    make_private_dir(folder)
    target = folder / DB_NAME
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        raise StoreError(f"{folder} already holds a workspace; an extract needs an empty folder") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Workspace(folder)
