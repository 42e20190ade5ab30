"""Reliability of the survey's dimensions: Cronbach's alpha of each dimension's items.

Alpha says whether a dimension's items measure one thing: with k items as columns
and respondents as rows, ``alpha = k / (k - 1) * (1 - sum(item variances) /
variance(total))``. Each dimension uses the respondents who answered all of its
items (listwise). Like every figure of a wave, it is computed from the publishable
answers (:func:`alignkit.analysis.wave.score_wave` passes them in) and is given only
when at least the anonymity threshold of people answered the whole dimension.
Conventionally an alpha below 0.6 is too low to read the dimension as one scale.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from alignkit.catalog.instrument import Instrument

__all__ = ["ALPHA_FLOOR", "cronbach_alpha", "dimension_reliability"]

#: Below this alpha a dimension is flagged as unreliable.
ALPHA_FLOOR = 0.6


def cronbach_alpha(matrix: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's alpha of items (columns) answered by respondents (rows).

    Rows with a missing answer are dropped first. NaN when fewer than two items or
    two respondents remain, or when the respondents' totals do not vary.

    >>> round(cronbach_alpha([[1, 2], [2, 3], [3, 4], [4, 4]]), 3)
    0.949
    """
    values = np.asarray(matrix, dtype=float)
    values = values[~np.isnan(values).any(axis=1)] if values.ndim == 2 else values
    if values.ndim != 2 or values.shape[1] < 2 or values.shape[0] < 2:
        return float("nan")
    k = values.shape[1]
    total = values.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / total))


def dimension_reliability(answers: pd.DataFrame, instrument: Instrument, *,
                          threshold: int, withheld: Collection[str] = ()) -> pd.DataFrame:
    """Cronbach's alpha of each dimension, from all respondents in ``answers``.

    Parameters
    ----------
    answers
        Long answers frame ``respondent, team, item, value`` (NaN for N/A): the
        publishable answers of a wave.
    instrument
        The instrument whose dimensions and items to use.
    threshold
        The anonymity threshold: a dimension answered in full by fewer people gets
        no alpha.
    withheld
        Dimensions whose item figures are not published: they get no alpha either,
        since it is made of item variances.

    Returns
    -------
    pandas.DataFrame
        ``dimension, dimension_name, items, n, alpha, flag``: ``n`` respondents who
        answered every item of the dimension, ``alpha`` NaN when not given, and
        ``flag`` true when an alpha is given and is below :data:`ALPHA_FLOOR`.
    """
    items = instrument.items_frame()
    matrix = _answer_matrix(answers, pd.Index(items["item"]))
    rows = []
    for dim, name in instrument.dimension_names().items():
        cols = matrix[:, np.flatnonzero(items["dimension"].to_numpy() == dim)]
        complete = cols[~np.isnan(cols).any(axis=1)]
        n = len(complete)
        alpha = cronbach_alpha(complete) if n >= threshold and dim not in withheld else float("nan")
        rows.append({"dimension": dim, "dimension_name": name, "items": cols.shape[1], "n": n,
                     "alpha": alpha, "flag": bool(alpha == alpha and alpha < ALPHA_FLOOR)})
    return pd.DataFrame(rows, columns=["dimension", "dimension_name", "items", "n", "alpha",
                                       "flag"])


def _answer_matrix(answers: pd.DataFrame, items: pd.Index) -> np.ndarray:
    """Respondents × ``items`` of answer values, NaN where not answered (or N/A)."""
    person, _ = pd.factorize(answers["respondent"].astype(str))
    item = items.get_indexer(answers["item"].astype(str))
    value = answers["value"].to_numpy(dtype=float, na_value=np.nan)
    use = (item >= 0) & (person >= 0)
    out = np.full((int(person.max(initial=-1)) + 1, len(items)), np.nan)
    out[person[use], item[use]] = value[use]
    return out
