"""Perception gaps: how differently two teams rate each dimension, with uncertainty.

Intervals, p-values and the verdict *clear* follow :mod:`alignkit.analysis.uncertainty`,
the convention every stage uses.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.analysis.scoring import Answers, prepare_answers
from alignkit.analysis.uncertainty import ALPHA, LEVEL, N_BOOT, SEED, bootstrap_difference, judge
from alignkit.catalog.instrument import Instrument

__all__ = ["bootstrap_mean_difference", "perception_gaps"]

GAP_COLUMNS = ["dimension", "dimension_name", "a_mean", "b_mean", "n_a", "n_b", "gap", "low",
               "high", "p", "p_holm", "clear"]


def bootstrap_mean_difference(
    a: np.ndarray,
    b: np.ndarray,
    *,
    confidence: float = LEVEL,
    n_boot: int = N_BOOT,
    rng: np.random.Generator | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``mean(a) - mean(b)``.

    The interval of :func:`alignkit.analysis.uncertainty.bootstrap_difference`: each
    resample draws respondents with replacement within each group, so the
    interval reflects how many people answered on each side.
    """
    found = bootstrap_difference(a, b, level=confidence, n_boot=n_boot, rng=rng)
    return found.low, found.high


def perception_gaps(
    answers: Answers,
    instrument: Instrument,
    *,
    between: tuple[str, str] = ("sales", "marketing"),
    threshold: int = DEFAULT_THRESHOLD,
    hidden: Iterable[str] = (),
    confidence: float = LEVEL,
    alpha: float = ALPHA,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> pd.DataFrame:
    """Gap ``a - b`` per dimension between two teams, with interval and verdict.

    Parameters
    ----------
    answers
        Long answers frame (``respondent, team, item, value``), or the same answers
        as :class:`~alignkit.analysis.scoring.PreparedAnswers`.
    instrument
        The instrument the answers belong to.
    between
        The two team ids ``(a, b)``; a positive gap means team a rates higher.
    threshold
        Dimensions where either team has fewer respondents are left out.
    hidden
        Teams hidden for anonymity; if either side is hidden the result is empty.
    confidence, alpha
        Interval level; a gap is clear when its Holm-adjusted p-value is below
        ``alpha``. Defaults: :mod:`alignkit.analysis.uncertainty`.
    n_boot, seed
        Number of resamples and random seed (fixed, so a report rendered twice
        shows the same interval).

    Returns
    -------
    pandas.DataFrame
        ``dimension, dimension_name, a_mean, b_mean, n_a, n_b, gap, low, high, p,
        p_holm, clear`` in instrument order: ``p`` is the bootstrap p-value of the
        gap, ``p_holm`` the same adjusted over all dimensions compared, ``clear``
        whether that is below ``alpha``. ``.attrs`` holds ``a``, ``b``,
        ``confidence``, ``alpha`` and ``tests`` (dimensions compared).
    """
    a, b = between
    rows = []
    if not ({a, b} & set(hidden)):
        prepared = prepare_answers(answers, instrument)
        _, team, dimension, score = prepared.person_codes
        teams, dimensions = prepared.codes.teams.astype(str), prepared.codes.dimensions
        in_a = np.isin(team, np.flatnonzero(teams == a))
        in_b = np.isin(team, np.flatnonzero(teams == b))
        for dim in instrument.dimensions:
            here = np.isin(dimension, np.flatnonzero(dimensions == dim.id))
            va, vb = score[here & in_a], score[here & in_b]
            if len(va) < threshold or len(vb) < threshold:
                continue
            found = bootstrap_difference(va, vb, level=confidence, n_boot=n_boot, seed=seed)
            rows.append((dim.id, dim.name, va.mean(), vb.mean(), len(va), len(vb),
                         found.estimate, found.low, found.high, found.p))
    out = pd.DataFrame(rows, columns=GAP_COLUMNS[:-2])
    p_holm, clear = judge(out["p"].to_numpy(float), alpha=alpha)
    out = out.assign(p_holm=p_holm, clear=clear.astype(bool))
    out.attrs.update({"a": a, "b": b, "confidence": confidence, "alpha": alpha,
                      "tests": len(out)})
    return out
