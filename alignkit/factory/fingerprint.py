"""Fingerprints that tell a batch whether a report must be rendered again.

A report depends on its notebook, its parameters, the alignkit version and
instrument, the template and branding, and the company's data. The data part
hashes every row that belongs to the company in every table of the workspace:
a table is linked to its company by following foreign keys (``answers`` ->
``respondents`` -> ``waves`` -> ``companies``), so tables added later are
covered without a change here. Tables with no path to a company (shared
settings) are hashed whole, which errs on the side of rendering again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alignkit.store.workspace import Workspace

__all__ = [
    "WRITTEN_BY_REPORTS", "code_hash", "company_data_hashes", "company_table_hashes", "data_hash",
    "files_hash", "report_fingerprint"]


def _foreign_keys(con: sqlite3.Connection, table: str) -> list[tuple[str, str, str]]:
    """``(column, parent table, parent column)`` for each foreign key of ``table``."""
    return [(row[3], row[2], row[4] or "id")
            for row in con.execute(f'PRAGMA foreign_key_list("{table}")')]


def _path_to_companies(con: sqlite3.Connection, table: str, seen: frozenset[str] = frozenset()
                       ) -> list[tuple[str, str, str, str]] | None:
    """Joins ``(child, column, parent, parent column)`` leading from ``table`` to companies."""
    if table == "companies":
        return []
    for column, parent, parent_column in _foreign_keys(con, table):
        if parent in seen:
            continue
        rest = _path_to_companies(con, parent, seen | {table})
        if rest is not None:
            return [(table, column, parent, parent_column), *rest]
    return None


def _company_query(table: str, path: list[tuple[str, str, str, str]]) -> str:
    """Every row of ``table`` with its company's slug in front, grouped by slug."""
    joins = "".join(f' JOIN "{parent}" ON "{parent}"."{pcol}" = "{child}"."{col}"'
                    for child, col, parent, pcol in path)
    return (f'SELECT "companies"."slug", "{table}".* FROM "{table}"{joins} '
            f'ORDER BY "companies"."slug"')


def _hash_rows(digest: Any, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    digest.update(f"\x1e{table}\x1f".encode())
    digest.update("".join(f"{row}\x1f" for row in sorted(map(repr, rows))).encode("utf-8"))


#: The tables rendering a report writes to (its disclosure log): after a batch, only these
#: are read again to fingerprint the reports on their companies' data as rendering left it.
WRITTEN_BY_REPORTS: tuple[str, ...] = ("publications",)


def company_table_hashes(workspace: Workspace, slugs: Iterable[str],
                         tables: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """SHA-256 of each company's rows in each table (a shared table: all of its rows).

    Each table is read once for all companies, its rows grouped by company
    as they stream in, so the cost grows with the size of the database, not
    with the number of companies times that size; only one company's rows
    of one table are held at a time.

    Parameters
    ----------
    workspace
        The workspace whose database is read.
    slugs
        Registered company slugs.
    tables
        Only these tables (default: every table of the database).

    Returns
    -------
    dict
        Company slug -> table -> hex digest. :func:`data_hash` combines them.
    """
    from itertools import groupby
    from operator import itemgetter

    wanted = list(dict.fromkeys(slugs))
    with workspace.connect() as con:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        chosen = names if tables is None else [t for t in names if t in set(tables)]
        out: dict[str, dict[str, str]] = {slug: {} for slug in wanted}
        for table in chosen:
            path = _path_to_companies(con, table)
            if path is None:  # shared: every company depends on all of it
                digest = hashlib.sha256()
                _hash_rows(digest, table, con.execute(f'SELECT * FROM "{table}"'))
                for slug in wanted:
                    out[slug][table] = digest.hexdigest()
                continue
            digests = {slug: hashlib.sha256() for slug in wanted}
            seen = set()
            for slug, rows in groupby(con.execute(_company_query(table, path)), key=itemgetter(0)):
                if slug in digests:
                    _hash_rows(digests[slug], table, (row[1:] for row in rows))
                    seen.add(slug)
            for slug in digests.keys() - seen:  # no rows here: the table still counts
                _hash_rows(digests[slug], table, ())
            for slug, digest in digests.items():
                out[slug][table] = digest.hexdigest()
    return out


def data_hash(table_hashes: dict[str, str]) -> str:
    """One company's data fingerprint from its :func:`company_table_hashes`: it changes when
    any row of the company (or of a shared table) changes."""
    digest = hashlib.sha256()
    for table in sorted(table_hashes):
        digest.update(f"{table}\x1f{table_hashes[table]}\x1e".encode())
    return digest.hexdigest()


def company_data_hashes(workspace: Workspace, slugs: Iterable[str]) -> dict[str, str]:
    """Company slug -> :func:`data_hash` of its rows in every table."""
    return {slug: data_hash(tables)
            for slug, tables in company_table_hashes(workspace, slugs).items()}


def files_hash(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of files (folders: every file inside, sorted)."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode("utf-8") + b"\x1f")
            digest.update(file.read_bytes() if file.exists() else b"<missing>")
    return digest.hexdigest()


def code_hash() -> str:
    """SHA-256 over alignkit's own source files and bundled data, so that an upgrade (or a
    local change) renders every report again instead of skipping it as unchanged."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in
                   (".py", ".yaml", ".json", ".sql") and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(package).as_posix().encode("utf-8") + b"\x1f")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def report_fingerprint(*, notebook: Path, parameters: dict[str, Any], data_hash: str,
                       environment_hash: str) -> str:
    """One report's fingerprint: notebook bytes, parameters, company data, environment.

    ``environment_hash`` covers what all reports share: alignkit and
    instrument versions, templates, branding and output formats.
    """
    digest = hashlib.sha256()
    digest.update(notebook.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode("utf-8"))
    digest.update(data_hash.encode("ascii"))
    digest.update(environment_hash.encode("ascii"))
    return digest.hexdigest()
