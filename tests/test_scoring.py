"""Scores on a tiny hand-made answers frame; every expected value is worked by hand."""

from __future__ import annotations

import dataclasses
import math
import shutil
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.scoring import (
    alignment_index,
    dimension_scores,
    item_scores,
    maturity_level,
    prepare_answers,
    respondent_dimension_means,
    team_sizes,
)
from alignkit.intake.survey import import_survey

NA = np.nan

# Three respondents, two dimensions (goals: 4 items, sponsorship: 3 items) + the outcome.
#
#            goals_1..4       sponsorship_1..3   outcome_1
#   A sales  5  5  5  NA      4  4  2            1
#   B sales  1  1  1  1       2  NA NA           5
#   C mkt    4  4  2  2       5  5  5            (blank: no row)
TINY = {
    ("A", "sales"): {"goals": [5, 5, 5, NA], "sponsorship": [4, 4, 2], "outcome": [1]},
    ("B", "sales"): {"goals": [1, 1, 1, 1], "sponsorship": [2, NA, NA], "outcome": [5]},
    ("C", "marketing"): {"goals": [4, 4, 2, 2], "sponsorship": [5, 5, 5], "outcome": []},
}


@pytest.fixture
def tiny(instrument) -> pd.DataFrame:
    rows = []
    for (person, team), dims in TINY.items():
        for dim, values in dims.items():
            for k, value in enumerate(values, start=1):
                rows.append((person, team, f"{dim}_{k}", float(value)))
    frame = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    assert set(frame["item"]) <= {i.id for i in instrument.items}
    return frame


def row(frame: pd.DataFrame, **keys) -> pd.Series:
    hit = frame
    for col, val in keys.items():
        hit = hit[hit[col].astype(str) == val]
    assert len(hit) == 1, keys
    return hit.iloc[0]


# -- items -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "group", "n", "mean", "favourable"),
    [
        ("goals_1", "overall", 3, 10 / 3, 2 / 3),   # 5, 1, 4
        ("goals_4", "overall", 2, 1.5, 0.0),         # NA (not counted), 1, 2
        ("goals_4", "sales", 1, 1.0, 0.0),           # NA, 1
        ("sponsorship_2", "overall", 2, 4.5, 1.0),   # 4, NA, 5
        ("sponsorship_3", "overall", 2, 3.5, 0.5),   # 2, NA, 5
        ("sponsorship_3", "sales", 1, 2.0, 0.0),     # 2, NA
        ("outcome_1", "overall", 2, 3.0, 0.5),       # 1, 5
    ],
)
def test_item_scores(tiny, instrument, item, group, n, mean, favourable):
    got = row(item_scores(tiny, instrument), item=item, group=group)
    assert got["n"] == n
    assert got["mean"] == pytest.approx(mean)
    assert got["favourable"] == pytest.approx(favourable)


def test_item_scores_order_and_groups(tiny, instrument):
    out = item_scores(tiny, instrument)
    order = [i.id for i in instrument.items if i.id in set(tiny["item"])]
    assert list(dict.fromkeys(out["item"])) == order
    # groups per item: overall first, then teams in instrument order; no empty groups
    assert list(out.loc[out["item"] == "goals_1", "group"].astype(str)) == [
        "overall", "sales", "marketing"]


# -- dimensions --------------------------------------------------------------------------
def test_respondent_dimension_means_ignore_na_and_outcome(tiny, instrument):
    got = respondent_dimension_means(tiny, instrument)
    assert set(got["dimension"]) == {"goals", "sponsorship"}
    assert row(got, respondent="A", dimension="goals")["score"] == pytest.approx(5.0)
    assert row(got, respondent="A", dimension="sponsorship")["score"] == pytest.approx(10 / 3)
    assert row(got, respondent="B", dimension="sponsorship")["score"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("dimension", "group", "n", "mean", "pooled", "favourable"),
    [
        # person means 5, 1, 3 -> 3;    pooled (15+4+12)/11 = 31/11; favourable 5/11
        ("goals", "overall", 3, 3.0, 31 / 11, 5 / 11),
        # person means 5, 1 -> 3;       pooled (15+4)/7 = 19/7;      favourable 3/7
        ("goals", "sales", 2, 3.0, 19 / 7, 3 / 7),
        ("goals", "marketing", 1, 3.0, 3.0, 2 / 4),
        # person means 10/3, 2, 5 -> 31/9; pooled (10+2+15)/7 = 27/7; favourable 5/7
        ("sponsorship", "overall", 3, 31 / 9, 27 / 7, 5 / 7),
        # person means 10/3, 2 -> 8/3;  pooled 12/4 = 3;             favourable 2/4
        ("sponsorship", "sales", 2, 8 / 3, 3.0, 2 / 4),
    ],
)
def test_dimension_mean_is_mean_of_respondent_means(tiny, instrument, dimension, group, n,
                                                    mean, pooled, favourable):
    got = row(dimension_scores(tiny, instrument), dimension=dimension, group=group)
    assert got["n"] == n
    assert got["mean"] == pytest.approx(mean)
    if group != "marketing":
        assert not math.isclose(got["mean"], pooled)  # the pooled mean would be wrong here
    assert got["favourable"] == pytest.approx(favourable)
    assert got["dimension_name"] == instrument.dimension_names()[dimension]


def test_dimension_scores_leave_out_the_outcome(tiny, instrument):
    out = dimension_scores(tiny, instrument)
    assert list(dict.fromkeys(out["dimension"])) == ["goals", "sponsorship"]


# -- alignment index and maturity ----------------------------------------------------------
# Person score = mean of own dimension means; index = (score - 1) / 4 * 100.
#   A: (5 + 10/3) / 2 = 25/6 -> 19/24 * 100 = 79.1667
#   B: (1 + 2) / 2   = 1.5  -> 12.5
#   C: (3 + 5) / 2   = 4    -> 75
@pytest.mark.parametrize(
    ("group", "n", "index", "level"),
    [
        ("overall", 3, (1900 / 24 + 12.5 + 75) / 3, 3),  # 55.56 -> Coordinated (40-60)
        ("sales", 2, (1900 / 24 + 12.5) / 2, 3),         # 45.83
        ("marketing", 1, 75.0, 4),                       # Aligned (60-80)
    ],
)
def test_alignment_index(tiny, instrument, group, n, index, level):
    out = alignment_index(tiny, instrument)
    assert list(out["group"].astype(str)) == ["overall", "sales", "marketing"]
    got = row(out, group=group)
    assert got["n"] == n
    assert got["index"] == pytest.approx(index)
    assert got["level"] == level
    assert got["level_name"] == instrument.bands[level - 1].name


@pytest.mark.parametrize(("value", "index"), [(1, 0.0), (2, 25.0), (3, 50.0), (5, 100.0)])
def test_index_rescales_the_answer_scale(instrument, value, index):
    frame = pd.DataFrame({"respondent": ["P"] * 3, "team": ["sales"] * 3,
                          "item": ["goals_1", "goals_2", "goals_3"], "value": [float(value)] * 3})
    assert row(alignment_index(frame, instrument), group="overall")["index"] == index


@pytest.mark.parametrize(
    ("index", "level"),
    [(0.0, 1), (19.99, 1), (20.0, 2), (39.999, 2), (40.0, 3), (59.9, 3), (60.0, 4),
     (79.99, 4), (80.0, 5), (100.0, 5), (float("nan"), 0)],
)
def test_maturity_level_boundaries(instrument, index, level):
    got_level, name = maturity_level(index, instrument)
    assert got_level == level
    assert name == (instrument.bands[level - 1].name if level else "")


def _frame(people: list[tuple[str, dict[str, list[int]]]]) -> pd.DataFrame:
    rows = [(f"p{k}", team, f"{dim}_{j}", float(v))
            for k, (team, dims) in enumerate(people)
            for dim, values in dims.items() for j, v in enumerate(values, start=1)]
    return pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])


def test_group_index_exactly_on_a_band_boundary(instrument):
    # Four people score 1.75 (index 18.75), one scores 2.0 (index 25): mean index 20 exactly.
    people = [("sales", {"goals": [1, 1, 2, 3]})] * 4 + [("sales", {"goals": [2, 2, 2, 2]})]
    got = row(alignment_index(_frame(people), instrument), group="overall")
    assert got["index"] == 20.0
    assert got["level"] == 2


def test_level_follows_the_exact_index(instrument):
    people = [
        ("sales", {"sponsorship": [5, 4, 2], "definitions": [3, 3, 3, 1]}),
        ("sales", {"sponsorship": [4, 3, 5], "definitions": [5, 5, 2, 3]}),
        ("sales", {"sponsorship": [2, 4, 3], "definitions": [5, 1, 3, 5]}),
        ("sales", {"sponsorship": [1, 5, 5], "definitions": [5, 5, 3, 5]}),
        ("sales", {"sponsorship": [2, 1, 5], "definitions": [5, 2, 3, 1]}),
    ]
    exact = sum(
        (sum(Fraction(sum(v), len(v)) for v in dims.values()) / len(dims) - 1) / 4 * 100
        for _, dims in people
    ) / len(people)
    assert exact == 60
    got = row(alignment_index(_frame(people), instrument), group="overall")
    assert got["level"] == maturity_level(float(exact), instrument)[0] == 4


# -- sizes ---------------------------------------------------------------------------------
def test_team_sizes(tiny, instrument):
    sizes = team_sizes(tiny, instrument)
    assert list(sizes["group"]) == ["overall", *instrument.team_ids]
    assert dict(zip(sizes["group"], sizes["n"], strict=True)) == {
        "overall": 3, "sales": 2, "marketing": 1, "leadership": 0, "other": 0}


# -- end to end through the store -----------------------------------------------------------
def test_scores_of_the_small_fixture_file(workspace, data_dir, tmp_path, instrument):
    """tests/data/canonical_small.csv (see tests/data/README.md), scored from the store.

    Person index = (value - 1) / 4 * 100 since each person gives one value throughout:
    sales 75, 25, 50, 100 (R0001-4); marketing 75, 50, 100; leadership 0.
    """
    path = shutil.copy(data_dir / "canonical_small.csv", tmp_path / "small.csv")
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    answers = workspace.answers("acme", "baseline")

    index = alignment_index(answers, instrument)
    expected = {"overall": (8, 475 / 8), "sales": (4, 62.5), "marketing": (3, 75.0),
                "leadership": (1, 0.0)}
    for group, (n, value) in expected.items():
        got = row(index, group=group)
        assert (got["n"], got["index"]) == (n, pytest.approx(value))

    dims = dimension_scores(answers, instrument)
    # sla: R0003 answered only N/A, so sales has R0001 (4), R0002 (2), R0004 (5).
    sla = row(dims, dimension="sla", group="sales")
    assert (sla["n"], sla["mean"], sla["favourable"]) == (3, pytest.approx(11 / 3),
                                                          pytest.approx(8 / 12))
    # goals: R0004 left them blank, so sales has 4, 2, 3.
    goals = row(dims, dimension="goals", group="sales")
    assert (goals["n"], goals["mean"]) == (3, pytest.approx(3.0))
    assert row(dims, dimension="goals", group="overall")["n"] == 7


# -- prepared answers ------------------------------------------------------------------------
@pytest.mark.parametrize("score", [item_scores, dimension_scores, alignment_index, team_sizes,
                                   respondent_dimension_means])
def test_prepared_answers_give_the_same_scores(tiny, instrument, score):
    prepared = prepare_answers(tiny, instrument)
    pd.testing.assert_frame_equal(score(prepared, instrument), score(tiny, instrument),
                                  check_exact=True)


def test_scores_do_not_depend_on_how_the_answers_are_held(tiny, instrument):
    """Categorical columns (as a workspace returns them) and any row order: the same figures."""
    held = tiny.sample(frac=1.0, random_state=3).astype(
        {"respondent": "category", "team": "category", "item": "category"})
    for score in (item_scores, dimension_scores, alignment_index, team_sizes):
        pd.testing.assert_frame_equal(score(held, instrument), score(tiny, instrument),
                                      check_exact=True)
    means = respondent_dimension_means(held, instrument)
    assert isinstance(means["respondent"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(means.astype({"respondent": str, "team": str}),
                                  respondent_dimension_means(tiny, instrument), check_exact=True)


def test_prepared_answers_are_reused_for_their_own_instrument_only(tiny, instrument):
    prepared = prepare_answers(tiny, instrument)
    assert prepare_answers(prepared, instrument) is prepared
    other = dataclasses.replace(instrument)
    again = prepare_answers(prepared, other)
    assert again is not prepared and again.answers is tiny and again.instrument is other


def test_scores_do_not_change_the_prepared_frames(tiny, instrument):
    prepared = prepare_answers(tiny, instrument)
    means = respondent_dimension_means(prepared, instrument)
    means["score"] = 0.0  # a caller's copy: the prepared means stay as they were
    pd.testing.assert_frame_equal(respondent_dimension_means(prepared, instrument),
                                  respondent_dimension_means(tiny, instrument))
    for score in (item_scores, dimension_scores, alignment_index):
        score(prepared, instrument)
    fresh = prepare_answers(tiny, instrument)
    for frame in ("answered", "by_group", "person_means"):
        pd.testing.assert_frame_equal(getattr(prepared, frame), getattr(fresh, frame))
