"""How alignkit states uncertainty: one convention for every stage.

Identify (the gap between two teams), Plan (which gaps count) and Recap (what
moved between two survey waves) all compare two groups of respondents by the
difference of their means, and all describe that difference the same way:

* **Interval.** A 95% percentile bootstrap interval. Each resample draws
  respondents with replacement within each group, so the interval reflects how
  many people answered on each side. The answers are sorted first and every
  comparison starts from the same fixed seed, so the same answers give the same
  interval wherever, and however often, they are compared. (A group of thousands
  whose values repeat draws how many of each value it gets instead: the same
  resamples, drawn faster.)
* **p-value.** Two-sided, from the same resamples: twice the smaller share of
  resampled differences on either side of zero. A p-value below 5% is the same
  thing as a 95% interval that excludes zero.
* **Clear.** Fourteen dimensions tested at once would throw up a "difference"
  by luck now and then, so the p-values of the dimensions tested together are
  Holm-adjusted. A difference is *clear* when its adjusted p-value is below 5%.

An interval can therefore exclude zero while the difference is not clear; every
chart and table that shows such an interval says so (:data:`HOLM_MARK`,
:func:`holm_note`) rather than showing it next to "no clear difference".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ALPHA",
    "CONVENTION",
    "HOLM_MARK",
    "LEVEL",
    "N_BOOT",
    "SEED",
    "Difference",
    "bootstrap_difference",
    "clear_flags",
    "excludes_zero",
    "holm_adjust",
    "holm_note",
    "judge",
]

#: Level of every interval shown.
LEVEL = 0.95
#: A difference is clear when its Holm-adjusted p-value is below this.
ALPHA = 0.05
#: Bootstrap resamples per comparison.
N_BOOT = 2000
#: Fixed seed of every comparison, so a report rendered twice is identical.
SEED = 20141

#: The one sentence every report shows about how its uncertainty is described.
CONVENTION = ("Every range shown is a 95% bootstrap interval, and a difference is called "
              "clear only when its p-value stays below 5% after Holm's correction for "
              "comparing all dimensions at once.")

#: Marks an interval that excludes zero although the difference is not clear.
HOLM_MARK = "\u2020"


@dataclass(frozen=True)
class Difference:
    """``mean(a) - mean(b)`` with its bootstrap interval and unadjusted p-value."""

    estimate: float
    low: float
    high: float
    p: float


# Groups up to this size draw all their resample indices in one go (16 MB at most).
_DIRECT_MAX = 2000
# A larger group draws counts of its distinct values when each repeats this often on average.
_REPEATS = 16
# Most resample indices held at once when a larger group draws indices.
_CHUNK = 4_000_000


def _resampled_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples of ``values`` (sorted), drawn with replacement.

    A large group whose values repeat a lot (respondents' dimension means take a
    few dozen values) is resampled by drawing how many of the draws land on each
    distinct value: the same distribution of resampled means, at a cost set by
    the distinct values rather than by the respondents.
    """
    n = len(values)
    if n <= _DIRECT_MAX:
        return values[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    distinct, counts = np.unique(values, return_counts=True)
    if _REPEATS * len(distinct) <= n:
        return rng.multinomial(n, counts / n, size=n_boot) @ distinct / n
    rows = max(1, _CHUNK // n)
    return np.concatenate([values[rng.integers(0, n, size=(min(rows, n_boot - start), n))]
                           .mean(axis=1) for start in range(0, n_boot, rows)])


def _resampled_differences(a: np.ndarray, b: np.ndarray, n_boot: int,
                           rng: np.random.Generator) -> np.ndarray:
    # Sorted first: respondents come in pseudonym order, which differs between
    # workspaces, and the same answers must give the same interval everywhere.
    means_a = _resampled_means(np.sort(a), n_boot, rng)
    means_b = _resampled_means(np.sort(b), n_boot, rng)
    return means_a - means_b


def _tail_index(level: float, n: int) -> int:
    """Position of the lower end among ``n`` sorted resamples (inverted-CDF percentile).

    Rounded before ``ceil`` so that 2.5% of 2000 is exactly the 50th value: with
    this choice the interval excludes zero exactly when ``p < 1 - level``.
    """
    return max(math.ceil(round((1 - level) / 2 * n, 9)) - 1, 0)


def bootstrap_difference(a: np.ndarray, b: np.ndarray, *, level: float = LEVEL,
                         n_boot: int = N_BOOT, seed: int = SEED,
                         rng: np.random.Generator | None = None) -> Difference:
    """Difference of two groups' means with its percentile interval and p-value.

    Parameters
    ----------
    a, b
        One value per respondent of each group (e.g. their dimension means).
    level
        Interval level.
    n_boot, seed
        Resamples, and the seed of a fresh generator used for this comparison
        only; ``rng`` replaces that generator when given.

    Returns
    -------
    Difference
        NaN throughout when either group is empty.

    Examples
    --------
    >>> d = bootstrap_difference(np.array([4.0, 4.5, 5.0, 4.0]), np.array([2.0, 2.5, 3.0]))
    >>> round(d.estimate, 2), d.low > 0, d.p < 0.05
    (1.88, True, True)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return Difference(math.nan, math.nan, math.nan, math.nan)
    diffs = _resampled_differences(a, b, n_boot, rng or np.random.default_rng(seed))
    ordered = np.sort(diffs)
    k = _tail_index(level, n_boot)
    below, above = np.count_nonzero(diffs <= 0), np.count_nonzero(diffs >= 0)
    p = min(1.0, 2 * int(min(below, above)) / n_boot)
    return Difference(float(a.mean() - b.mean()), float(ordered[k]), float(ordered[-1 - k]), p)


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: control the chance of any false alarm among m tests.

    Examples
    --------
    >>> holm_adjust(np.array([0.01, 0.04, 0.03])).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def judge(p_values: np.ndarray, *, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm-adjusted p-values of the tests made together, and which are clear.

    Missing p-values (NaN) are no test: they stay NaN, are never clear and do
    not count among the tests adjusted for.

    Examples
    --------
    >>> p_holm, clear = judge(np.array([0.001, 0.03, np.nan]))
    >>> p_holm.round(3).tolist(), clear.tolist()
    ([0.002, 0.03, nan], [True, True, False])
    """
    p = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p)
    adjusted = np.full(len(p), np.nan)
    adjusted[tested] = holm_adjust(p[tested])
    return adjusted, tested & (adjusted < alpha)


def excludes_zero(low, high):
    """Whether an interval lies wholly above or below zero (NaN bounds: no)."""
    return (low > 0) | (high < 0)


def clear_flags(frame: pd.DataFrame, low: str = "low", high: str = "high",
                clear: str = "clear") -> pd.Series:
    """The verdict column ``clear`` of a gap or change frame, as booleans.

    A frame made without a verdict (no such column, or one left empty) is read
    as a single test: clear when its interval excludes zero, which is the same
    verdict as the p-value's at that level.
    """
    if clear in frame and frame[clear].notna().any():
        return frame[clear].eq(True)  # NaN (no test) is never clear
    return excludes_zero(frame[low], frame[high]).astype(bool)


def holm_note(tests: int, level: float = LEVEL) -> str:
    """The footnote for an interval that excludes zero but is not clear."""
    return (f"{HOLM_MARK} The {round(100 * level)}% interval excludes 0, but the difference is "
            f"not clear after Holm adjustment for {tests} dimensions compared at once.")
