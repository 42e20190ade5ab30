"""Cronbach's alpha per dimension, from the publishable answers only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.reliability import ALPHA_FLOOR, cronbach_alpha, dimension_reliability
from alignkit.analysis.wave import WaveData, score_wave
from alignkit.store.workspace import Company

K = 5


def answers_of(instrument, people: int, value, teams=("sales", "marketing")) -> pd.DataFrame:
    """``value(person, item) -> float`` for every item, people spread over ``teams``."""
    rows = [(f"p{p}", teams[p % len(teams)], item.id, float(value(p, item)))
            for p in range(people) for item in instrument.items]
    return pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])


def test_alpha_by_hand():
    # items 1,2,3,4 and 2,3,4,4: variances 5/3 and 11/12, total variance 59/12
    assert cronbach_alpha([[1, 2], [2, 3], [3, 4], [4, 4]]) == pytest.approx(2 * (1 - 31 / 59))


@pytest.mark.parametrize("matrix", [[[1, 2]], [[1], [2], [3]], [[3, 3], [3, 3], [3, 3]]])
def test_alpha_needs_two_items_two_people_and_spread(matrix):
    assert math.isnan(cronbach_alpha(matrix))


def test_alpha_drops_incomplete_rows():
    assert cronbach_alpha([[1, 1], [2, 2], [np.nan, 5], [3, 3]]) == pytest.approx(1.0)


def test_items_that_move_together_have_alpha_near_one(instrument):
    rng = np.random.default_rng(1)
    level = rng.integers(1, 6, size=40)
    frame = answers_of(instrument, 40, lambda p, item: level[p])
    out = dimension_reliability(frame, instrument, threshold=K).set_index("dimension")
    assert (out["alpha"] > 0.99).all() and not out["flag"].any()
    assert (out["n"] == 40).all()


def test_unrelated_random_items_have_alpha_near_zero(instrument):
    rng = np.random.default_rng(7)
    noise = {(p, item.id): rng.integers(1, 6) for p in range(400) for item in instrument.items}
    frame = answers_of(instrument, 400, lambda p, item: noise[(p, item.id)])
    out = dimension_reliability(frame, instrument, threshold=K)
    assert out["alpha"].abs().max() < 0.25
    assert out.loc[out["alpha"] < ALPHA_FLOOR, "flag"].all()


def test_listwise_counts_only_complete_answerers(instrument):
    frame = answers_of(instrument, 10, lambda p, item: 1 + p % 5)
    first = instrument.dimensions[0]
    frame.loc[(frame["respondent"] == "p0") & (frame["item"] == first.items[0].id),
              "value"] = np.nan
    out = dimension_reliability(frame, instrument, threshold=K).set_index("dimension")
    assert out.loc[first.id, "n"] == 9
    assert out.drop(index=first.id)["n"].eq(10).all()


def test_a_small_group_gets_no_alpha(instrument):
    frame = answers_of(instrument, K - 1, lambda p, item: 1 + p % 5)
    out = dimension_reliability(frame, instrument, threshold=K)
    assert out["alpha"].isna().all() and not out["flag"].any()


def test_withheld_dimensions_get_no_alpha(instrument):
    frame = answers_of(instrument, 10, lambda p, item: 1 + p % 5)
    first = instrument.dimensions[0].id
    out = dimension_reliability(frame, instrument, threshold=K, withheld={first})
    assert out.set_index("dimension")["alpha"].isna().to_dict()[first]
    assert out["alpha"].notna().sum() == len(out) - 1


def _scores(instrument, answers: pd.DataFrame):
    people = answers.drop_duplicates("respondent")[["respondent", "team"]].assign(
        role="", comment="")
    return score_wave(WaveData(Company("acme", "Acme", None), "w1", answers, people,
                               instrument), anonymity_min=K)


def test_score_wave_uses_the_publishable_answers_only(instrument):
    # 10 sales and 10 marketing move together; 2 leaders answer at random and are left out
    rng = np.random.default_rng(3)
    level = rng.integers(1, 6, size=20)
    frame = answers_of(instrument, 20, lambda p, item: level[p])
    leaders = answers_of(instrument, 2, lambda p, item: rng.integers(1, 6), teams=("leadership",))
    leaders["respondent"] = "l" + leaders["respondent"]
    scores = _scores(instrument, pd.concat([frame, leaders], ignore_index=True))
    assert scores.left_out == {"leadership": 2}
    rel = scores.to_json()["reliability"]
    assert set(rel) == set(instrument.dimension_names())
    assert all(r["n"] == 20 and r["alpha"] > 0.99 and r["flag"] is False for r in rel.values())


def test_score_wave_with_nobody_publishable_has_no_alpha(instrument):
    scores = _scores(instrument, answers_of(instrument, K - 1, lambda p, item: 1 + p % 5))
    assert all(r["alpha"] is None and r["n"] == 0 for r in scores.to_json()["reliability"].values())
