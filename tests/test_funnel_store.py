"""Storing a CRM funnel: one transaction, pseudonymous, idempotent, loadable."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from alignkit.exceptions import IntakeError, UnknownCompanyError
from alignkit.intake.crm import import_funnel
from alignkit.store.funnel import (
    LEAD_FRAME_COLUMNS,
    find_funnel_import,
    load_funnel_counts,
    load_leads,
)
from alignkit.store.workspace import Workspace, file_sha256

CRM = Path(__file__).parent / "data" / "crm"


def dump(ws: Workspace) -> list[str]:
    con = sqlite3.connect(ws.db_path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def raw_files(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.raw_dir.glob("*")) if ws.raw_dir.exists() else []


def test_lead_import_is_stored_pseudonymously(workspace: Workspace) -> None:
    result = import_funnel(CRM / "hubspot_contacts.csv", company="acme", workspace=workspace)
    assert result.imported and result.message == "imported 6 leads (6 new, 0 updated)"
    assert result.by_source == {"marketing": 5, "sales": 1, "other": 0}
    assert result.stages == {"lead": 6, "mql": 4, "sal": 2, "sql": 3, "opportunity": 2, "won": 1}
    text = "\n".join(dump(workspace))
    for clear in ("51234001", "Priya Nair", "Jonas Weber", "Lindqvist", "example.com"):
        assert clear not in text
    assert "Inside Sales" in text  # the owner's team may be kept
    leads = load_leads(workspace, "acme")
    assert list(leads.columns) == list(LEAD_FRAME_COLUMNS)
    assert leads["lead"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert leads["owner"].dropna().nunique() == 3  # three owners, three pseudonyms


def test_raw_file_is_kept_unchanged_under_its_hash(workspace: Workspace) -> None:
    source = CRM / "salesforce_leads.csv"
    import_funnel(source, company="acme", workspace=workspace, keep_raw=True)
    raw = workspace.raw_dir / f"{file_sha256(source)}.csv"
    assert raw.read_bytes() == source.read_bytes()
    assert find_funnel_import(workspace, "acme", file_sha256(source)).kind == "leads"


def test_loaded_leads_have_real_types(workspace: Workspace) -> None:
    import_funnel(CRM / "salesforce_leads.csv", company="acme", workspace=workspace)
    leads = load_leads(workspace, "acme")
    assert str(leads["created_at"].dtype).startswith("datetime64")
    assert leads["created_at"].iloc[0] == pd.Timestamp("2024-03-14 09:42")
    assert leads["opportunity_at"].dropna().iloc[0] == pd.Timestamp("2024-03-20")
    assert list(leads["source"].cat.categories) == ["marketing", "sales", "other"]
    assert leads["amount"].sum() == pytest.approx(24300 + 8750 + 61000)
    assert sorted(leads["outcome"].dropna()) == ["lost", "won"]


def test_reimport_reports_already_imported_and_changes_nothing(workspace: Workspace) -> None:
    import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace)
    before, raw = dump(workspace), raw_files(workspace)
    again = import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace)
    assert not again.imported and "already imported" in again.message
    assert dump(workspace) == before and raw_files(workspace) == raw


def test_dry_run_writes_nothing(workspace: Workspace) -> None:
    before = dump(workspace)
    result = import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace,
                           dry_run=True)
    assert not result.imported and result.message.startswith("dry run")
    assert (result.rows, result.new, result.updated) == (12, 12, 0)
    assert dump(workspace) == before and raw_files(workspace) == []


def test_failed_import_leaves_store_and_raw_unchanged(workspace: Workspace,
                                                      tmp_path: Path) -> None:
    import_funnel(CRM / "hubspot_contacts.csv", company="acme", workspace=workspace)
    before, raw = dump(workspace), raw_files(workspace)
    bad = tmp_path / "bad.csv"
    text = (CRM / "leads_small.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace("2024-01-03 10:30", "2024-01-02 10:30"), encoding="utf-8")
    with pytest.raises(IntakeError, match="row 2, column 'sal_at'"):
        import_funnel(bad, company="acme", workspace=workspace)
    assert dump(workspace) == before and raw_files(workspace) == raw


def test_failure_inside_the_transaction_rolls_back(workspace: Workspace,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = dump(workspace)
    import alignkit.intake.crm as store

    def explode(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_upsert_leads", explode)
    with pytest.raises(RuntimeError):
        import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace)
    assert dump(workspace) == before and raw_files(workspace) == []


def test_a_later_export_updates_the_leads_it_shares(workspace: Workspace, tmp_path: Path) -> None:
    import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace)
    later = tmp_path / "later.csv"
    lines = (CRM / "leads_small.csv").read_text(encoding="utf-8").splitlines()
    # L05 has now been accepted and touched; L13 is new
    assert lines[5].startswith("L05,2024-01-09 11:00,Organic Search,2024-01-10 11:00,,,,,,,Bob")
    lines[5] = lines[5].replace("2024-01-10 11:00,,,,,,,", "2024-01-10 11:00,2024-01-11 09:00,"
                                ",,,,2024-01-11 08:00,")
    lines.append("L13,2024-02-01 09:00,Webinar,,,,,,,,,,")
    later.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_funnel(later, company="acme", workspace=workspace)
    assert (result.new, result.updated) == (1, 12)
    leads = load_leads(workspace, "acme")
    assert len(leads) == 13
    assert leads["sal_at"].notna().sum() == 5


def test_stage_counts_are_stored_and_a_period_cannot_be_imported_twice(
        workspace: Workspace, tmp_path: Path) -> None:
    result = import_funnel(CRM / "counts_wide.csv", company="acme", workspace=workspace)
    assert result.kind == "counts" and result.periods == ["2024-01", "2024-02", "2024-03"]
    counts = load_funnel_counts(workspace, "acme")
    assert len(counts) == 18 and counts["count"].sum() == 1800 + 560 + 370 + 275 + 123 + 37
    assert list(counts["stage"].cat.categories)[:2] == ["lead", "mql"]
    overlap = tmp_path / "more.csv"
    overlap.write_text("Month,Leads,MQLs\n2024-04,300,90\n2024-03,999,99\n", encoding="utf-8")
    before = dump(workspace)
    with pytest.raises(IntakeError) as err:
        import_funnel(overlap, company="acme", workspace=workspace)
    assert (err.value.row, err.value.column) == (3, "Leads")
    assert "2024-03 already has" in str(err.value)
    assert dump(workspace) == before


def test_a_long_count_file_takes_its_period_from_the_option(workspace: Workspace) -> None:
    import_funnel(CRM / "counts_long.csv", company="acme", workspace=workspace, period="2024-Q1")
    counts = load_funnel_counts(workspace, "acme")
    assert set(counts["period"]) == {"2024-Q1"} and len(counts) == 5


def test_unknown_company_is_refused(workspace: Workspace) -> None:
    with pytest.raises(UnknownCompanyError):
        import_funnel(CRM / "leads_small.csv", company="acmee", workspace=workspace)
    with pytest.raises(UnknownCompanyError):
        load_leads(workspace, "acmee")


def test_no_funnel_data_loads_as_empty_frames(workspace: Workspace) -> None:
    assert load_leads(workspace, "acme").empty
    assert list(load_leads(workspace, "acme").columns) == list(LEAD_FRAME_COLUMNS)
    assert load_funnel_counts(workspace, "acme").empty


def test_one_company_never_sees_another_companys_leads(workspace: Workspace) -> None:
    workspace.add_company("other", "Other Ltd")
    import_funnel(CRM / "leads_small.csv", company="other", workspace=workspace)
    assert load_leads(workspace, "acme").empty
    assert len(load_leads(workspace, "other")) == 12


def test_the_same_file_for_two_companies_gets_different_pseudonyms(
        workspace: Workspace, tmp_path: Path) -> None:
    workspace.add_company("other", "Other Ltd")
    copy = tmp_path / "copy.csv"
    shutil.copyfile(CRM / "leads_small.csv", copy)
    import_funnel(CRM / "leads_small.csv", company="acme", workspace=workspace)
    import_funnel(copy, company="other", workspace=workspace)
    assert not set(load_leads(workspace, "acme")["lead"]) & set(load_leads(workspace, "other")["lead"])


def test_load_funnel_unpacks_into_the_analysis(workspace: Workspace) -> None:
    from alignkit.analysis.funnel import analyse_funnel
    from alignkit.store.funnel import load_funnel

    import_funnel(CRM / "counts_wide.csv", company="acme", workspace=workspace)
    data = load_funnel(workspace, "acme")
    assert data.leads.empty and len(data.counts) == 18
    assert analyse_funnel(*data).basis == "counts"
