"""Anonymity: thresholds, which groups are hidden, and that hidden figures stay hidden."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from alignkit.demo import DEMO_COMPANIES, write_demo_survey
from alignkit.exceptions import AlignkitError
from alignkit.privacy import check_threshold, hidden_groups, suppress_small_groups
from alignkit.scoring import respondent_dimension_means
from alignkit.store import Company
from alignkit.survey_import import import_survey
from alignkit.wave import WaveData, load_wave, score_wave

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


# -- which groups are hidden -------------------------------------------------------------
@pytest.mark.parametrize(
    ("sizes", "forced", "hidden"),
    [
        pytest.param({"overall": 45, "sales": 20, "marketing": 15, "leadership": 5, "other": 5},
                     (), set(), id="nothing-small"),
        pytest.param({"overall": 30, "sales": 20, "marketing": 10, "leadership": 0},
                     (), set(), id="empty-team-ignored"),
        # leadership 3 < 5 alone; smallest visible (other, 6) hidden with it -> 9 >= 5
        pytest.param({"overall": 41, "sales": 20, "marketing": 12, "leadership": 3, "other": 6},
                     (), {"leadership", "other"}, id="complementary-smallest"),
        # 1 + 2 = 3 < 5 -> the smallest visible (marketing, 8) too
        pytest.param({"overall": 31, "sales": 20, "marketing": 8, "leadership": 1, "other": 2},
                     (), {"leadership", "other", "marketing"}, id="two-small-below-k"),
        # 3 + 4 = 7 >= 5 -> only the two small ones
        pytest.param({"overall": 40, "sales": 19, "marketing": 14, "leadership": 3, "other": 4},
                     (), {"leadership", "other"}, id="two-small-reach-k"),
        # only one visible team left: it goes too, the overall stays
        pytest.param({"overall": 23, "sales": 20, "leadership": 3},
                     (), {"leadership", "sales"}, id="last-team"),
        pytest.param({"overall": 4, "sales": 3, "marketing": 1},
                     (), {"overall", "sales", "marketing"}, id="overall-below-k"),
        pytest.param({"overall": 40, "sales": 20, "marketing": 12, "other": 8},
                     ("marketing",), {"marketing"}, id="forced-large"),
        pytest.param({"overall": 40, "sales": 20, "marketing": 12, "other": 8},
                     ("leadership",), set(), id="forced-absent"),
        # forced 'other' with n 4 in this cell: complementary suppression still applies
        pytest.param({"overall": 36, "sales": 20, "marketing": 12, "other": 4},
                     ("other",), {"other", "marketing"}, id="forced-small"),
    ],
)
def test_hidden_groups(sizes, forced, hidden):
    assert hidden_groups(sizes, K, forced) == hidden


def test_hidden_groups_uses_the_threshold():
    sizes = {"overall": 26, "sales": 20, "leadership": 3, "other": 3}
    assert hidden_groups(sizes, 3) == set()
    assert hidden_groups(sizes, 4) == {"leadership", "other"}


# -- blanking a frame -------------------------------------------------------------------
def _cells_frame() -> pd.DataFrame:
    """Two dimensions: in 'a' leadership (3) and the smallest team (other, 6) must hide."""
    sizes = {"a": {"overall": 41, "sales": 20, "marketing": 12, "leadership": 3, "other": 6},
             "b": {"overall": 40, "sales": 20, "marketing": 12, "other": 8}}
    rows = [{"dimension": d, "group": g, "n": n, "mean": 3.0 + k / 10, "label": f"{d}-{g}"}
            for d, groups in sizes.items() for k, (g, n) in enumerate(groups.items())]
    return pd.DataFrame(rows, index=[10 * i for i in range(len(rows))])  # not a RangeIndex


def test_suppress_small_groups_blanks_hidden_cells_only():
    frame = _cells_frame()
    out = suppress_small_groups(frame, keys=["dimension"], value_columns=["mean", "label"],
                                threshold=K)
    hidden = set(out.loc[out["suppressed"], "label"].isna().index)
    assert {frame.loc[i, "label"] for i in hidden} == {"a-leadership", "a-other"}
    assert out.loc[out["suppressed"], ["mean", "label"]].isna().all(axis=None)
    assert out.loc[~out["suppressed"], ["mean", "label"]].notna().all(axis=None)
    pd.testing.assert_series_equal(out["n"], frame["n"])  # sizes stay, to explain the gap
    assert out.index.equals(frame.index) and out["suppressed"].dtype == bool
    assert "suppressed" not in frame  # the input is left as it was


def test_suppress_small_groups_forced_and_without_keys():
    frame = _cells_frame()
    out = suppress_small_groups(frame, keys=["dimension"], value_columns=["mean"], threshold=K,
                                forced={"marketing"})
    # in 'a' forced marketing (12) already hides leadership (3): 'other' can stay
    assert set(out.loc[out["suppressed"], "label"]) == {"a-leadership", "a-marketing",
                                                        "b-marketing"}
    # keys=[]: the whole frame is one cell; other (8 < 10) hides with the smallest visible team
    whole = suppress_small_groups(frame[frame["dimension"] == "b"], keys=[],
                                  value_columns=["mean"], threshold=10)
    assert set(whole.loc[whole["suppressed"], "group"]) == {"other", "marketing"}


# -- scored waves ------------------------------------------------------------------------
BLUEPEAK = next(c for c in DEMO_COMPANIES if c.slug == "bluepeak-logistics")
# Same company without 'other': leadership (3) can only hide behind a large team.
BLUEPEAK_NO_OTHER = dataclasses.replace(
    BLUEPEAK, team_sizes={k: v for k, v in BLUEPEAK.team_sizes.items() if k != "other"})


@pytest.fixture(params=[BLUEPEAK, BLUEPEAK_NO_OTHER], ids=["bluepeak", "bluepeak-no-other"])
def demo_scores(request, workspace, tmp_path, instrument):
    company = request.param
    assert company.team_sizes["leadership"] < K
    path = write_demo_survey(company, tmp_path / "demo.csv", instrument)
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    data = load_wave("acme", "baseline", workspace=workspace)
    return data, score_wave(data, anonymity_min=K)


def _check_cells(frame: pd.DataFrame, keys: list[str], wave_hidden: frozenset[str]) -> int:
    """Every cell (per key) hides either nothing or >= 2 teams holding >= K people."""
    cells = frame.groupby(keys, observed=True) if keys else [((), frame)]
    checked = 0
    for _, part in cells:
        group = part["group"].astype(str)
        hidden = part[part["suppressed"]]
        assert not part.loc[group == "overall", "suppressed"].any()
        assert wave_hidden & set(group) <= set(group[part["suppressed"]])
        if len(hidden):
            assert len(hidden) >= 2
            assert hidden["n"].sum() >= K
            assert hidden[["mean", "favourable"] if "mean" in hidden else ["index"]].isna().all(
                axis=None)
        checked += 1
    return checked


def test_small_leadership_cannot_be_backed_out(demo_scores, instrument):
    data, scores = demo_scores
    assert "leadership" in scores.hidden
    assert len(scores.hidden) >= 2
    sizes = scores.sizes.set_index("group")["n"]
    assert sum(sizes[g] for g in scores.hidden) >= K
    assert _check_cells(scores.dimensions, ["dimension"], scores.hidden) == len(
        instrument.dimensions)
    assert _check_cells(scores.items, ["item"], scores.hidden) == len(instrument.items)
    assert _check_cells(scores.index, [], scores.hidden) == 1

    # What subtraction does reveal is the pooled figure of all hidden teams together.
    per_person = respondent_dimension_means(data.answers, instrument)
    for dim, part in scores.dimensions.groupby("dimension", observed=True):
        group = part["group"].astype(str)
        overall = part[group == "overall"].iloc[0]
        visible = part[(group != "overall") & ~part["suppressed"]]
        hidden = part[part["suppressed"]]
        assert len(hidden) >= 2
        backed_out = (overall["mean"] * overall["n"] - (visible["mean"] * visible["n"]).sum()) / (
            hidden["n"].sum())
        pooled = per_person[(per_person["dimension"] == dim)
                            & per_person["team"].astype(str).isin(set(group[part["suppressed"]]))]
        assert len(pooled) >= K
        assert backed_out == pytest.approx(pooled["score"].mean())


def test_gaps_of_hidden_teams_are_not_shown(demo_scores):
    _, scores = demo_scores
    if {"sales", "marketing"} & scores.hidden:
        assert scores.gaps.empty
    else:
        assert len(scores.gaps) > 0


def _wave(answers: pd.DataFrame, respondents: pd.DataFrame, instrument) -> WaveData:
    return WaveData(Company("acme", "Acme Corp", None), "baseline", answers, respondents,
                    instrument)


def test_team_hidden_in_a_dimension_is_not_shown_in_its_gap(instrument):
    # sales 20, marketing 8, leadership 5 (visible for the wave). One leader answers N/A to
    # every sla item, so in sla leadership has 4 < 5 and marketing (8) is hidden with it.
    # Were marketing's sla mean shown as a gap, overall*33 - sales*20 - marketing*8 would
    # give the 4 leaders' own sla mean.
    rng = np.random.default_rng(5)
    people, rows = [], []
    for team, size in {"sales": 20, "marketing": 8, "leadership": 5}.items():
        for k in range(size):
            pid = f"{team}{k}"
            people.append((pid, team, "", ""))
            for item in instrument.items:
                na = team == "leadership" and k == 0 and item.dimension == "sla"
                rows.append((pid, team, item.id, np.nan if na else float(rng.integers(1, 6))))
    answers = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    respondents = pd.DataFrame(people, columns=["respondent", "team", "role", "comment"])
    scores = score_wave(_wave(answers, respondents, instrument), anonymity_min=K)

    dims = scores.dimensions
    sla = dims[dims["dimension"] == "sla"].set_index(dims.loc[dims["dimension"] == "sla", "group"]
                                                     .astype(str))
    assert scores.hidden == frozenset()
    assert sla.loc["leadership", "suppressed"] and sla.loc["marketing", "suppressed"]
    assert "sla" not in set(scores.gaps["dimension"])


# -- comments and JSON -------------------------------------------------------------------
@pytest.fixture
def commented_scores(workspace, write_survey, instrument):
    """sales 10, marketing 8, leadership 3: leadership and marketing are hidden."""
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
    assert scores.hidden == {"leadership", "marketing"}
    comments = scores.comments
    assert list(comments.columns) == ["team", "comment"]  # no role
    assert set(comments["team"]) == {"sales"}
    text = "\n".join(comments["comment"])
    assert "LEADERSHIP-COMMENT" not in text
    assert "MARKETING-COMMENT" not in text
    assert sorted(comments["comment"]) == sorted(f"SALES-COMMENT-{k}, with a comma"
                                                 for k in range(10))


def test_to_json_contains_no_hidden_group(commented_scores):
    scores = commented_scores
    data = scores.to_json()
    json.dumps(data, allow_nan=False)
    assert data["anonymity_min"] == K
    for key in ("respondents", "index", "dimensions"):
        groups = {rec["group"] for rec in data[key]}
        assert not groups & scores.hidden, key
        assert {rec["group"] for rec in data[key] if rec["n"] > 0} == {"overall", "sales"}, key
        assert all("suppressed" not in rec for rec in data[key])
    assert data["gaps"]["dimensions"] == []  # marketing is hidden, so no sales-marketing gap
