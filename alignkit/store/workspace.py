"""The workspace store: one SQLite database plus the raw files it was built from.

A workspace is a private folder (``0700``; its files ``0600``, whatever the
umask) holding ``alignkit.db`` (SQLite, WAL journal, foreign keys on),
``.alignkit-key`` (the secret behind the pseudonyms, see
:mod:`alignkit.store.key`), ``raw/`` (a read-only copy of every imported
file, named by its SHA-256) and ``reports/``. Respondents are kept under
pseudonyms only.

Any number of processes may use a workspace at once: writes take the
database's write lock up front (``BEGIN IMMEDIATE``) and wait for it (see
:mod:`alignkit.store.db`); a raw copy takes its name only once the import
that refers to it has committed (see :mod:`alignkit.store.files`).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from alignkit.exceptions import StoreError, UnknownCompanyError
from alignkit.store.db import DB_NAME, company_id, open_database, plain_error, prepare_database
from alignkit.store.files import StagedFile, make_private_dir, raw_name
from alignkit.store.key import KEY_NAME, NEW_KEY_ENV, pseudonyms, read_key, start_new_key
from alignkit.text.times import now_iso

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Company",
    "ImportRecord",
    "Workspace",
    "as_workspace",
    "file_sha256",
    "resolve_workspace",
]

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\Z")


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
        self.key_path = self.root / KEY_NAME
        self.raw_dir = self.root / "raw"
        self.reports_dir = self.root / "reports"
        self._prepared = False
        self._key: str | None = None

    # -- connection -----------------------------------------------------
    def exists(self) -> bool:
        """True if the workspace already has a database."""
        return self.db_path.exists()

    @contextmanager
    def connect(self, *, create: bool = False, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Open the database; every ``with`` block is one transaction.

        With ``write``, the block holds the write lock from its start, so what
        it reads stays true until it commits (other writers wait). Without
        it, the lock is taken at the block's first change.

        Raises
        ------
        StoreError
            No workspace (unless ``create``), a read-only workspace, or a
            database another process kept locked too long.
        """
        if not create and not self.exists():
            raise StoreError(
                f"no alignkit workspace at {self.root}: register a company first with "
                "`alignkit company add SLUG`, or pass --workspace DIR"
            )
        if not self._prepared:
            prepare_database(self, create=create)
            self._prepared = True
        con = open_database(self)
        try:
            try:
                if write:
                    con.execute("BEGIN IMMEDIATE")
                with con:
                    yield con
            except sqlite3.OperationalError as err:
                raise plain_error(self, err) from None
        finally:
            con.close()

    # -- companies ------------------------------------------------------
    def add_company(self, slug: str, name: str | None = None, industry: str | None = None) -> Company:
        """Register a client. Slugs are lower-case letters, digits and hyphens."""
        if not SLUG_RE.fullmatch(slug):
            raise StoreError(
                f"'{slug}' is not a valid company slug: use lower-case letters, digits and "
                "hyphens, e.g. acme-corp"
            )
        company = Company(slug, (name or slug.replace("-", " ").title()).strip(), industry)
        with self.connect(create=True, write=True) as con:
            added = con.execute(
                "INSERT INTO companies (slug, name, industry, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (slug) DO NOTHING",
                (company.slug, company.name, company.industry, now_iso()),
            )
            if not added.rowcount:
                raise StoreError(f"company '{slug}' is already registered")
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
        if self.exists():  # one row by its unique slug: a batch asks for each of thousands
            with self.connect() as con:
                row = con.execute("SELECT slug, name, industry FROM companies WHERE slug = ?",
                                  (slug,)).fetchone()
            if row is not None:
                return Company(*row)
        raise UnknownCompanyError(slug, [c.slug for c in self.companies()])

    def survey_versions(self) -> list[tuple[str, str, str]]:
        """``(company slug, wave, version)`` of every wave, oldest wave of each company first.

        ``version`` names the imports the wave's answers came from (answers enter
        only by import), so it changes whenever the wave's answers change; one
        query for the whole workspace.
        """
        if not self.exists():
            return []
        with self.connect() as con:
            rows = con.execute(
                "SELECT c.slug, w.name, COALESCE(GROUP_CONCAT(i.id || ':' || i.sha256, ','), '') "
                "FROM waves w JOIN companies c ON c.id = w.company_id "
                "LEFT JOIN (SELECT id, wave_id, sha256 FROM imports ORDER BY id) i "
                "ON i.wave_id = w.id GROUP BY w.id ORDER BY c.slug, w.id")
            return [(slug, wave, version) for slug, wave, version in rows]

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
        """Stable pseudonyms for respondent keys, keyed per workspace.

        The key (an id or e-mail from the export) cannot be read back from the
        pseudonym, nor recomputed from a list of candidates, without the
        workspace key, which is kept outside the database (see
        :mod:`alignkit.store.key`, also for what to do when it is lost).

        Raises
        ------
        StoreError
            When the key file is missing or belongs to another workspace.
        """
        return pseudonyms(self._secret(), slug, keys)

    def _secret(self) -> str:
        if self._key is None:
            if not self.key_path.exists() and os.environ.get(NEW_KEY_ENV) == "1":
                self.new_key()
            with self.connect() as con:
                self._key = read_key(con, self.key_path)
        return self._key

    def new_key(self) -> None:
        """Start a new workspace key after the old one was lost.

        People imported before then get other pseudonyms than before: they are
        no longer recognised as repeats. Stored results are not touched.
        """
        with self.connect(write=True) as con:
            self._key = start_new_key(con, self.key_path)

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
        redacted: bytes | None = None,
    ) -> None:
        """Store one import in a single transaction and keep its raw file.

        ``respondents`` has columns ``pseudonym, team, role, comment`` and a
        ``row`` key; ``answers`` has ``row, item, value`` (value may be NA).
        ``redacted`` is what to keep of the file instead of its unchanged
        bytes (then ``raw/<sha256>.redacted.csv``). Nothing is written unless
        everything is; the user's file is only read.

        Raises
        ------
        StoreError
            When another import running at the same time stored the same file
            for this company, or some of the same people in this wave; nothing
            is written (importing the file again then says so, or skips them).
        """
        raw_path = self.raw_dir / raw_name(sha256, source_file.suffix, redacted=redacted is not None)
        with self.keeping_raw(raw_path, source_file=source_file if redacted is None else None,
                              data=redacted) as con:
            cid = company_id(con, slug)
            if con.execute("SELECT 1 FROM imports WHERE company_id = ? AND sha256 = ?",
                           (cid, sha256)).fetchone():
                raise StoreError(f"{source_file.name} was imported for '{slug}' by another "
                                 "import running at the same time; nothing changed")
            wave_id = self._wave_id(con, cid, wave, instrument_version)
            self._refuse_repeats(con, wave_id, wave, respondents, source_file)
            cur = con.execute(
                "INSERT INTO imports (company_id, wave_id, sha256, source, file_name, raw_path,"
                " imported_at, respondents, skipped, answers) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (cid, wave_id, sha256, source, source_file.name,
                 raw_path.relative_to(self.root).as_posix(), now_iso(), len(respondents),
                 skipped, len(answers)),
            )
            self._insert_rows(con, wave_id, cur.lastrowid, respondents, answers)

    @contextmanager
    def keeping_raw(self, raw_path: Path, *, source_file: Path | None = None,
                    data: bytes | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction that keeps a raw copy: the copy exists if and only if it commits.

        The copy of ``source_file`` (or ``data``) is written under a hidden
        name while the block runs, and takes the name ``raw_path`` (read-only)
        once the block's transaction has committed. A process killed at any
        point leaves no copy without its import, nor an import without its
        copy, once the workspace is opened again. An existing ``raw_path``
        (the same file kept before) is left as it is.

        Examples
        --------
        ``with ws.keeping_raw(ws.raw_dir / f"{sha}.csv", source_file=path) as con:``
        then insert the import's rows with ``con``, naming the copy's
        ``raw/…`` path.
        """
        staged: StagedFile | None = None
        committed = False
        try:
            with self.connect(write=True) as con:
                make_private_dir(self.raw_dir)
                staged = StagedFile(raw_path)  # under the write lock: see recover_raw_files
                if source_file is not None:
                    staged.copy_from(source_file)
                else:
                    staged.write_bytes(data or b"")
                yield con
            committed = True
            staged.publish()  # if this fails, the next open of the workspace finishes it
        finally:
            if staged is not None and committed:
                staged.close()
            elif staged is not None:
                staged.discard()

    @staticmethod
    def _refuse_repeats(con: sqlite3.Connection, wave_id: int, wave: str,
                        respondents: pd.DataFrame, source_file: Path) -> None:
        stored = {r[0] for r in con.execute(
            "SELECT pseudonym FROM respondents WHERE wave_id = ?", (wave_id,))}
        repeats = stored.intersection(respondents["pseudonym"])
        if repeats:
            raise StoreError(
                f"{len(repeats)} respondent(s) of {source_file.name} were stored in wave '{wave}' "
                "by another import running at the same time; nothing was written from this "
                "file: import it again to skip them")

    def copy_raw(self, source_file: Path, raw_path: Path) -> bool:
        """Copy an imported file to ``raw/`` unchanged and read-only; False if already there.

        The copy appears under its name complete or not at all. Prefer
        :meth:`keeping_raw`, which writes the copy and the import in one go: a
        process killed between this copy and its import's commit leaves the
        copy behind.
        """
        if raw_path.exists():
            return False
        make_private_dir(self.raw_dir)
        with self.connect(write=True):
            staged = StagedFile(raw_path)  # under the write lock: see recover_raw_files
        try:
            staged.copy_from(source_file)
            return staged.publish()
        finally:
            if not staged.published:
                staged.discard()
            staged.close()

    @staticmethod
    def _wave_id(con: sqlite3.Connection, company_id: int, wave: str, version: str) -> int:
        # Two imports may create the same wave at once: never fail on the other's row.
        con.execute(
            "INSERT INTO waves (company_id, name, instrument_version, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT (company_id, name) DO NOTHING",
            (company_id, wave, version, now_iso()),
        )
        return con.execute("SELECT id FROM waves WHERE company_id = ? AND name = ?",
                           (company_id, wave)).fetchone()[0]

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

        Respondent by respondent in the order they were stored, each one's items
        alphabetically. ``value`` is a float (NaN for N/A). Respondent, team and
        item are categoricals (categories sorted).
        """
        self._require_wave(slug, wave)
        with self.connect() as con:
            people = con.execute(
                "SELECT r.id, r.pseudonym, r.team, r.wave_id FROM respondents r "
                "JOIN waves w ON w.id = r.wave_id JOIN companies c ON c.id = w.company_id "
                "WHERE c.slug = ? AND w.name = ? ORDER BY r.id", (slug, wave)).fetchall()
            # People in id order, each one's answers through the primary key: the rows
            # come sorted, with no sort of a million rows. CROSS JOIN fixes that join
            # order; "+" keeps SQLite off the wave index, which lists people by pseudonym.
            cursor = con.execute(
                "SELECT a.respondent_id, a.item, a.value FROM respondents r "
                "CROSS JOIN answers a ON a.respondent_id = r.id "
                "WHERE r.id BETWEEN ? AND ? AND +r.wave_id = ? ORDER BY r.id, a.item",
                (people[0][0], people[-1][0], people[0][3]) if people else (0, -1, 0))
            return _answers_frame(people, cursor)

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


def _answers_frame(people: list[tuple[int, str, str, int]], cursor: sqlite3.Cursor,
                   chunk: int = 200_000) -> pd.DataFrame:
    """:meth:`Workspace.answers` from its people (``id, pseudonym, team, wave``) and answers.

    Rows are read in chunks and coded as they come, so that a million answers never
    exist as a million Python tuples at once; labels are looked up per person.
    """
    import numpy as np
    import pandas as pd

    ids, codes, values, items = [], [], [], {}
    while batch := cursor.fetchmany(chunk):
        ids.append(np.fromiter(map(itemgetter(0), batch), np.int64, len(batch)))
        found, labels = pd.factorize(np.fromiter(map(itemgetter(1), batch), object, len(batch)))
        codes.append(np.array([items.setdefault(x, len(items)) for x in labels])[found])
        values.append(np.fromiter(map(itemgetter(2), batch), float, len(batch)))  # None: NaN
    rid = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    first = np.r_[True, rid[1:] != rid[:-1]] if len(rid) else np.zeros(0, bool)
    person = np.cumsum(first) - 1  # rows come person by person
    at = np.searchsorted(np.array([p[0] for p in people], dtype=np.int64), rid[first])
    names = np.array([p[1] for p in people], dtype=object)[at]
    teams = np.array([p[2] for p in people], dtype=object)[at]
    item_labels = np.array(list(items), dtype=object)
    item_codes = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    return pd.DataFrame({
        "respondent": _sorted_categorical(names, person),
        "team": _sorted_categorical(teams, person),
        "item": _sorted_categorical(item_labels, item_codes),
        "value": np.concatenate(values) if values else np.zeros(0),
    })


def _sorted_categorical(labels: object, index: object) -> pd.Categorical:
    """``labels[index]`` as a categorical whose categories are the labels used, sorted."""
    import pandas as pd

    codes, categories = pd.factorize(labels, sort=True)
    return pd.Categorical.from_codes(codes[index], categories=categories)


def as_workspace(value: Workspace | str | Path | None) -> Workspace:
    """The workspace itself, or the one at a folder (``None``/``""``: as :func:`resolve_workspace`)."""
    return value if isinstance(value, Workspace) else Workspace(value)
