"""Demo CRM exports: each company's CRM shape, imported like a real file, telling its story."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest

from alignkit.analysis.funnel import analyse_funnel
from alignkit.demo import DEMO_COMPANIES, build_demo_workspace
from alignkit.demo.funnel import FUNNEL_PROFILES, populate
from alignkit.store.funnel import load_leads
from alignkit.store.workspace import Workspace, file_sha256

COMPANIES = {c.slug: c for c in DEMO_COMPANIES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The session's demo workspace (root conftest.py), read only; else a new one."""
    shared = os.environ.get("ALIGNKIT_WORKSPACE")
    if shared and Workspace(shared).exists():
        return Workspace(shared)
    return build_demo_workspace(tmp_path_factory.mktemp("demo"))


def export(ws: Workspace, slug: str) -> Path:
    return ws.root / "inbox" / f"{slug}-crm-leads.csv"


def funnel(ws: Workspace, slug: str):
    return analyse_funnel(load_leads(ws, slug), sla_hours=24)


def test_every_demo_company_has_a_profile() -> None:
    assert set(FUNNEL_PROFILES) == set(COMPANIES)
    assert {p.crm.split("-")[0] for p in FUNNEL_PROFILES.values()} == {"hubspot", "salesforce"}


@pytest.mark.parametrize(("slug", "first_column", "created"), [
    ("northwind-software", "Record ID", "Create Date"),
    ("bluepeak-logistics", "Lead ID", "Created Date"),
    ("corvid-health", "Lead ID", "Created Date"),
])
def test_exports_look_like_their_crm_and_sit_redacted_in_raw(demo: Workspace, slug: str,
                                                              first_column: str,
                                                              created: str) -> None:
    path = export(demo, slug)
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[0] == first_column and created in header
    # The workspace keeps only the columns the import reads (no contact data); the file in the
    # inbox, the consultant's own, is untouched.
    raw = demo.raw_dir / f"{file_sha256(path)}.redacted.csv"
    with open(raw, newline="", encoding="utf-8") as fh:
        kept = next(csv.reader(fh))
    assert first_column in kept and created in kept and len(kept) < len(header)
    assert not any("mail" in column.lower() or "phone" in column.lower() for column in kept)
    if first_column == "Lead ID":
        assert "Confidential Information - Do Not Distribute" in path.read_text(encoding="utf-8")


def test_corvid_dates_are_day_first(demo: Workspace) -> None:
    with open(export(demo, "corvid-health"), newline="", encoding="utf-8") as fh:
        days = [int(row["Created Date"].split("/")[0]) for row in csv.DictReader(fh)
                if (row.get("Created Date") or "")[:1].isdigit()]
    assert max(days) > 12


@pytest.mark.parametrize("slug", sorted(COMPANIES))
def test_realistic_volume(demo: Workspace, slug: str) -> None:
    leads = load_leads(demo, slug)
    assert 300 <= len(leads) <= 1500
    months = (leads["created_at"].max() - leads["created_at"].min()).days / 30.4
    assert 5.5 <= months <= 12.2
    assert set(leads["source"].astype(str)) >= {"marketing", "sales"}


def test_northwind_hand_off_is_slow_and_leaky(demo: Workspace) -> None:
    result = funnel(demo, "northwind-software")
    leaks = result.leakage.set_index("leak")["share"]
    assert leaks["not_accepted"] > 0.3
    marketing = result.speed.set_index("group").loc["marketing"]
    assert marketing["share_within_sla"] < 0.5 and marketing["share_within_1h"] < 0.1


def test_bluepeak_leaks_everywhere(demo: Workspace) -> None:
    result = funnel(demo, "bluepeak-logistics")
    leaks = result.leakage.set_index("leak")["share"]
    assert leaks["not_accepted"] > 0.4 and leaks["not_touched"] > 0.25
    rates = result.sourced.set_index("source")["win_rate"]
    assert rates["marketing"] < rates["sales"]


def test_corvid_follows_up_fast(demo: Workspace) -> None:
    result = funnel(demo, "corvid-health")
    leaks = result.leakage.set_index("leak")["share"]
    assert leaks["not_accepted"] < 0.2 and leaks["not_touched"] < 0.1
    marketing = result.speed.set_index("group").loc["marketing"]
    assert marketing["share_within_sla"] > 0.9 and marketing["share_within_1h"] > 0.5


def test_populate_again_changes_nothing(demo: Workspace) -> None:
    def dump() -> list[str]:
        con = sqlite3.connect(demo.db_path)
        try:
            return list(con.iterdump())
        finally:
            con.close()

    before, raw = dump(), sorted(demo.raw_dir.iterdir())
    for company in DEMO_COMPANIES:
        populate(demo, company)
    assert dump() == before and sorted(demo.raw_dir.iterdir()) == raw
