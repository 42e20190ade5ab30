"""The workspace store and survey import: atomic, idempotent, pseudonymous."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from alignkit.exceptions import IntakeError, StoreError, UnknownCompanyError
from alignkit.intake.survey import import_survey
from alignkit.intake.table import read_raw
from alignkit.store.workspace import Workspace, file_sha256


def dump(ws: Workspace) -> str:
    """Full SQL dump through a fresh connection (sees WAL content, writes nothing)."""
    con = sqlite3.connect(ws.db_path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def count(ws: Workspace, table: str, where: str = "") -> int:
    con = sqlite3.connect(ws.db_path)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table} {where}").fetchone()[0]
    finally:
        con.close()


def raw_files(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.raw_dir.iterdir()) if ws.raw_dir.exists() else []


def answered(instrument, value="3", **cells):
    return {**{i.id: value for i in instrument.items}, **cells}


@pytest.fixture
def small_csv(data_dir, tmp_path):
    """A private copy of tests/data/canonical_small.csv (8 respondents)."""
    return shutil.copy(data_dir / "canonical_small.csv", tmp_path / "canonical_small.csv")


# -- workspace and companies -----------------------------------------------------------
def test_new_workspace_uses_wal_and_foreign_keys(workspace):
    assert workspace.db_path.name == "alignkit.db" and workspace.db_path.is_file()
    con = sqlite3.connect(workspace.db_path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent
    finally:
        con.close()
    with workspace.connect() as con:
        assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO waves (company_id, name, instrument_version, created_at) "
                        "VALUES (999, 'w', '1.0.0', 'now')")


def test_connect_without_database_is_a_store_error(tmp_path):
    ws = Workspace(tmp_path / "empty")
    assert ws.companies() == []
    with pytest.raises(StoreError, match="no alignkit workspace"), ws.connect():
        pass
    assert not ws.db_path.exists()


@pytest.mark.parametrize(
    "slug", ["Acme", "acme corp", "-acme", "", "acme_corp", "ácme", "a" * 64, "acme/x", "acme\n",
             "acme\n-other", "acme\r"]
)
def test_add_company_rejects_bad_slugs(workspace, slug):
    with pytest.raises(StoreError, match="not a valid company slug"):
        workspace.add_company(slug)
    assert [c.slug for c in workspace.companies()] == ["acme"]


@pytest.mark.parametrize("slug", ["a", "3m", "acme-corp", "a" * 63])
def test_add_company_accepts_good_slugs(workspace, slug):
    workspace.add_company(slug)
    assert slug in [c.slug for c in workspace.companies()]


def test_add_company_refuses_duplicates(workspace):
    assert workspace.company("acme").name == "Acme Corp"
    with pytest.raises(StoreError, match="already registered"):
        workspace.add_company("acme", "Another Acme")
    assert workspace.company("acme").name == "Acme Corp"


def test_unknown_company_hints_how_to_add_it(workspace, small_csv):
    with pytest.raises(UnknownCompanyError) as info:
        workspace.company("globex")
    message = str(info.value)
    assert "alignkit company add globex" in message
    assert "acme" in message  # lists the known companies
    with pytest.raises(UnknownCompanyError):
        import_survey(small_csv, company="globex", wave="baseline", workspace=workspace)
    assert raw_files(workspace) == []


# -- importing --------------------------------------------------------------------------
def test_import_stores_respondents_and_answers(workspace, small_csv, instrument):
    result = import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    assert result.imported
    assert result.respondents == 8
    assert result.by_team == {"sales": 4, "marketing": 3, "leadership": 1, "other": 0}
    assert result.skipped == []
    n_items = len(instrument.items)
    # 8 people x every item, minus R0004's four blank goals_* answers.
    assert count(workspace, "respondents") == 8
    assert count(workspace, "answers") == 8 * n_items - 4
    assert count(workspace, "answers", "WHERE value IS NULL") == 4  # R0003's N/A on sla_*
    assert workspace.waves("acme") == ["baseline"]
    assert result.items["goals_1"] == {"n": 7, "mean": round((4 + 2 + 3 + 4 + 3 + 5 + 1) / 7, 4)}
    assert result.items["sla_1"]["n"] == 7

    answers = workspace.answers("acme", "baseline")
    assert answers["value"].isna().sum() == 4
    people = workspace.respondents("acme", "baseline")
    assert sorted(people["team"]) == ["leadership"] + ["marketing"] * 3 + ["sales"] * 4
    assert set(people["comment"].dropna()) == {"More leads, please", 'Marketing said "soon"'}


def test_raw_file_is_copied_unchanged_and_source_untouched(workspace, small_csv):
    before_bytes = small_csv.read_bytes()
    before_mtime = small_csv.stat().st_mtime_ns
    import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    sha = file_sha256(small_csv)
    assert raw_files(workspace) == [f"{sha}.csv"]
    assert (workspace.raw_dir / f"{sha}.csv").read_bytes() == before_bytes
    assert small_csv.read_bytes() == before_bytes
    assert small_csv.stat().st_mtime_ns == before_mtime


def test_importing_the_same_file_again_changes_nothing(workspace, small_csv, tmp_path):
    import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    before, files = dump(workspace), raw_files(workspace)
    renamed = shutil.copy(small_csv, tmp_path / "same-bytes-other-name.csv")
    for path in (small_csv, renamed):
        again = import_survey(path, company="acme", wave="baseline", workspace=workspace)
        assert not again.imported
        assert "already imported" in again.message
        assert dump(workspace) == before
        assert raw_files(workspace) == files


def test_bad_last_row_leaves_store_unchanged(workspace, small_csv, write_survey, instrument):
    import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    before, files = dump(workspace), raw_files(workspace)
    rows = [answered(instrument, respondent_id=f"N{k}", team="Sales") for k in range(1, 5)]
    rows[-1]["process_4"] = "9"
    bad = write_survey(rows, name="bad.csv")
    with pytest.raises(IntakeError, match="row 5"):  # spreadsheet rows: the header is row 1
        import_survey(bad, company="acme", wave="baseline", workspace=workspace)
    assert dump(workspace) == before
    assert raw_files(workspace) == files


def test_failure_while_writing_rolls_back_and_removes_raw_copy(workspace, small_csv,
                                                              monkeypatch):
    original = Workspace._insert_rows

    def insert_then_fail(con, wave_id, import_id, respondents, answers):
        original(con, wave_id, import_id, respondents, answers)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Workspace, "_insert_rows", staticmethod(insert_then_fail))
    before = dump(workspace)
    with pytest.raises(RuntimeError, match="disk full"):
        import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    assert dump(workspace) == before
    assert raw_files(workspace) == []


def test_dry_run_writes_nothing(workspace, small_csv):
    before = dump(workspace)
    result = import_survey(small_csv, company="acme", wave="baseline", workspace=workspace,
                           dry_run=True)
    assert not result.imported
    assert "dry run" in result.message
    assert result.respondents == 8  # still validated and counted
    assert dump(workspace) == before
    assert raw_files(workspace) == []
    assert workspace.waves("acme") == []


def test_only_pseudonyms_reach_the_database(workspace, write_survey, instrument):
    keys = ["R0001", "zoe.mueller@example.com", "R0003"]
    rows = [answered(instrument, respondent_id=k, team="Sales") for k in keys]
    import_survey(write_survey(rows), company="acme", wave="baseline", workspace=workspace)
    text = dump(workspace)
    for key in keys:
        assert key not in text
    assert "example.com" not in text
    pseudonyms = list(workspace.respondents("acme", "baseline")["respondent"])
    assert len(set(pseudonyms)) == 3
    assert set(pseudonyms) == set(workspace.pseudonymise("acme", keys))


def test_same_respondent_in_second_file_of_a_wave_is_skipped(workspace, write_survey,
                                                            instrument):
    first = write_survey([answered(instrument, respondent_id=k, team="Sales")
                          for k in ("R1", "R2")], name="first.csv")
    second = write_survey([answered(instrument, "5", respondent_id=k, team="Marketing")
                           for k in ("R2", "R3")], name="second.csv")
    import_survey(first, company="acme", wave="baseline", workspace=workspace)
    result = import_survey(second, company="acme", wave="baseline", workspace=workspace)
    assert result.imported
    assert result.respondents == 1
    assert result.skipped == [{"row": 2, "reason": "respondent already imported in this wave"}]
    assert count(workspace, "respondents") == 3
    # The first answer of R2 (a sales 3) is the one kept.
    teams = sorted(workspace.respondents("acme", "baseline")["team"])
    assert teams == ["marketing", "sales", "sales"]

    # In another wave the same person is a new respondent.
    other = import_survey(second, company="acme", wave="follow-up", workspace=workspace)
    assert not other.imported  # same bytes: the file itself is already imported
    third = write_survey([answered(instrument, "4", respondent_id="R2", team="Sales")],
                         name="third.csv")
    assert import_survey(third, company="acme", wave="follow-up",
                         workspace=workspace).respondents == 1


def test_a_wave_reads_its_own_answers_in_storage_order(workspace, write_survey, instrument):
    """Imports of two waves interleaved: each wave reads back exactly what plain SQL finds."""
    import pandas as pd

    def add(wave: str, keys: tuple[str, ...], value: str) -> None:
        rows = [answered(instrument, value, respondent_id=k, team=t, goals_2="N/A", sla_1="")
                for k, t in zip(keys, ("Sales", "Marketing", "Other"), strict=False)]
        import_survey(write_survey(rows, name=f"{wave}-{keys[0]}.csv"), company="acme",
                      wave=wave, workspace=workspace)

    add("baseline", ("R1", "R2"), "4")
    add("follow-up", ("R1", "R9", "R5"), "2")
    add("baseline", ("R7", "R3", "R8"), "5")
    con = sqlite3.connect(workspace.db_path)
    try:
        for wave in ("baseline", "follow-up"):
            plain = pd.read_sql_query(
                "SELECT r.pseudonym AS respondent, r.team, a.item, a.value FROM answers a "
                "JOIN respondents r ON r.id = a.respondent_id JOIN waves w ON w.id = r.wave_id "
                "WHERE w.name = ? ORDER BY r.id, a.item", con, params=(wave,))
            plain = plain.astype({"respondent": "category", "team": "category",
                                  "item": "category", "value": float})
            pd.testing.assert_frame_equal(workspace.answers("acme", wave), plain)
    finally:
        con.close()


def test_reading_an_unknown_wave(workspace):
    with pytest.raises(StoreError, match="no wave 'baseline'"):
        workspace.answers("acme", "baseline")


# -- the workspace key ---------------------------------------------------------------------
def _database_bytes(ws: Workspace) -> bytes:
    """What someone who copies the database (with its journal files) gets."""
    return b"".join(p.read_bytes() for p in ws.root.glob("alignkit.db*"))


def _can_recompute(candidate: bytes, slug: str, key: str, pseudonym: str) -> bool:
    return hmac.new(candidate, f"{slug}\x1f{key}".encode(), hashlib.sha256).hexdigest()[:16] \
        == pseudonym


def test_the_database_alone_cannot_re_identify_anyone(workspace, write_survey, instrument):
    """An attacker with alignkit.db and the staff list tries every stored text as the key."""
    staff = [f"person{k}@client.example" for k in range(3)]
    rows = [answered(instrument, team="Sales", respondent_id=e) for e in staff]
    import_survey(write_survey(rows), company="acme", wave="baseline", workspace=workspace)
    stored = set(workspace.respondents("acme", "baseline")["respondent"])
    con = sqlite3.connect(workspace.db_path)
    try:
        texts = {str(v) for t in ("meta", "companies", "waves", "imports")
                 for row in con.execute(f"SELECT * FROM {t}") for v in row}
    finally:
        con.close()
    for text in texts:
        assert not any(_can_recompute(text.encode(), "acme", e, p) for e in staff for p in stored)
    key = workspace.key_path.read_text().strip()
    assert key.encode() not in _database_bytes(workspace)
    assert any(_can_recompute(key.encode(), "acme", e, p) for e in staff for p in stored)
    assert stat.S_IMODE(workspace.key_path.stat().st_mode) == 0o600


def _make_old_style(ws: Workspace, salt: str) -> None:
    """Turn a workspace into what earlier versions wrote: the salt inside the database."""
    ws.key_path.unlink()
    con = sqlite3.connect(ws.db_path)
    with con:
        con.execute("DELETE FROM meta WHERE key IN ('key_check', 'schema_digest')")
        con.execute("INSERT INTO meta VALUES ('salt', ?)", (salt,))
    con.close()


def test_an_older_workspace_has_its_key_moved_out_and_wiped(tmp_path, write_survey, instrument):
    ws = Workspace(tmp_path / "old")
    ws.add_company("acme")
    salt = secrets.token_hex(16)
    _make_old_style(ws, salt)
    assert salt.encode() in _database_bytes(ws)

    reopened = Workspace(ws.root)
    expected = hmac.new(salt.encode(), b"acme\x1fR1", hashlib.sha256).hexdigest()[:16]
    assert reopened.pseudonymise("acme", ["R1"]) == [expected]  # same pseudonyms as before
    assert reopened.key_path.read_text().strip() == salt
    assert salt.encode() not in _database_bytes(reopened)
    rows = [answered(instrument, respondent_id="R1", team="Sales")]
    import_survey(write_survey(rows), company="acme", wave="baseline", workspace=reopened)
    assert list(reopened.respondents("acme", "baseline")["respondent"]) == [expected]


def test_a_lost_key_stops_imports_but_not_results(workspace, write_survey, instrument,
                                                  monkeypatch):
    first = write_survey([answered(instrument, respondent_id=f"R{k}", team="Sales")
                          for k in range(3)], name="first.csv")
    import_survey(first, company="acme", wave="baseline", workspace=workspace)
    workspace.key_path.unlink()
    fresh = Workspace(workspace.root)
    assert len(fresh.answers("acme", "baseline")) > 0  # stored results need no key
    second = write_survey([answered(instrument, respondent_id="R1", team="Sales")],
                          name="second.csv")
    before = dump(fresh)
    with pytest.raises(StoreError, match="key .* is missing.*restore the file"):
        import_survey(second, company="acme", wave="baseline", workspace=fresh)
    assert dump(fresh) == before

    monkeypatch.setenv("ALIGNKIT_NEW_KEY", "1")
    result = import_survey(second, company="acme", wave="baseline", workspace=Workspace(fresh.root))
    assert result.imported and result.respondents == 1  # R1 is no longer recognised
    assert fresh.key_path.is_file()


def test_a_key_file_of_another_workspace_is_refused(workspace, tmp_path):
    other = Workspace(tmp_path / "other")
    other.add_company("acme")
    shutil.copy(other.key_path, workspace.key_path)
    with pytest.raises(StoreError, match="belongs to another workspace"):
        Workspace(workspace.root).pseudonymise("acme", ["R1"])


# -- private files ---------------------------------------------------------------------------
@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_workspace_folders_and_files_are_private_whatever_the_umask(tmp_path, small_csv,
                                                                   umask_022):
    ws = Workspace(tmp_path / "new" / "ws")
    ws.add_company("acme")
    import_survey(small_csv, company="acme", wave="baseline", workspace=ws)
    with ws.connect() as con:  # the journal files exist while a connection is open
        con.execute("SELECT COUNT(*) FROM answers").fetchone()
        journal = [ws.root / "alignkit.db-wal", ws.root / "alignkit.db-shm"]
        assert {p.name: _mode(p) for p in journal} == {p.name: 0o600 for p in journal}
    assert _mode(ws.root) == 0o700
    assert _mode(ws.raw_dir) == 0o700
    assert {p.name: _mode(p) for p in (ws.db_path, ws.key_path)} == {
        "alignkit.db": 0o600, ".alignkit-key": 0o600}
    assert [_mode(p) for p in ws.raw_dir.iterdir()] == [0o400]


def test_an_older_workspace_is_made_private(workspace, small_csv, umask_022):
    import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    for path in (workspace.root, workspace.raw_dir):
        path.chmod(0o755)
    workspace.db_path.chmod(0o644)
    raw = next(workspace.raw_dir.iterdir())
    raw.chmod(0o444)
    con = sqlite3.connect(workspace.db_path)
    with con:
        con.execute("DELETE FROM meta WHERE key = 'schema_digest'")  # as an older version left it
    con.close()
    Workspace(workspace.root).companies()
    assert [_mode(p) for p in (workspace.root, workspace.raw_dir, workspace.db_path, raw)] == [
        0o700, 0o700, 0o600, 0o400]


# -- raw copies of killed imports ----------------------------------------------------------------
def test_stray_raw_files_of_killed_imports_are_finished_or_removed(workspace, small_csv):
    """What a killed import leaves (an unlocked temporary copy) is sorted out on the next open."""
    import_survey(small_csv, company="acme", wave="baseline", workspace=workspace)
    kept = next(workspace.raw_dir.iterdir())
    committed = workspace.raw_dir / f".{kept.name}.0123456789ab.tmp"
    kept.rename(committed)  # committed, killed before the copy took its name
    never = workspace.raw_dir / f".{'f' * 64}.csv.ba9876543210.tmp"
    never.write_bytes(b"respondent_id,team\n")  # killed before its import committed
    Workspace(workspace.root).companies()
    assert raw_files(workspace) == [kept.name]
    assert kept.read_bytes() == small_csv.read_bytes()


# -- what raw copies keep --------------------------------------------------------------------
EXPORTS = Path(__file__).parent / "data" / "exports"
WHO = ("client.example", "L\u00f3pez", "Okafor", "203.0.113.", "198.51.100.", "192.0.2.",
       "1f2e3d4c5b")


@pytest.mark.parametrize("name", [
    "google_forms.csv", "microsoft_forms.xlsx", "surveymonkey.csv", "surveymonkey.xlsx",
    "qualtrics_choice_text.csv", "qualtrics_choice_text.tsv", "qualtrics_numeric.csv",
    "typeform.csv", "limesurvey_fulltext.csv"])
def test_raw_copy_leaves_out_who_answered(workspace, tmp_path, name):
    original = shutil.copy(EXPORTS / name, tmp_path / name)
    before = (original.read_bytes(), original.stat().st_mtime_ns)
    import_survey(original, company="acme", wave="baseline", workspace=workspace)
    assert (original.read_bytes(), original.stat().st_mtime_ns) == before
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.name == f"{file_sha256(original)}.redacted.csv"
    text = copy.read_text(encoding="utf-8")
    assert [who for who in WHO if who in text] == []
    kept, read = read_raw(copy).records, read_raw(original).records
    assert len(kept) == len(read)  # every header and data row, fewer columns
    assert 0 < len(kept[0]) < len(read[0])


def test_keep_raw_keeps_the_file_unchanged(workspace):
    import_survey(EXPORTS / "google_forms.csv", company="acme", wave="baseline",
                  workspace=workspace, keep_raw=True)
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.read_bytes() == (EXPORTS / "google_forms.csv").read_bytes()
