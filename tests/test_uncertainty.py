"""One statistical convention for every stage: intervals, p-values, Holm, the sentence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from alignkit.analysis.uncertainty import (
    ALPHA,
    CONVENTION,
    HOLM_MARK,
    LEVEL,
    bootstrap_difference,
    clear_flags,
    excludes_zero,
    holm_adjust,
    holm_note,
    judge,
)
from alignkit.analysis.wave import load_wave, score_wave
from alignkit.catalog.instrument import Instrument
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace
from alignkit.track import recap
from alignkit.track.recap import load_recap

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def test_the_convention_is_95_percent_and_holm_at_5_percent() -> None:
    assert (LEVEL, ALPHA) == (0.95, 0.05)
    assert "95%" in CONVENTION and "Holm" in CONVENTION and "5%" in CONVENTION
    assert CONVENTION.count(".") == 1 and CONVENTION.endswith(".")  # one sentence


@pytest.mark.parametrize("notebook", ["01_identify.ipynb", "02_plan.ipynb", "04_recap.ipynb"])
def test_every_report_states_the_convention(notebook: str) -> None:
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert CONVENTION in text
    assert "90%" not in text and "Mann" not in text


@pytest.mark.parametrize("seed", range(6))
def test_interval_excludes_zero_exactly_when_p_is_below_five_percent(seed: int) -> None:
    rng = np.random.default_rng(seed)
    verdicts = []
    for shift in np.linspace(0, 0.8, 25):  # from no difference to a clear one
        a = rng.integers(1, 6, size=25) + shift
        b = rng.integers(1, 6, size=20).astype(float)
        d = bootstrap_difference(a, b)
        assert d.low <= d.estimate <= d.high
        verdicts.append((bool(excludes_zero(d.low, d.high)), d.p < 0.05))
    assert all(interval == p for interval, p in verdicts)
    assert {v for v, _ in verdicts} == {True, False}  # both kinds of case were tried


def test_p_value_agrees_with_normal_theory() -> None:
    """Two large groups two standard errors apart: p close to 0.0455."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 400), rng.normal(0, 1, 400)
    a = a - a.mean() + 2 * np.sqrt(a.var() / 400 + b.var() / 400) + b.mean()
    assert bootstrap_difference(a, b, n_boot=20000).p == pytest.approx(0.0455, abs=0.008)


@pytest.mark.parametrize(("n", "values"), [(3000, "spread"), (6000, "repeated")])
def test_large_groups_are_resampled_alike(n: int, values: str) -> None:
    """Groups of thousands (drawn in chunks, or as counts of repeated values) agree with
    normal theory, and give the same result in any order."""
    rng = np.random.default_rng(5)
    a, b = (rng.normal(3, 1, n) if values == "spread" else rng.integers(1, 6, n).astype(float)
            for _ in range(2))
    a = a - a.mean() + 2 * np.sqrt(a.var() / n + b.var() / n) + b.mean()
    found = bootstrap_difference(a, b, n_boot=20000)
    assert found.p == pytest.approx(0.0455, abs=0.008)
    assert (found.high - found.low) / (2 * 1.96 * np.sqrt(a.var() / n + b.var() / n)) == \
        pytest.approx(1.0, abs=0.05)
    assert bootstrap_difference(a[::-1], rng.permutation(b), n_boot=20000) == found


def test_the_same_answers_give_the_same_result_in_any_order() -> None:
    a = np.array([1.0, 2.0, 2.5, 4.0, 5.0, 3.0, 2.0])
    b = np.array([3.0, 4.0, 4.5, 5.0, 2.0, 4.0])
    assert bootstrap_difference(a, b) == bootstrap_difference(a[::-1], b[[3, 1, 5, 0, 2, 4]])
    assert bootstrap_difference(a, b) != bootstrap_difference(a, b, seed=1)


def test_no_difference_and_a_plain_one() -> None:
    same = bootstrap_difference(np.full(12, 3.0), np.full(9, 3.0))
    assert (same.estimate, same.low, same.high, same.p) == (0.0, 0.0, 0.0, 1.0)
    shifted = bootstrap_difference(np.full(12, 4.0), np.full(9, 3.0))
    assert (shifted.low, shifted.high, shifted.p) == (1.0, 1.0, 0.0)
    assert np.isnan(bootstrap_difference(np.array([]), np.full(9, 3.0)).p)


def test_holm_by_hand_and_where_it_lived_before() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 0.04)
    assert holm_adjust(np.array([0.04, 0.01, 0.03])).tolist() == pytest.approx([0.06, 0.03, 0.06])
    assert recap.holm_adjust is holm_adjust


def test_judge_counts_only_real_tests() -> None:
    p_holm, clear = judge(np.array([0.02, np.nan, 0.2]))
    assert p_holm[0] == pytest.approx(0.04) and np.isnan(p_holm[1])  # two tests, not three
    assert clear.tolist() == [True, False, False]
    assert judge(np.array([0.02, 0.5, 0.5]))[1].tolist() == [False, False, False]  # three


def test_clear_flags_prefer_the_verdict_over_the_interval() -> None:
    import pandas as pd

    frame = pd.DataFrame({"low": [0.1, -0.2], "high": [0.5, 0.3], "clear": [False, False]})
    assert clear_flags(frame).tolist() == [False, False]
    assert clear_flags(frame.drop(columns="clear")).tolist() == [True, False]
    assert holm_note(14).startswith(HOLM_MARK) and "14 dimensions" in holm_note(14)


# -- Identify and Recap judge the same answers alike ------------------------------------
def _rows(instrument: Instrument, prefix: str, team: str, values: np.ndarray) -> list[dict]:
    """One row per person; ``values[k, d]`` is person k's answer to every item of dimension d."""
    rows = []
    for k, person in enumerate(values):
        row = {"respondent_id": f"{prefix}{k:03d}", "team": team,
               instrument.outcome.id: "3"}
        for dim, value in zip(instrument.dimensions, person, strict=True):
            row.update({item.id: str(int(value)) for item in dim.items})
        rows.append(row)
    return rows


def test_identify_and_recap_give_the_same_interval_and_verdict(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument) -> None:
    rng = np.random.default_rng(11)
    dims = len(instrument.dimensions)
    marketing = rng.integers(2, 5, size=(24, dims))
    shift = np.array([1, 1, 0.5, 0.35] + [0] * (dims - 4))  # a few clear, some borderline
    sales = np.clip(rng.integers(2, 5, size=(30, dims)) + np.round(
        shift * rng.random((30, dims)) * 2), 1, 5)

    def add(wave: str, *teams: tuple[str, np.ndarray]) -> None:
        rows = [r for team, values in teams for r in _rows(instrument, f"{wave}-{team}-",
                                                           team, values)]
        import_survey(write_survey(rows, name=f"{wave}.csv"), company="acme", wave=wave,
                      workspace=workspace)

    add("identify", ("Sales", sales), ("Marketing", marketing))
    # Recap: sales answered like marketing at the baseline and like sales now.
    add("before", ("Sales", marketing), ("Marketing", marketing))
    add("after", ("Sales", sales), ("Marketing", marketing))

    gaps = score_wave(load_wave("acme", "identify", workspace=workspace)).gaps
    rc = load_recap("acme", "before", "after", workspace=workspace)
    moved = rc.changes[rc.changes["group"] == "sales"]
    assert len(gaps) == len(moved) == dims
    assert gaps.attrs["confidence"] == rc.confidence == LEVEL
    assert moved["change"].to_numpy() == pytest.approx(gaps["gap"].to_numpy())
    for ours, theirs in (("low", "low"), ("high", "high"), ("p", "p_value"),
                         ("p_holm", "p_adjusted")):
        np.testing.assert_array_equal(gaps[ours].to_numpy(), moved[theirs].to_numpy())
    assert gaps["clear"].tolist() == moved["significant"].tolist()
    assert 0 < gaps["clear"].sum() < dims  # some clear, some not: the verdicts were tested
