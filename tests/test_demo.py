"""The demo workspace: three fictional clients with the profiles the demo promises."""

from __future__ import annotations

import sqlite3

import pytest

from alignkit.analysis.wave import load_wave, score_wave
from alignkit.demo import DEMO_COMPANIES, build_demo_workspace

WAVE = "baseline"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    workspace = build_demo_workspace(root)
    scores = {c.slug: score_wave(load_wave(c.slug, WAVE, workspace=workspace))
              for c in DEMO_COMPANIES}
    return workspace, scores


def table_counts(workspace) -> dict[str, int]:
    con = sqlite3.connect(workspace.db_path)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("companies", "waves", "imports", "respondents", "answers")}
    finally:
        con.close()


def test_three_companies_of_realistic_size(demo):
    workspace, _ = demo
    assert [c.slug for c in workspace.companies()] == sorted(c.slug for c in DEMO_COMPANIES)
    assert len(DEMO_COMPANIES) == 3
    for company in DEMO_COMPANIES:
        people = workspace.respondents(company.slug, WAVE)
        assert 25 <= len(people) <= 120, company.slug
        # every simulated person is kept; the abandoned R9999 row is skipped
        counts = people["team"].value_counts().to_dict()
        assert counts == company.team_sizes, company.slug


def test_a_small_leadership_group_is_hidden(demo):
    _, scores = demo
    small = [c for c in DEMO_COMPANIES if c.team_sizes.get("leadership", 0) < 5]
    assert small, "the demo should include a company with fewer than 5 leaders"
    for company in small:
        result = scores[company.slug]
        assert "leadership" in result.hidden
        dims = result.dimensions
        leaders = dims[dims["group"].astype(str) == "leadership"]
        assert leaders["suppressed"].all() and leaders["mean"].isna().all()


def test_a_company_has_a_large_sla_gap_that_marketing_rates_higher(demo):
    _, scores = demo
    found = []
    for slug, result in scores.items():
        sla = result.gaps[result.gaps["dimension"] == "sla"]
        if len(sla) and sla["gap"].iloc[0] < -1 and sla["high"].iloc[0] < 0:
            assert sla["b_mean"].iloc[0] > sla["a_mean"].iloc[0]  # b = marketing
            found.append(slug)
    assert found
    # ...and it is the company built with that gap
    built = [c.slug for c in DEMO_COMPANIES
             if c.gap_shift.get(("marketing", "sla"), 0) - c.gap_shift.get(("sales", "sla"), 0)
             > 1]
    assert found == built


def test_building_twice_does_not_duplicate(tmp_path):
    workspace = build_demo_workspace(tmp_path / "demo")
    before = table_counts(workspace)
    assert before["companies"] == 3
    # One survey import per company and wave (the baseline, plus any later wave).
    assert before["imports"] == sum(len(workspace.waves(c.slug)) for c in DEMO_COMPANIES)
    baseline = sum(len(workspace.respondents(c.slug, "baseline")) for c in DEMO_COMPANIES)
    assert baseline == sum(sum(c.team_sizes.values()) for c in DEMO_COMPANIES)
    build_demo_workspace(tmp_path / "demo")
    assert table_counts(workspace) == before
