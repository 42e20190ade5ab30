"""Perception gaps: how differently two teams rate each dimension, with uncertainty."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from alignkit.instrument import Instrument
from alignkit.scoring import Answers, prepare_answers

__all__ = ["bootstrap_mean_difference", "perception_gaps"]

GAP_COLUMNS = ["dimension", "dimension_name", "a_mean", "b_mean", "n_a", "n_b", "gap", "low", "high"]


def bootstrap_mean_difference(
    a: np.ndarray,
    b: np.ndarray,
    *,
    confidence: float = 0.9,
    n_boot: int = 2000,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``mean(a) - mean(b)``.

    Each resample draws respondents with replacement within each group, so the
    interval reflects how many people answered on each side.
    """
    # Sorted first: respondents come in pseudonym order, which differs between
    # workspaces, and the same answers must give the same interval everywhere.
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    means_a = a[rng.integers(0, len(a), size=(n_boot, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), size=(n_boot, len(b)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means_a - means_b, [tail, 100 - tail])
    return float(low), float(high)


def perception_gaps(
    answers: Answers,
    instrument: Instrument,
    *,
    between: tuple[str, str] = ("sales", "marketing"),
    threshold: int = 5,
    hidden: Iterable[str] = (),
    confidence: float = 0.9,
    n_boot: int = 2000,
    seed: int = 20141,
) -> pd.DataFrame:
    """Gap ``a - b`` per dimension between two teams, with a bootstrap interval.

    Parameters
    ----------
    answers
        Long answers frame (``respondent, team, item, value``), or the same answers
        as :class:`~alignkit.scoring.PreparedAnswers`.
    instrument
        The instrument the answers belong to.
    between
        The two team ids ``(a, b)``; a positive gap means team a rates higher.
    threshold
        Dimensions where either team has fewer respondents are left out.
    hidden
        Teams hidden for anonymity; if either side is hidden the result is empty.
    confidence, n_boot, seed
        Interval level, number of resamples and random seed (fixed, so a report
        rendered twice shows the same interval).

    Returns
    -------
    pandas.DataFrame
        ``dimension, dimension_name, a_mean, b_mean, n_a, n_b, gap, low, high``
        in instrument order; ``.attrs`` holds ``a``, ``b`` and ``confidence``.
    """
    a, b = between
    rng = np.random.default_rng(seed)
    rows = []
    if not ({a, b} & set(hidden)):
        per_person = prepare_answers(answers, instrument).person_means
        dimension = per_person["dimension"].to_numpy()
        team = per_person["team"].to_numpy()
        score = per_person["score"].to_numpy(float)
        in_a, in_b = team == a, team == b
        for dim in instrument.dimensions:
            here = dimension == dim.id
            va, vb = score[here & in_a], score[here & in_b]  # respondents in frame order
            if len(va) < threshold or len(vb) < threshold:
                continue
            low, high = bootstrap_mean_difference(va, vb, confidence=confidence,
                                                  n_boot=n_boot, rng=rng)
            rows.append((dim.id, dim.name, va.mean(), vb.mean(), len(va), len(vb),
                         va.mean() - vb.mean(), low, high))
    out = pd.DataFrame(rows, columns=GAP_COLUMNS)
    out.attrs.update({"a": a, "b": b, "confidence": confidence})
    return out
