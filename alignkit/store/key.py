"""The workspace key: the secret behind every respondent's and lead's pseudonym.

A pseudonym is ``HMAC-SHA256(key, company + id)``. Whoever holds the key and
a list of candidate ids (a staff e-mail list, a CRM export) can recompute the
pseudonyms and so re-identify every answer. The key therefore never enters
``alignkit.db``: it lives in its own file, ``<workspace>/.alignkit-key``
(mode ``0600``), so that the database alone, sent to a colleague, attached
to a support request or left in a backup, reveals nobody. The database only
keeps a check value that tells the right key from a wrong one.

Keep the key file with the workspace and in its backups; share it only with
those who may import into the workspace.

If the key file is lost
-----------------------
Everything already stored stays readable: scores, reports and exports never
need the key. What is lost is the link between people and their
pseudonyms. Imports refuse to run until either the file is restored from a
backup, or a new key is started (:meth:`~alignkit.store.workspace.Workspace.new_key`,
or ``ALIGNKIT_NEW_KEY=1`` for the next command). With a new key, a person
imported before gets a new pseudonym: a second file holding people already
in a wave is no longer recognised as a repeat, and CRM leads imported again
count as new leads.

Workspaces made by earlier versions kept the key (``salt``) in the database;
the first open moves it into the key file and wipes it from the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from pathlib import Path

from alignkit.exceptions import StoreError
from alignkit.store.files import PRIVATE_FILE, tighten

__all__ = ["KEY_NAME", "NEW_KEY_ENV", "ensure_key", "pseudonyms", "read_key", "start_new_key"]

KEY_NAME = ".alignkit-key"
NEW_KEY_ENV = "ALIGNKIT_NEW_KEY"
_CHECK = b"alignkit workspace key check"


def _check_value(key: str) -> str:
    return hmac.new(key.encode(), _CHECK, hashlib.sha256).hexdigest()[:16]


def pseudonyms(key: str, slug: str, ids: list[str]) -> list[str]:
    """Pseudonyms of ``ids`` for company ``slug``: 16 hex digits of an HMAC-SHA256."""
    secret = key.encode()
    return [hmac.new(secret, f"{slug}\x1f{i}".encode(), hashlib.sha256).hexdigest()[:16]
            for i in ids]


def _write_new(path: Path, key: str) -> str:
    """Create the key file holding ``key``; if one appeared meanwhile, return its key."""
    temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.write(fd, f"{key}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # never overwrites a key that is already there
    except FileExistsError:
        return _read(path) or key
    finally:
        temp.unlink(missing_ok=True)
    return key


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise StoreError(f"cannot read the workspace key {path}: {err}") from None
    tighten(path, PRIVATE_FILE)
    return text or None


def ensure_key(con: sqlite3.Connection, key_path: Path) -> None:
    """Give a new workspace its key file, or move an old workspace's key out of the database.

    Call inside a write transaction; the caller commits.
    """
    meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('salt', 'key_check')"))
    if "salt" in meta:  # an earlier version's workspace: the key moves out
        key = meta["salt"]
        on_disk = _read(key_path)
        if on_disk is None:
            on_disk = _write_new(key_path, key)
        if on_disk != key:
            raise StoreError(f"{key_path} does not belong to this workspace's database; move it "
                             "away and run the command again")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('key_check', ?)", (_check_value(key),))
        con.execute("DELETE FROM meta WHERE key = 'salt'")  # zeroed on disk: secure_delete
    elif "key_check" not in meta:  # a new workspace (or one whose key file came first)
        key = _read(key_path) or _write_new(key_path, secrets.token_hex(16))
        con.execute("INSERT INTO meta VALUES ('key_check', ?)", (_check_value(key),))


def read_key(con: sqlite3.Connection, key_path: Path) -> str:
    """The workspace key, checked against the database.

    Raises
    ------
    StoreError
        When the key file is missing (see the module's notes on what to do)
        or belongs to another workspace.
    """
    row = con.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
    key = _read(key_path)
    if key is None:
        raise StoreError(
            f"the workspace key {key_path} is missing, so new answers cannot be matched with "
            "the people already imported; restore the file from a backup of the workspace, or "
            f"start a new key by running the command again with {NEW_KEY_ENV}=1 (people "
            "imported before will then not be recognised again; stored results are unaffected)")
    if row is not None and row[0] != _check_value(key):
        raise StoreError(f"the workspace key {key_path} belongs to another workspace; restore "
                         "this workspace's own key file from a backup")
    return key


def start_new_key(con: sqlite3.Connection, key_path: Path) -> str:
    """Replace a lost key with a new one (inside a write transaction; the caller commits)."""
    if _read(key_path) is not None:
        raise StoreError(f"the workspace key {key_path} exists; it is not replaced")
    key = _write_new(key_path, secrets.token_hex(16))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('key_check', ?)", (_check_value(key),))
    return key
