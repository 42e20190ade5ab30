"""The workspace store: one SQLite database plus the untouched raw files.

A workspace is a folder holding ``alignkit.db`` (SQLite, WAL journal, foreign
keys on), ``raw/`` (every imported file, copied unchanged and named by its
SHA-256) and ``reports/``. Respondents are kept under pseudonyms only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from alignkit.exceptions import StoreError, UnknownCompanyError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Company",
    "ImportRecord",
    "Workspace",
    "file_sha256",
    "resolve_workspace",
]

DB_NAME = "alignkit.db"
SCHEMA_VERSION = "1"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

_SCHEMA = resources.files("alignkit").joinpath("data/schema.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Company:
    """A registered client."""

    slug: str
    name: str
    industry: str | None


@dataclass(frozen=True)
class ImportRecord:
    """What one earlier import of a file stored."""

    sha256: str
    source: str
    file_name: str
    wave: str
    respondents: int
    skipped: int
    imported_at: str


def resolve_workspace(workspace: str | Path | None = None) -> Path:
    """Pick the workspace folder: the argument, else ``$ALIGNKIT_WORKSPACE``, else ``.``."""
    chosen = workspace or os.environ.get("ALIGNKIT_WORKSPACE") or "."
    return Path(chosen).expanduser().resolve()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _upgrade(con: sqlite3.Connection) -> None:
    """Bring a workspace written by an older alignkit up to the current tables.

    Actions stored before they had a number are numbered 1..n per company in
    priority order, the order their plan was ranked in.
    """
    columns = {row[1] for row in con.execute("PRAGMA table_info(actions)")}
    if "number" not in columns:
        con.execute("ALTER TABLE actions ADD COLUMN number INTEGER")
    con.execute(
        "UPDATE actions SET number = (SELECT k FROM (SELECT id, ROW_NUMBER() OVER ("
        "PARTITION BY company_id ORDER BY priority DESC, id) AS k FROM actions) r "
        "WHERE r.id = actions.id) WHERE number IS NULL")
    con.execute("CREATE UNIQUE INDEX IF NOT EXISTS actions_number ON actions(company_id, number)")


class Workspace:
    """A workspace folder and its database.

    Parameters
    ----------
    root
        The folder; created on first use. ``None`` resolves as in
        :func:`resolve_workspace`.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = resolve_workspace(root)
        self.db_path = self.root / DB_NAME
        self.raw_dir = self.root / "raw"
        self.reports_dir = self.root / "reports"
        self._schema_checked = False

    # -- connection -----------------------------------------------------
    def exists(self) -> bool:
        """True if the workspace already has a database."""
        return self.db_path.exists()

    @contextmanager
    def connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """Open the database; every ``with`` block is one transaction."""
        if not create and not self.exists():
            raise StoreError(
                f"no alignkit workspace at {self.root}: register a company first with "
                "`alignkit company add SLUG`, or pass --workspace DIR"
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.db_path, timeout=30)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open workspace database {self.db_path}: {err}") from None
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA journal_mode = WAL")
            if create or not self._schema_checked:
                # IF NOT EXISTS throughout: also brings older workspaces up to date.
                con.executescript(_SCHEMA)
                _upgrade(con)
                self._schema_checked = True
                con.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
                con.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),)
                )
            with con:
                yield con
        finally:
            con.close()

    # -- companies ------------------------------------------------------
    def add_company(self, slug: str, name: str | None = None, industry: str | None = None) -> Company:
        """Register a client. Slugs are lower-case letters, digits and hyphens."""
        if not SLUG_RE.match(slug):
            raise StoreError(
                f"'{slug}' is not a valid company slug: use lower-case letters, digits and "
                "hyphens, e.g. acme-corp"
            )
        company = Company(slug, (name or slug.replace("-", " ").title()).strip(), industry)
        with self.connect(create=True) as con:
            if con.execute("SELECT 1 FROM companies WHERE slug = ?", (slug,)).fetchone():
                raise StoreError(f"company '{slug}' is already registered")
            con.execute(
                "INSERT INTO companies (slug, name, industry, created_at) VALUES (?, ?, ?, ?)",
                (company.slug, company.name, company.industry, _now()),
            )
        return company

    def companies(self) -> list[Company]:
        """Every registered company, by slug."""
        if not self.exists():
            return []
        with self.connect() as con:
            rows = con.execute("SELECT slug, name, industry FROM companies ORDER BY slug")
            return [Company(*row) for row in rows]

    def company(self, slug: str) -> Company:
        """Return a registered company or raise :class:`UnknownCompanyError`."""
        for company in self.companies():
            if company.slug == slug:
                return company
        raise UnknownCompanyError(slug, [c.slug for c in self.companies()])

    def waves(self, slug: str) -> list[str]:
        """Names of a company's waves, oldest first."""
        self.company(slug)
        with self.connect() as con:
            rows = con.execute(
                "SELECT w.name FROM waves w JOIN companies c ON c.id = w.company_id "
                "WHERE c.slug = ? ORDER BY w.id",
                (slug,),
            )
            return [r[0] for r in rows]

    # -- imports --------------------------------------------------------
    def find_import(self, slug: str, sha256: str) -> ImportRecord | None:
        """The earlier import of the same file for this company, if any."""
        self.company(slug)
        with self.connect() as con:
            row = con.execute(
                "SELECT i.sha256, i.source, i.file_name, w.name, i.respondents, i.skipped, "
                "i.imported_at FROM imports i JOIN companies c ON c.id = i.company_id "
                "JOIN waves w ON w.id = i.wave_id WHERE c.slug = ? AND i.sha256 = ?",
                (slug, sha256),
            ).fetchone()
        return ImportRecord(*row) if row else None

    def pseudonymise(self, slug: str, keys: list[str]) -> list[str]:
        """Stable pseudonyms for respondent keys, salted per workspace.

        The key (an id or e-mail from the export) cannot be read back from the
        pseudonym without the workspace's secret salt.
        """
        with self.connect() as con:
            salt = con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        return [
            hmac.new(salt.encode(), f"{slug}\x1f{key}".encode(), hashlib.sha256).hexdigest()[:16]
            for key in keys
        ]

    def existing_pseudonyms(self, slug: str, wave: str) -> set[str]:
        """Pseudonyms already stored in a wave (to spot re-submitted respondents)."""
        with self.connect() as con:
            rows = con.execute(
                "SELECT r.pseudonym FROM respondents r JOIN waves w ON w.id = r.wave_id "
                "JOIN companies c ON c.id = w.company_id WHERE c.slug = ? AND w.name = ?",
                (slug, wave),
            )
            return {r[0] for r in rows}

    def record_import(
        self,
        *,
        slug: str,
        wave: str,
        instrument_version: str,
        source_file: Path,
        sha256: str,
        source: str,
        respondents: pd.DataFrame,
        answers: pd.DataFrame,
        skipped: int,
    ) -> None:
        """Store one import in a single transaction and keep the raw file.

        ``respondents`` has columns ``pseudonym, team, role, comment`` and a
        ``row`` key; ``answers`` has ``row, item, value`` (value may be NA).
        Nothing is written unless everything is.
        """
        raw_path = self.raw_dir / f"{sha256}{source_file.suffix.lower()}"
        copied = self.copy_raw(source_file, raw_path)
        try:
            with self.connect() as con:
                company_id = self._company_id(con, slug)
                wave_id = self._wave_id(con, company_id, wave, instrument_version)
                cur = con.execute(
                    "INSERT INTO imports (company_id, wave_id, sha256, source, file_name, raw_path,"
                    " imported_at, respondents, skipped, answers) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (company_id, wave_id, sha256, source, source_file.name,
                     raw_path.relative_to(self.root).as_posix(), _now(), len(respondents),
                     skipped, len(answers)),
                )
                self._insert_rows(con, wave_id, cur.lastrowid, respondents, answers)
        except BaseException:
            if copied:
                raw_path.unlink(missing_ok=True)
            raise

    def copy_raw(self, source_file: Path, raw_path: Path) -> bool:
        """Copy an imported file to ``raw/`` unchanged and read-only; False if already there."""
        if raw_path.exists():
            return False
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        tmp = raw_path.with_name(raw_path.name + ".part")
        shutil.copyfile(source_file, tmp)
        os.replace(tmp, raw_path)
        raw_path.chmod(0o444)
        return True

    @staticmethod
    def _company_id(con: sqlite3.Connection, slug: str) -> int:
        row = con.execute("SELECT id FROM companies WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            raise UnknownCompanyError(slug, [])
        return row[0]

    @staticmethod
    def _wave_id(con: sqlite3.Connection, company_id: int, wave: str, version: str) -> int:
        row = con.execute(
            "SELECT id, instrument_version FROM waves WHERE company_id = ? AND name = ?",
            (company_id, wave),
        ).fetchone()
        if row:
            return row[0]
        cur = con.execute(
            "INSERT INTO waves (company_id, name, instrument_version, created_at) VALUES (?,?,?,?)",
            (company_id, wave, version, _now()),
        )
        return cur.lastrowid

    @staticmethod
    def _insert_rows(
        con: sqlite3.Connection,
        wave_id: int,
        import_id: int,
        respondents: pd.DataFrame,
        answers: pd.DataFrame,
    ) -> None:
        import pandas as pd

        ids: dict[int, int] = {}
        for rec in respondents.itertuples(index=False):
            cur = con.execute(
                "INSERT INTO respondents (wave_id, import_id, pseudonym, team, role, comment) "
                "VALUES (?,?,?,?,?,?)",
                (wave_id, import_id, rec.pseudonym, rec.team, rec.role or None,
                 rec.comment or None),
            )
            ids[rec.row] = cur.lastrowid
        con.executemany(
            "INSERT INTO answers (respondent_id, item, value) VALUES (?,?,?)",
            (
                (ids[row], item, None if pd.isna(value) else int(value))
                for row, item, value in answers[["row", "item", "value"]].itertuples(index=False)
                if row in ids
            ),
        )

    # -- reading --------------------------------------------------------
    def answers(self, slug: str, wave: str) -> pd.DataFrame:
        """Long-format answers of one wave: ``respondent, team, item, value``.

        ``value`` is a float (NaN for N/A). Team and item are categoricals.
        """
        import pandas as pd

        self._require_wave(slug, wave)
        with self.connect() as con:
            frame = pd.read_sql_query(
                "SELECT r.pseudonym AS respondent, r.team, a.item, a.value "
                "FROM answers a JOIN respondents r ON r.id = a.respondent_id "
                "JOIN waves w ON w.id = r.wave_id JOIN companies c ON c.id = w.company_id "
                "WHERE c.slug = ? AND w.name = ? ORDER BY r.id, a.item",
                con,
                params=(slug, wave),
            )
        frame["value"] = frame["value"].astype(float)
        for col in ("respondent", "team", "item"):
            frame[col] = frame[col].astype("category")
        return frame

    def respondents(self, slug: str, wave: str) -> pd.DataFrame:
        """One row per respondent of a wave: ``respondent, team, role, comment``."""
        import pandas as pd

        self._require_wave(slug, wave)
        with self.connect() as con:
            return pd.read_sql_query(
                "SELECT r.pseudonym AS respondent, r.team, r.role, r.comment "
                "FROM respondents r JOIN waves w ON w.id = r.wave_id "
                "JOIN companies c ON c.id = w.company_id "
                "WHERE c.slug = ? AND w.name = ? ORDER BY r.id",
                con,
                params=(slug, wave),
            )

    def _require_wave(self, slug: str, wave: str) -> None:
        waves = self.waves(slug)
        if wave not in waves:
            known = ", ".join(waves) if waves else "none yet"
            raise StoreError(
                f"company '{slug}' has no wave '{wave}' (waves: {known}); a wave is created by "
                f"its first import: `alignkit import survey FILE --company {slug} --wave {wave}`"
            )
