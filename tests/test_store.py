"""The workspace store and survey import: atomic, idempotent, pseudonymous."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from alignkit.exceptions import IntakeError, StoreError, UnknownCompanyError
from alignkit.store import Workspace, file_sha256
from alignkit.survey_import import import_survey


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
    "slug", ["Acme", "acme corp", "-acme", "", "acme_corp", "ácme", "a" * 64, "acme/x"]
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
    with pytest.raises(IntakeError, match="row 4"):
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
    assert result.skipped == [{"row": 1, "reason": "respondent already imported in this wave"}]
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


def test_reading_an_unknown_wave(workspace):
    with pytest.raises(StoreError, match="no wave 'baseline'"):
        workspace.answers("acme", "baseline")
