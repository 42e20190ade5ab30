"""Anonymity: thresholds, which groups are hidden, and that hidden figures stay hidden."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.disclosure import (
    HIDDEN,
    MEAN_ONLY,
    SHOWN,
    Disclosure,
    _block,
    plan_disclosure,
    published_answers,
    republication_problems,
)
from alignkit.analysis.privacy import check_threshold
from alignkit.analysis.scoring import respondent_dimension_means
from alignkit.analysis.wave import WaveData, load_wave, score_wave
from alignkit.demo import DEMO_COMPANIES, write_demo_survey
from alignkit.exceptions import AlignkitError
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Company

K = 5


# -- threshold -------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [2, 0, -5, "5", True, False, 5.0, None])
def test_check_threshold_rejects(bad):
    with pytest.raises(AlignkitError):
        check_threshold(bad)


@pytest.mark.parametrize("good", [3, 5, 10, np.int64(4)])
def test_check_threshold_accepts(good):
    assert check_threshold(good) == int(good)
    assert type(check_threshold(good)) is int


# -- groups: pooled or left out (rules 1 and 2) ---------------------------------------------
def _plan_for(sizes: dict[str, int], instrument, k: int = K) -> Disclosure:
    rows = [(f"{team}{i}", team, item.id, 3.0) for team, n in sizes.items() for i in range(n)
            for item in instrument.items]
    return plan_disclosure(pd.DataFrame(rows, columns=["respondent", "team", "item", "value"]),
                           instrument, k)


@pytest.mark.parametrize(
    ("sizes", "groups", "left_out"),
    [
        pytest.param({"sales": 20, "marketing": 15, "leadership": 5, "other": 5},
                     ["sales", "marketing", "leadership", "other"], {}, id="nothing-small"),
        pytest.param({"sales": 6, "marketing": 6, "leadership": 2},
                     ["sales", "marketing"], {"leadership": 2}, id="third-team-left-out"),
        pytest.param({"sales": 20, "marketing": 12, "leadership": 3, "other": 4},
                     ["sales", "marketing", "leadership & other"], {}, id="pooled"),
        pytest.param({"sales": 20, "marketing": 12, "leadership": 3, "other": 8},
                     ["sales", "marketing", "other"], {"leadership": 3}, id="one-small"),
        pytest.param({"sales": 7, "marketing": 4, "leadership": 2, "other": 1},
                     ["sales"], {"marketing": 4, "leadership": 2, "other": 1}, id="brief"),
        pytest.param({"sales": 4, "marketing": 3, "leadership": 3, "other": 3},
                     ["leadership & other"], {"sales": 4, "marketing": 3}, id="core-never-pooled"),
        pytest.param({"sales": 3, "marketing": 2, "leadership": 1},
                     ["all teams"], {}, id="overall-only"),
        pytest.param({"sales": 3, "marketing": 1}, [], {"sales": 3, "marketing": 1},
                     id="too-few"),
    ],
)
def test_groups_are_pooled_or_left_out(instrument, sizes, groups, left_out):
    plan = _plan_for(sizes, instrument)
    assert plan.groups == groups
    assert dict(plan.left_out) == left_out
    assert all(sum(sizes[t] for t in plan.pools[g]) >= K for g in groups)
    counted = {r for r in plan.group_of}
    assert len(counted) + plan.left_out_total == sum(sizes.values()) or not groups


def test_pooling_uses_the_threshold(instrument):
    sizes = {"sales": 20, "marketing": 20, "leadership": 3, "other": 3}
    assert _plan_for(sizes, instrument, 3).groups == ["sales", "marketing", "leadership", "other"]
    assert _plan_for(sizes, instrument, 4).groups == ["sales", "marketing",
                                                      "leadership & other"]
    assert _plan_for(sizes, instrument, 7).left_out == {"leadership": 3, "other": 3}


# -- one group's dimension (rules 3 and 4) ---------------------------------------------------
@pytest.mark.parametrize(
    ("answered", "status", "members", "left_out"),
    [
        pytest.param([4] * 6, SHOWN, 6, 0, id="all-complete"),
        pytest.param([4] * 6 + [2], SHOWN, 6, 1, id="one-partial-left-out"),
        pytest.param([4] * 5 + [2, 3, 1, 2, 3], SHOWN, 10, 0, id="enough-partial"),
        pytest.param([4] * 4 + [2, 3, 1, 2, 3], MEAN_ONLY, 9, 0, id="few-complete"),
        pytest.param([4] * 3, HIDDEN, 0, 3, id="too-few"),
        pytest.param([4] * 3 + [1] * 3, MEAN_ONLY, 6, 0, id="few-complete-few-partial"),
    ],
)
def test_block_rules(answered, status, members, left_out):
    block = _block(pd.Series(answered, index=[f"p{i}" for i in range(len(answered))]), 4, K)
    assert (block.status, len(block.members), block.left_out) == (status, members, left_out)


def test_published_answers_keep_only_counted_answers(instrument):
    rows = []
    for team, n in {"sales": 6, "marketing": 6, "leadership": 2}.items():
        for i in range(n):
            for item in instrument.items:
                partial = (team, i, item.id) == ("sales", 0, "goals_1")  # one partial answerer
                rows.append((f"{team}{i}", team, item.id, np.nan if partial else 4.0))
    answers = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    plan = plan_disclosure(answers, instrument, K)
    out = published_answers(answers, plan, instrument)
    assert set(out["team"].astype(str)) == {"sales", "marketing"}
    assert not out["respondent"].str.startswith("leadership").any()
    goals = out[out["item"].str.startswith("goals")]
    assert "sales0" not in set(goals["respondent"])  # the lone partial answerer of goals
    assert "sales0" in set(out.loc[out["item"] == "sla_1", "respondent"])
    assert plan.blocks[("sales", "goals")].left_out == 1


# -- publishing a wave again (rule 7) ------------------------------------------------------------
def _answers(sizes: dict[str, int], instrument, start: int = 0, skip: str = "") -> pd.DataFrame:
    rows = [(f"{team}{i}", team, item.id,
             np.nan if skip and item.id.startswith(skip) else float(1 + i % 5))
            for team, n in sizes.items() for i in range(start, start + n)
            for item in instrument.items]
    return pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])



def test_a_wave_too_small_to_publish_scores_to_empty_figures(instrument):
    rows = [(f"{team}{i}", team, item.id, 3.0) for team, n in {"sales": 3, "marketing": 1}.items()
            for i in range(n) for item in instrument.items]
    answers = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    plan = plan_disclosure(answers, instrument, K)
    assert published_answers(answers, plan, instrument).empty
    people = answers.drop_duplicates("respondent")[["respondent", "team"]].assign(
        role="", comment="a comment")
    scores = score_wave(WaveData(Company("tiny", "Tiny", None), "w1", answers, people,
                                 instrument), anonymity_min=K)
    for frame in (scores.sizes, scores.dimensions, scores.items, scores.index):
        assert frame["suppressed"].all()
    assert scores.sizes.set_index("group")["n"].to_dict() == {"overall": 4, "sales": 3,
                                                             "marketing": 1}
    assert scores.gaps.empty and scores.comments.empty and scores.left_out

@pytest.mark.parametrize(
    ("later", "problem"),
    [
        pytest.param({}, None, id="unchanged"),
        pytest.param({"sales": 5, "marketing": 5}, None, id="batch-of-k-each"),
        pytest.param({"sales": 1}, "sales would change by 1", id="one-late"),
        pytest.param({"sales": 4, "marketing": 1}, "marketing would change by 1", id="uneven"),
        pytest.param({"leadership": 3}, None, id="pool-appears"),
        pytest.param({"leadership": 1}, None, id="left-out-stays-out"),
    ],
)
def test_republication(instrument, later, problem):
    first = _answers({"sales": 10, "marketing": 10, "leadership": 2}, instrument)
    both = pd.concat([first, _answers(later, instrument, start=100)], ignore_index=True)
    found = republication_problems(plan_disclosure(first, instrument, K),
                                   plan_disclosure(both, instrument, K))
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


@pytest.mark.parametrize(("sizes", "then", "refused"), [
    ({"sales": 10, "marketing": 10, "leadership": 3, "other": 2}, 3, True),  # pool falls apart
    ({"sales": 10, "marketing": 10, "leadership": 3, "other": 2}, 7, True),  # pool left out
    ({"sales": 10, "marketing": 6}, 7, True),  # marketing left out
    ({"sales": 10, "marketing": 6}, 3, False),  # the same figures either way
])
def test_republication_with_another_threshold(instrument, sizes, then, refused):
    answers = _answers(sizes, instrument)
    problems = republication_problems(plan_disclosure(answers, instrument, 5),
                                      plan_disclosure(answers, instrument, then))
    assert bool(problems) == refused, problems


def test_republication_refuses_a_pool_that_falls_apart(instrument):
    first = _answers({"sales": 10, "marketing": 10, "leadership": 3, "other": 2}, instrument)
    both = pd.concat([first, _answers({"leadership": 2}, instrument, start=100)],
                     ignore_index=True)
    # leadership 5 stands alone, other 2 is left out: the pool's old figure minus the new
    # leadership figure would give the two others and two late leaders
    problems = republication_problems(plan_disclosure(first, instrument, K),
                                      plan_disclosure(both, instrument, K))
    assert any("move between groups" in p for p in problems)


def test_republication_refuses_a_few_late_partial_answerers(instrument):
    first = _answers({"sales": 10, "marketing": 10}, instrument)
    late = pd.concat([_answers({"sales": 3}, instrument, start=100),
                      _answers({"sales": 2}, instrument, start=200, skip="goals_1")],
                     ignore_index=True)
    problems = republication_problems(
        plan_disclosure(first, instrument, K),
        plan_disclosure(pd.concat([first, late], ignore_index=True), instrument, K))
    assert any("sales on goals" in p for p in problems)


# -- scored waves ------------------------------------------------------------------------
BLUEPEAK = next(c for c in DEMO_COMPANIES if c.slug == "bluepeak-logistics")
# Same company without 'other': leadership (3) can only be left out.
BLUEPEAK_NO_OTHER = dataclasses.replace(
    BLUEPEAK, team_sizes={k: v for k, v in BLUEPEAK.team_sizes.items() if k != "other"})


@pytest.fixture(params=[BLUEPEAK, BLUEPEAK_NO_OTHER], ids=["bluepeak", "bluepeak-no-other"])
def demo_scores(request, workspace, tmp_path, instrument):
    company = request.param
    assert company.team_sizes["leadership"] < K
    path = write_demo_survey(company, tmp_path / "demo.csv", instrument)
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    data = load_wave("acme", "baseline", workspace=workspace)
    return company, data, score_wave(data, anonymity_min=K)


def test_small_leadership_is_pooled_or_left_out(demo_scores):
    company, _, scores = demo_scores
    groups = set(scores.sizes.loc[~scores.sizes["suppressed"], "group"])
    assert {"sales", "marketing"} <= groups  # never hidden for a small third team
    if "other" in company.team_sizes:
        assert "leadership & other" in groups and not scores.left_out
    else:
        assert scores.left_out == {"leadership": 3}
    assert "leadership" in scores.hidden and len(scores.gaps) > 0


def test_overall_is_exactly_the_published_groups(demo_scores, instrument):
    """No subtraction can reveal more than a published group: overall is their union."""
    _, data, scores = demo_scores
    for frame, key in ((scores.dimensions, "dimension"), (scores.items, "item")):
        shown = frame[~frame["suppressed"]]
        for _, part in shown.groupby(key):
            group = part["group"].astype(str)
            overall = part[group == "overall"]
            teams = part[group != "overall"]
            if overall.empty:
                continue
            assert overall["n"].iloc[0] == teams["n"].sum()
            total = (teams["mean"] * teams["n"]).sum()
            assert overall["mean"].iloc[0] * overall["n"].iloc[0] == pytest.approx(total) or \
                key == "dimension"  # dimension means average people's own means
    people = respondent_dimension_means(scores.answers, instrument)
    left = set(data.answers["respondent"].astype(str)) - set(people["respondent"].astype(str))
    assert len(left) == sum(scores.left_out.values())


def _wave(answers: pd.DataFrame, respondents: pd.DataFrame, instrument) -> WaveData:
    return WaveData(Company("acme", "Acme Corp", None), "baseline", answers, respondents,
                    instrument)


def test_a_group_hidden_in_one_dimension_is_out_of_its_overall_too(instrument):
    # sales 20, marketing 8, leadership 5; four leaders answer N/A to every sla item, so
    # leadership's sla cell (1 person) is hidden and that answer is in no sla figure.
    rng = np.random.default_rng(5)
    people, rows = [], []
    for team, size in {"sales": 20, "marketing": 8, "leadership": 5}.items():
        for k in range(size):
            pid = f"{team}{k}"
            people.append((pid, team, "", ""))
            for item in instrument.items:
                na = team == "leadership" and k > 0 and item.dimension == "sla"
                rows.append((pid, team, item.id, np.nan if na else float(rng.integers(1, 6))))
    answers = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    respondents = pd.DataFrame(people, columns=["respondent", "team", "role", "comment"])
    scores = score_wave(_wave(answers, respondents, instrument), anonymity_min=K)

    dims = scores.dimensions
    sla = dims[dims["dimension"] == "sla"].set_index(dims.loc[dims["dimension"] == "sla", "group"]
                                                     .astype(str))
    assert scores.hidden == frozenset()
    assert sla.loc["leadership", "suppressed"] and not sla.loc["marketing", "suppressed"]
    assert sla.loc["overall", "n"] == 28  # sales and marketing only
    assert "sla" in set(scores.gaps["dimension"])
    index = scores.index.set_index(scores.index["group"].astype(str))
    shown = dims[~dims["suppressed"] & (dims["group"].astype(str) == "leadership")]
    assert index.loc["leadership", "index"] == pytest.approx((shown["mean"].mean() - 1) * 25)


# -- comments and JSON -------------------------------------------------------------------
@pytest.fixture
def commented_scores(workspace, write_survey, instrument):
    """sales 10, marketing 8, leadership 3: leadership is left out."""
    rng = np.random.default_rng(9)
    rows, number = [], 0
    for team, size in {"Sales": 10, "Marketing": 8, "Leadership": 3}.items():
        for k in range(size):
            number += 1
            row = {i.id: str(rng.integers(1, 6)) for i in instrument.items}
            row |= {"respondent_id": f"R{number}", "team": team, "role": f"{team} role {k}",
                    "comment": f"{team.upper()}-COMMENT-{k}, with a comma"}
            rows.append(row)
    import_survey(write_survey(rows), company="acme", wave="baseline", workspace=workspace)
    return score_wave(load_wave("acme", "baseline", workspace=workspace), anonymity_min=K)


def test_comments_of_hidden_teams_never_appear(commented_scores):
    scores = commented_scores
    assert scores.hidden == {"leadership"}
    comments = scores.comments
    assert list(comments.columns) == ["team", "comment"]  # no role
    assert set(comments["team"]) == {"sales", "marketing"}
    text = "\n".join(comments["comment"])
    assert "LEADERSHIP-COMMENT" not in text
    assert sorted(c for c in comments["comment"] if c.startswith("SALES")) == sorted(
        f"SALES-COMMENT-{k}, with a comma" for k in range(10))


def test_to_json_contains_no_hidden_group(commented_scores):
    scores = commented_scores
    data = scores.to_json()
    json.dumps(data, allow_nan=False)
    assert data["anonymity_min"] == K
    for key in ("respondents", "index", "dimensions"):
        groups = {rec["group"] for rec in data[key]}
        assert not groups & scores.hidden, key
        assert groups == {"overall", "sales", "marketing"}, key
        assert all("suppressed" not in rec for rec in data[key])
    assert {r["n"] for r in data["index"]} == {18, 10, 8}
    assert data["left_out"]["respondents"] == 3 and data["left_out"]["teams"] == {"leadership": 3}
    assert len(data["gaps"]["dimensions"]) > 0


def test_scoring_records_the_publication(commented_scores, workspace):
    from alignkit.analysis.publications import last_publication, reopen_wave

    record = last_publication(workspace, "acme", "baseline")
    assert record is not None and record.threshold == K and len(record.respondents) == 21
    assert reopen_wave(workspace, "acme", "baseline")
    assert last_publication(workspace, "acme", "baseline") is None
