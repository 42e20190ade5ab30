"""A company's store extract: only its rows, read back like the workspace, refused when damaged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alignkit.demo import DEMO_COMPANIES, build_demo_workspace, write_demo_survey
from alignkit.exceptions import StoreError, UnknownCompanyError
from alignkit.intake.survey import import_survey
from alignkit.store.extract import extract_company, extract_digest, open_extract
from alignkit.store.settings import load_settings, save_settings
from alignkit.store.workspace import Workspace

ONE, OTHER = DEMO_COMPANIES[0], DEMO_COMPANIES[1]


@pytest.fixture
def two(tmp_path: Path) -> Workspace:
    """A workspace with two companies, each with a survey wave and its own settings."""
    ws = Workspace(tmp_path / "ws")
    for company, currency in ((ONE, "EUR"), (OTHER, "USD")):
        ws.add_company(company.slug, company.name)
        survey = write_demo_survey(company, tmp_path / f"{company.slug}.csv")
        import_survey(survey, company=company.slug, wave="baseline", workspace=ws)
        save_settings(ws, company.slug, currency=currency, revenue_goal=1_000_000)
    return ws


def _open(data: bytes) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.deserialize(data)
    return con


def _tables(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def test_an_extract_holds_its_company_and_nothing_of_the_other(two: Workspace) -> None:
    data = extract_company(two, ONE.slug)
    con = _open(data)
    assert con.execute("SELECT slug, name FROM companies").fetchall() == [(ONE.slug, ONE.name)]
    assert dict(con.execute("SELECT key, value FROM meta")).keys() == {"schema_version", "schema_digest"}
    with two.connect() as source:
        assert set(_tables(con)) == set(_tables(source))  # every table, same shape
    others = two.respondents(OTHER.slug, "baseline")["respondent"]
    assert len(others) > 0
    for text in (OTHER.slug, OTHER.name, *others):
        assert text.encode() not in data, text  # not a row, not a left-over page
    assert b"USD" not in data and b"EUR" in data


def test_an_extract_reads_like_the_workspace(two: Workspace, tmp_path: Path) -> None:
    data = extract_company(two, ONE.slug)
    ws = open_extract(data, extract_digest(data), tmp_path / "copy")
    assert [c.slug for c in ws.companies()] == [ONE.slug]
    assert ws.waves(ONE.slug) == two.waves(ONE.slug)
    assert ws.answers(ONE.slug, "baseline").equals(two.answers(ONE.slug, "baseline"))
    assert ws.respondents(ONE.slug, "baseline").equals(two.respondents(ONE.slug, "baseline"))
    assert load_settings(ws, ONE.slug) == load_settings(two, ONE.slug)
    assert not ws.key_path.exists() or ws.key_path.read_text() != two.key_path.read_text()
    assert (tmp_path / "copy" / "alignkit.db").stat().st_mode & 0o077 == 0  # private


def test_a_damaged_extract_is_refused(two: Workspace, tmp_path: Path) -> None:
    data = extract_company(two, ONE.slug)
    digest = extract_digest(data)
    damaged = data[:4096] + bytes([data[4096] ^ 1]) + data[4097:]
    with pytest.raises(StoreError, match="damaged"):
        open_extract(damaged, digest, tmp_path / "a", label=ONE.slug)
    assert not (tmp_path / "a" / "alignkit.db").exists()
    open_extract(data, digest, tmp_path / "b")
    with pytest.raises(StoreError, match="already holds a workspace"):
        open_extract(data, digest, tmp_path / "b")


def test_an_unknown_company_has_no_extract(two: Workspace) -> None:
    with pytest.raises(UnknownCompanyError):
        extract_company(two, "nobody")


@pytest.mark.slow
def test_each_demo_extract_has_exactly_its_company_rows(tmp_path: Path) -> None:
    ws = build_demo_workspace(tmp_path / "demo")
    companies = ws.companies()
    full = ws.db_path.stat().st_size
    with ws.connect() as source:
        for company in companies:
            _check_demo_extract(ws, source, company.slug, [c for c in companies if c != company], full)


def _check_demo_extract(ws: Workspace, source: sqlite3.Connection, slug: str, others: list,
                        full: int) -> None:
    data = extract_company(ws, slug)
    con = _open(data)
    filled = 0
    for table in _tables(con):
        if table == "meta":
            continue
        got = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
        assert got == _company_rows(source, table, slug), table
        filled += bool(got)
    assert filled >= 8  # answers, leads, actions, settings, publications … all travel
    for other in others:
        assert other.name.encode() not in data and other.slug.encode() not in data
    assert len(data) < full


def _company_rows(con: sqlite3.Connection, table: str, slug: str) -> list[tuple]:
    """The rows of ``table`` that belong to ``slug``, following the demo schema's links by hand."""
    company = "(SELECT id FROM companies WHERE slug = ?)"
    waves = f"(SELECT id FROM waves WHERE company_id = {company})"
    links = {
        "companies": f"id = {company}",
        "waves": f"company_id = {company}",
        "imports": f"company_id = {company}",
        "respondents": f"wave_id IN {waves}",
        "answers": f"respondent_id IN (SELECT id FROM respondents WHERE wave_id IN {waves})",
        "publications": f"wave_id IN {waves}",
        "action_updates": f"action_id IN (SELECT id FROM actions WHERE company_id = {company})",
    }
    where = links.get(table, f"company_id = {company}")
    return con.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY rowid',
                       (slug,)).fetchall()
