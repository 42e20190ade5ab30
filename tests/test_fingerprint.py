"""Company data fingerprints: one read of each table for all companies, each company on its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alignkit.demo import DEMO_COMPANIES, write_demo_survey
from alignkit.factory.fingerprint import company_data_hashes, company_table_hashes, data_hash
from alignkit.intake.survey import import_survey
from alignkit.store.settings import save_settings
from alignkit.store.workspace import Workspace


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    for i, model in enumerate(DEMO_COMPANIES[:3]):
        company = dataclasses.replace(model, slug=f"fp-{i}", name=f"Fingerprint {i}")
        ws.add_company(company.slug, company.name, company.industry)
        survey = write_demo_survey(company, tmp_path / f"{company.slug}.csv")
        import_survey(survey, company=company.slug, wave="baseline", workspace=ws)
    ws.add_company("fp-empty", "No survey yet", None)  # no rows in most tables
    return ws


def test_each_company_hash_does_not_depend_on_which_others_are_asked(workspace: Workspace) -> None:
    slugs = [c.slug for c in workspace.companies()]
    together = company_data_hashes(workspace, slugs)
    assert list(together) == slugs
    assert len(set(together.values())) == len(slugs)
    for slug in slugs:
        assert company_data_hashes(workspace, [slug]) == {slug: together[slug]}


def test_a_change_to_one_company_changes_its_hash_only(workspace: Workspace) -> None:
    slugs = [c.slug for c in workspace.companies()]
    before = company_data_hashes(workspace, slugs)
    save_settings(workspace, "fp-1", report_date="2026-03-01")
    save_settings(workspace, "fp-empty", report_date="2026-03-01")
    after = company_data_hashes(workspace, slugs)
    changed = sorted(s for s in slugs if before[s] != after[s])
    assert changed == ["fp-1", "fp-empty"]


def test_a_company_s_hash_combines_its_table_hashes_and_a_table_can_be_read_alone(
        workspace: Workspace) -> None:
    slugs = [c.slug for c in workspace.companies()]
    tables = company_table_hashes(workspace, slugs)
    assert {slug: data_hash(t) for slug, t in tables.items()} == company_data_hashes(workspace, slugs)
    assert {"answers", "respondents", "meta"} <= set(tables[slugs[0]])
    alone = company_table_hashes(workspace, slugs, ["answers", "meta"])
    for slug in slugs:
        assert alone[slug] == {t: tables[slug][t] for t in ("answers", "meta")}
