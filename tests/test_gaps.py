"""Perception gaps between two teams, with percentile-bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.gaps import GAP_COLUMNS, bootstrap_mean_difference, perception_gaps
from alignkit.analysis.scoring import prepare_answers, respondent_dimension_means
from alignkit.catalog.instrument import load_instrument

N = 40


def simulate(instrument, answer_sets: dict[str, list[int]], *, seed: int,
             size: int = N) -> pd.DataFrame:
    """Each team answers every item by drawing uniformly from its own answer set.

    The expected answer of a team is the mean of its set, so the true gap per dimension
    is known exactly from the construction (no rounding or clipping involved).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for team, choices in answer_sets.items():
        for k in range(size):
            for item in instrument.items:
                rows.append((f"{team}-{k}", team, item.id, float(rng.choice(choices))))
    return pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])


@pytest.fixture(scope="module")
def known_gap():
    inst = load_instrument()
    # sales: {1, 2, 3} -> mean 2.0; marketing: {3, 4} -> mean 3.5; true gap -1.5
    return simulate(inst, {"sales": [1, 2, 3], "marketing": [3, 4]}, seed=101)


def test_known_gap_is_estimated(known_gap, instrument):
    gaps = perception_gaps(known_gap, instrument)
    assert list(gaps.columns) == GAP_COLUMNS
    assert list(gaps["dimension"]) == [d.id for d in instrument.dimensions]
    assert (gaps["n_a"] == N).all() and (gaps["n_b"] == N).all()
    assert gaps["gap"].to_numpy() == pytest.approx(gaps["a_mean"] - gaps["b_mean"])
    # The standard error of one dimension's gap is about 0.08, so 0.35 is > 4 SE.
    assert (gaps["gap"] - -1.5).abs().max() < 0.35
    assert gaps["gap"].mean() == pytest.approx(-1.5, abs=0.1)
    assert ((gaps["low"] < gaps["gap"]) & (gaps["gap"] < gaps["high"])).all()
    assert (gaps["high"] < 0).all()
    assert gaps["clear"].all() and (gaps["p_holm"] < 0.05).all()
    # 14 independent 95% intervals: expect ~13.3 to contain the truth; 11 is a safe floor.
    covered = ((gaps["low"] <= -1.5) & (-1.5 <= gaps["high"])).sum()
    assert covered >= 11


def test_interval_width_matches_the_standard_error(known_gap, instrument):
    """A 95% interval spans about 2 x 1.96 standard errors of the difference."""
    gaps = perception_gaps(known_gap, instrument).set_index("dimension")
    per_person = respondent_dimension_means(known_gap, instrument)
    for dim, part in per_person.groupby("dimension"):
        a = part.loc[part["team"] == "sales", "score"]
        b = part.loc[part["team"] == "marketing", "score"]
        se = np.sqrt(a.var(ddof=0) / len(a) + b.var(ddof=0) / len(b))
        width = gaps.loc[dim, "high"] - gaps.loc[dim, "low"]
        assert width / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.2), dim


def test_identical_distributions_give_intervals_around_zero(instrument):
    same = simulate(instrument, {"sales": [1, 2, 3, 4, 5], "marketing": [1, 2, 3, 4, 5]},
                    seed=202)
    gaps = perception_gaps(same, instrument)
    assert len(gaps) == len(instrument.dimensions)
    covered = ((gaps["low"] <= 0) & (0 <= gaps["high"])).sum()
    assert covered >= 11
    assert not gaps["clear"].any()  # Holm: a false alarm among 14 is rare (< 5%)
    assert gaps["gap"].abs().max() < 0.6  # SE ~0.16 per dimension


def test_between_reverses_the_sign(known_gap, instrument):
    ab = perception_gaps(known_gap, instrument)
    ba = perception_gaps(known_gap, instrument, between=("marketing", "sales"))
    assert ba.attrs["a"] == "marketing"
    assert ba["gap"].to_numpy() == pytest.approx(-ab["gap"].to_numpy())
    assert (ba["gap"] > 0).all()


def test_same_seed_same_interval(known_gap, instrument):
    first = perception_gaps(known_gap, instrument, seed=7)
    second = perception_gaps(known_gap, instrument, seed=7)
    pd.testing.assert_frame_equal(first, second)
    other = perception_gaps(known_gap, instrument, seed=8)
    assert not np.allclose(first["low"], other["low"])
    pd.testing.assert_series_equal(first["gap"], other["gap"])  # the estimate itself is fixed


def test_hidden_team_gives_empty_frame_with_attrs(known_gap, instrument):
    gaps = perception_gaps(known_gap, instrument, hidden={"marketing"})
    assert gaps.empty
    assert list(gaps.columns) == GAP_COLUMNS
    assert (gaps.attrs["a"], gaps.attrs["b"], gaps.attrs["confidence"]) == (
        "sales", "marketing", 0.95)
    assert gaps["clear"].dtype == bool


def test_dimension_with_too_few_respondents_is_left_out(known_gap, instrument):
    # Only 4 marketing people keep their sla answers; the others answer N/A there.
    sla = {i.id for i in instrument.dimensions[2].items}
    assert instrument.dimensions[2].id == "sla"
    answers = known_gap.copy()
    drop = (answers["team"] == "marketing") & answers["item"].isin(sla) & ~answers[
        "respondent"].isin([f"marketing-{k}" for k in range(4)])
    answers.loc[drop, "value"] = np.nan

    gaps = perception_gaps(answers, instrument, threshold=5)
    assert "sla" not in set(gaps["dimension"])
    assert len(gaps) == len(instrument.dimensions) - 1

    relaxed = perception_gaps(answers, instrument, threshold=3).set_index("dimension")
    assert relaxed.loc["sla", "n_b"] == 4


def test_bootstrap_of_constants_is_exact():
    rng = np.random.default_rng(0)
    low, high = bootstrap_mean_difference(np.full(10, 3.0), np.full(7, 1.0), rng=rng)
    assert (low, high) == (2.0, 2.0)


def test_bootstrap_interval_narrows_with_more_people_and_lower_confidence():
    base = np.array([1.0, 2.0, 3.0, 4.0, 5.0])

    def width(a, b, confidence=0.95):
        low, high = bootstrap_mean_difference(a, b, confidence=confidence,
                                              rng=np.random.default_rng(1))
        return high - low

    small = width(base, base)
    assert width(np.tile(base, 16), np.tile(base, 16)) < small / 2  # sqrt(16) = 4x narrower
    assert width(base, base, confidence=0.5) < small


def test_interval_does_not_depend_on_respondent_order():
    """Pseudonyms (and so row order) differ between workspaces; the interval must not."""
    from alignkit.analysis.gaps import bootstrap_mean_difference

    a = np.array([1.0, 2.0, 2.5, 4.0, 5.0, 3.0, 2.0])
    b = np.array([3.0, 4.0, 4.5, 5.0, 2.0, 4.0])
    first = bootstrap_mean_difference(a, b, rng=np.random.default_rng(1))
    shuffled = bootstrap_mean_difference(a[::-1], b[[3, 1, 5, 0, 2, 4]],
                                         rng=np.random.default_rng(1))
    assert first == shuffled


def test_prepared_answers_give_the_same_gaps(known_gap, instrument):
    expected = perception_gaps(known_gap, instrument)
    got = perception_gaps(prepare_answers(known_gap, instrument), instrument)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs


# -- a small gap among fourteen: the interval excludes zero, Holm says "not clear" --------
def small_gap_survey(instrument, *, only_first: bool = False) -> list[dict[str, str]]:
    """60 people a team. Dimension 1: sales answer 4 or 3 (36:24), marketing 3:2 the other
    way round, a gap of 0.2. Every other dimension: both teams answer alike (gap 0), or,
    with ``only_first``, marketing answers N/A there so that only dimension 1 is compared.
    """
    first, *others = instrument.dimensions
    rows = []
    for team, fours in (("Sales", 36), ("Marketing", 24)):
        for k in range(60):
            row = {"respondent_id": f"{team}-{k:03d}", "team": team,
                   instrument.outcome.id: "3"}
            row.update({i.id: "4" if k < fours else "3" for i in first.items})
            for dim in others:
                blank = only_first and team == "Marketing"
                row.update({i.id: "" if blank else str(2 + k % 3) for i in dim.items})
            rows.append(row)
    return rows


@pytest.fixture
def small_gap(workspace, write_survey, instrument):
    from alignkit.analysis.wave import load_wave, score_wave
    from alignkit.intake.survey import import_survey

    def scored(wave: str, **kw):
        path = write_survey(small_gap_survey(instrument, **kw), name=f"{wave}.csv")
        import_survey(path, company="acme", wave=wave, workspace=workspace)
        return score_wave(load_wave("acme", wave, workspace=workspace))
    return scored


def test_a_small_gap_among_fourteen_is_not_clear_after_holm(small_gap, instrument):
    scores = small_gap("baseline")
    gaps = scores.gaps.set_index("dimension")
    first = gaps.loc[instrument.dimensions[0].id]
    assert first["gap"] == pytest.approx(0.2)
    assert first["low"] > 0 and 0.05 / 14 < first["p"] < 0.05  # the interval excludes zero
    assert first["p_holm"] == pytest.approx(14 * first["p"])  # smallest of 14 p-values
    assert not gaps["clear"].any()
    assert scores.gaps.attrs["tests"] == 14
    # Alone, the same gap is clear: the verdict really is Holm's.
    alone = small_gap("alone", only_first=True).gaps
    assert len(alone) == 1 and alone["p"].iloc[0] == first["p"] and alone["clear"].iloc[0]


def test_a_gap_not_clear_after_holm_is_labelled_so_everywhere(small_gap, instrument):
    from alignkit.analysis import disconnects
    from alignkit.analysis.uncertainty import HOLM_MARK, holm_note
    from alignkit.charts import identify as charts
    from alignkit.charts import identify_text as narrative
    from alignkit.plan import actions as action_plan

    scores = small_gap("baseline")
    name = instrument.dimensions[0].name
    fig = charts.gap_chart(scores.gaps)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    note = next(t for t in fig.axes[0].texts if t.get_text().startswith("gap +0.2"))
    assert note.get_text().endswith(HOLM_MARK) and note.get_fontweight() == "normal"
    assert holm_note(14) in texts
    findings = narrative.key_findings(scores)
    assert "No gap between sales and marketing is clear. On 1 dimension, the 95% interval" \
        in findings and "not clear after Holm adjustment for the 14 dimensions" in findings
    assert "much the same way" not in findings
    sizes = action_plan.gap_sizes(scores).set_index("dimension_name")
    assert not sizes.loc[name, "reliable"] and sizes.loc[name, "perception_gap"] == 0
    assert disconnects.survey_disconnects(scores).query("area == 'Perception gap'").empty
