"""Recap: a follow-up wave against the baseline, with tests that know the answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.uncertainty import HOLM_MARK
from alignkit.analysis.wave import load_wave
from alignkit.catalog.instrument import Instrument
from alignkit.charts.recap import gap_change_chart
from alignkit.charts.recap_text import (
    gap_table,
    next_cycle,
    process_findings,
    recap_findings,
    recap_heading,
)
from alignkit.exceptions import AlignkitError
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace
from alignkit.track.recap import GAP_CHANGE_COLUMNS, compare_waves, gap_changes, holm_adjust, load_recap

SALES_MARKETING = {"sales": 20, "marketing": 20}


def people(instrument: Instrument, prefix: str, teams: dict[str, int],
           shift: dict[str, int] | None = None) -> list[dict[str, str]]:
    """Respondents answering 2, 3 or 4 in turn on every item, plus ``shift`` per dimension."""
    rows, k = [], 0
    for team, n in teams.items():
        for _ in range(n):
            base = 2 + k % 3
            row = {"respondent_id": f"{prefix}{k:03d}", "team": team.title()}
            for dim in instrument.dimensions:
                for item in dim.items:
                    row[item.id] = str(base + (shift or {}).get(dim.id, 0))
            row[instrument.outcome.id] = str(base)
            rows.append(row)
            k += 1
    return rows


@pytest.fixture
def add_wave(workspace: Workspace, write_survey: Callable[..., Path],
             instrument: Instrument) -> Callable[..., None]:
    def add(company: str, wave: str, teams: dict[str, int], shift: dict | None = None) -> None:
        rows = people(instrument, f"{company}-{wave}-", teams, shift)
        path = write_survey(rows, name=f"{company}-{wave}.csv")
        import_survey(path, company=company, wave=wave, workspace=workspace)
    return add


def test_holm_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert holm_adjust(np.array([0.04, 0.01, 0.03])).tolist() == pytest.approx([0.06, 0.03, 0.06])
    assert holm_adjust(np.array([0.5, 0.9])).tolist() == [1.0, 1.0]  # capped, never decreasing


def test_identical_waves_show_nothing_significant(workspace: Workspace, add_wave) -> None:
    add_wave("acme", "baseline", SALES_MARKETING)
    add_wave("acme", "followup", SALES_MARKETING)
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    assert rc.has_followup and rc.respondents == (40, 40)
    assert set(rc.changes["group"]) == {"overall", "sales", "marketing"}
    assert len(rc.changes) == 3 * 14
    assert not rc.changes["significant"].any()
    assert (rc.changes["change"] == 0).all() and (rc.changes["p_adjusted"] == 1).all()
    assert ((rc.changes["low"] <= 0) & (rc.changes["high"] >= 0)).all()
    assert "**No dimension moved clearly.** 0 of 14 rose" in recap_findings(rc)


def test_a_one_point_shift_on_one_dimension_is_found(workspace: Workspace, add_wave) -> None:
    add_wave("acme", "baseline", SALES_MARKETING)
    add_wave("acme", "followup", SALES_MARKETING, shift={"sla": 1})
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    overall = rc.changes[rc.changes["group"] == "overall"].set_index("dimension")
    assert overall.loc["sla", "change"] == pytest.approx(1.0)
    assert overall.loc["sla", "significant"] and overall.loc["sla", "low"] > 0.5
    # answers 3/4/5 against 2/3/4: P(higher) + half P(tie) = 6/9 + 1/9
    assert overall.loc["sla", "superiority"] == pytest.approx(7 / 9, abs=0.01)
    assert overall["significant"].sum() == 1
    assert overall.drop(index="sla")["p_value"].eq(1).all()
    assert "**Clearly better:** Two-way service level agreement (+1.0)" in recap_findings(rc)


def test_a_clear_decline_leads_the_recommendations(workspace: Workspace, add_wave) -> None:
    add_wave("acme", "baseline", SALES_MARKETING)
    add_wave("acme", "followup", SALES_MARKETING, shift={"goals": -1})
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    advice = next_cycle(rc)
    assert advice[0].startswith("**Shared goals and revenue targets fell**")


def test_a_team_hidden_in_either_wave_is_not_compared(workspace: Workspace, add_wave) -> None:
    add_wave("acme", "baseline", {**SALES_MARKETING, "leadership": 6, "other": 6})
    add_wave("acme", "followup", {**SALES_MARKETING, "leadership": 3, "other": 3})
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    assert rc.not_compared == {"leadership", "other"}
    assert set(rc.changes["group"]) == {"overall", "sales", "marketing"}
    assert set(rc.process["group"]) == {"overall", "sales", "marketing"}
    assert set(rc.index["group"]) == {"overall", "sales", "marketing"}


def test_the_followup_never_holds_another_companys_answers(workspace: Workspace,
                                                           add_wave) -> None:
    workspace.add_company("beta", "Beta Ltd")
    add_wave("acme", "baseline", SALES_MARKETING)
    add_wave("acme", "followup", {"sales": 12, "marketing": 10})
    add_wave("beta", "baseline", {"sales": 30, "marketing": 25})
    add_wave("beta", "followup", {"sales": 31, "marketing": 26}, shift={"sla": 1})
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    assert rc.company.slug == "acme" and rc.respondents == (40, 22)
    overall = rc.changes[rc.changes["group"] == "overall"]
    assert overall["n_before"].eq(40).all() and overall["n_after"].eq(22).all()
    assert not overall["significant"].any()  # beta's shift does not leak in
    with pytest.raises(AlignkitError, match="two companies"):
        compare_waves(load_wave("acme", "baseline", workspace=workspace),
                      load_wave("beta", "followup", workspace=workspace))


def test_without_a_followup_the_recap_says_so(workspace: Workspace, add_wave) -> None:
    add_wave("acme", "baseline", SALES_MARKETING)
    rc = load_recap("acme", "baseline", "followup", workspace=workspace)
    assert not rc.has_followup and rc.changes.empty and rc.gaps.empty
    heading = recap_heading(rc)
    body = heading.split("\n\n", 1)[1]
    assert "No follow-up survey" in body and body.count(". ") == 0
    assert rc.process["fav_after"].isna().all() and rc.process["fav_before"].notna().all()
    assert "agree**" in process_findings(rc) and "baseline" not in process_findings(rc)
    assert next_cycle(rc)[0].startswith("Run the follow-up survey")


def gaps(*rows: tuple) -> SimpleNamespace:
    """Gap rows ``(dimension, gap, low, high, clear)``, as Identify returns them."""
    frame = pd.DataFrame(rows, columns=["dimension", "gap", "low", "high", "clear"])
    frame = frame.assign(dimension_name=frame["dimension"], a_mean=3.0, b_mean=3.0 - frame["gap"],
                         p_holm=np.where(frame["clear"], 0.01, 0.3))
    frame.attrs.update({"a": "sales", "b": "marketing", "confidence": 0.95, "tests": len(frame)})
    return SimpleNamespace(gaps=frame)


# (baseline gap, low, high, clear) -> (follow-up gap, low, high, clear): status, by hand
GAP_CASES = {
    "closed": ((-1.0, -1.3, -0.7, True), (-0.1, -0.4, 0.2, False), "closed"),
    "closed, though the follow-up interval still excludes zero (not clear after Holm)":
        ((-1.0, -1.3, -0.7, True), (-0.4, -0.7, -0.1, False), "closed"),
    "a small clear gap that halved and is no longer clear": ((0.25, 0.05, 0.45, True),
                                                             (0.1, -0.1, 0.3, False), "closed"),
    "-0.2 to -0.1 never closes: the baseline gap was not clear after Holm":
        ((-0.2, -0.35, -0.05, False), (-0.1, -0.25, 0.05, False), "none"),
    "not clear, though smaller by only 0.1": ((-0.4, -0.7, -0.1, True),
                                              (-0.3, -0.6, 0.05, False), "unclear"),
    "narrowed": ((-1.0, -1.3, -0.7, True), (-0.5, -0.8, -0.2, True), "narrowed"),
    "remains": ((-1.0, -1.3, -0.7, True), (-0.9, -1.2, -0.6, True), "remains"),
    "widened": ((-0.5, -0.8, -0.2, True), (-1.0, -1.3, -0.7, True), "widened"),
    "new": ((-0.1, -0.4, 0.2, False), (-0.6, -0.9, -0.3, True), "new"),
    "unclear, not smaller": ((-0.4, -0.7, -0.1, True), (-0.35, -0.8, 0.1, False), "unclear"),
    "none": ((0.1, -0.2, 0.4, False), (0.0, -0.3, 0.3, False), "none"),
}


@pytest.mark.parametrize("case", sorted(GAP_CASES))
def test_gap_status(case: str) -> None:
    before, after, status = GAP_CASES[case]
    result = gap_changes(gaps(("sla", *before)), gaps(("sla", *after)))
    assert result["status"].tolist() == [status]


def test_a_gap_hidden_in_one_wave_is_left_out() -> None:
    result = gap_changes(gaps(("sla", -1, -1.3, -0.7, True), ("goals", 0.5, 0.2, 0.8, True)),
                         gaps(("sla", -0.1, -0.4, 0.2, False)))
    assert result["dimension"].tolist() == ["sla"]
    assert result.columns.tolist() == GAP_CHANGE_COLUMNS


def test_the_closed_rule_is_stated_and_its_exceptions_marked() -> None:
    result = gap_changes(gaps(("sla", -1.0, -1.3, -0.7, True), ("goals", 0.9, 0.6, 1.2, True)),
                         gaps(("sla", -0.4, -0.7, -0.1, False), ("goals", 0.1, -0.2, 0.4, False)))
    rc = SimpleNamespace(gaps=result, confidence=0.95)
    table = gap_table(rc)
    assert table.data["What happened"].tolist() == [f"Closed {HOLM_MARK}", "Closed"]
    assert "not clear after Holm adjustment for 2 dimensions" in table.caption
    subtitle = " ".join(t.get_text() for t in gap_change_chart(result).texts).replace("\n", " ")
    assert "clear at the baseline, is no longer clear, and moved toward 0 by at least 0.3 " \
        "points or half its size" in subtitle


def test_demo_followups_tell_each_company_s_story() -> None:
    import os

    workspace = Workspace(os.environ["ALIGNKIT_WORKSPACE"])  # the session's demo, read only
    recaps = {slug: load_recap(slug, "baseline", "followup", workspace=workspace)
              for slug in ("northwind-software", "bluepeak-logistics", "corvid-health")}
    northwind = recaps["northwind-software"]
    sla = northwind.gaps.set_index("dimension").loc["sla"]
    assert sla["status"] in ("closed", "narrowed")
    assert abs(sla["gap_after"]) < abs(sla["gap_before"]) / 2  # mostly closed
    moved = {slug: int(rc.changes.query("group == 'overall' and significant").shape[0])
             for slug, rc in recaps.items()}
    assert moved["northwind-software"] >= 2 and moved["bluepeak-logistics"] == 0
    index_change = {slug: float(rc.index.set_index("group").loc["overall", "after"]
                                - rc.index.set_index("group").loc["overall", "before"])
                    for slug, rc in recaps.items()}
    assert min(index_change["northwind-software"], index_change["corvid-health"]) > \
        index_change["bluepeak-logistics"]
    assert moved["northwind-software"] > moved["corvid-health"]
    assert recaps["bluepeak-logistics"].not_compared >= {"leadership", "other"}
