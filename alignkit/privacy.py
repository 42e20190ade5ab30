"""Anonymity: hide groups too small to show, and anything that would reveal them.

A group (team) below the anonymity threshold is never shown, and neither are
its comments. Showing the overall figure next to every other team would let a
reader back out the hidden group's figure by subtraction, so when the hidden
groups together hold fewer people than the threshold, the smallest visible
team is hidden too (complementary suppression), until that is no longer so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from alignkit.anonymity import DEFAULT_THRESHOLD, MIN_THRESHOLD, check_threshold

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "check_threshold",
    "hidden_groups",
    "suppress_small_groups",
    "visible_comments",
]

OVERALL = "overall"


def hidden_groups(sizes: dict[str, int], threshold: int, forced: Iterable[str] = ()) -> set[str]:
    """Which groups to hide, given each group's size and the overall group.

    Parameters
    ----------
    sizes
        ``{group: n}``, including ``"overall"``; groups with n = 0 are absent.
    threshold
        The anonymity threshold (see :func:`check_threshold`).
    forced
        Groups to hide regardless (e.g. teams hidden for the wave as a whole).

    Examples
    --------
    >>> sorted(hidden_groups({"overall": 40, "sales": 20, "marketing": 17, "leadership": 3}, 5))
    ['leadership', 'marketing']
    >>> sorted(hidden_groups({"overall": 44, "sales": 20, "marketing": 17,
    ...                       "leadership": 3, "other": 4}, 5))
    ['leadership', 'other']
    """
    check_threshold(threshold)
    teams = {g: n for g, n in sizes.items() if g != OVERALL and n > 0}
    if sizes.get(OVERALL, 0) < threshold:
        return set(sizes)
    hidden = {g for g, n in teams.items() if n < threshold} | (set(forced) & set(teams))
    hidden_total = sum(teams[g] for g in hidden)
    visible = sorted((n, g) for g, n in teams.items() if g not in hidden)
    while 0 < hidden_total < threshold and visible:
        n, group = visible.pop(0)
        hidden.add(group)
        hidden_total += n
    return hidden


def suppress_small_groups(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    value_columns: Sequence[str],
    threshold: int,
    forced: Iterable[str] = (),
) -> pd.DataFrame:
    """Blank out every figure of a group that must stay hidden.

    Within each combination of ``keys`` (e.g. per dimension), the rows of the
    groups chosen by :func:`hidden_groups` get NaN in ``value_columns`` and
    ``suppressed=True``. Their ``n`` is kept so a report can say "fewer than
    5" without showing figures.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the values blanked and a ``suppressed`` column.
    """
    out = frame.copy()
    out["suppressed"] = _hidden_rows(out, keys, threshold, set(forced))
    out.loc[out["suppressed"], list(value_columns)] = np.nan
    return out


def _hidden_rows(frame: pd.DataFrame, keys: Sequence[str], threshold: int,
                 forced: set[str]) -> np.ndarray:
    """Per row of ``frame``: is its group hidden within its combination of ``keys``?"""
    cells = (frame.groupby(list(keys), observed=True, sort=False).indices.values() if keys
             else [np.arange(len(frame))])
    groups = frame["group"].astype(str).to_numpy()
    sizes = frame["n"].to_numpy()
    hidden = np.zeros(len(frame), dtype=bool)
    for rows in cells:
        hide = hidden_groups({groups[r]: int(sizes[r]) for r in rows}, threshold, forced)
        hidden[rows] = [groups[r] in hide for r in rows]
    return hidden


def visible_comments(respondents: pd.DataFrame, hidden: Iterable[str]) -> pd.DataFrame:
    """Comments safe to show: ``team, comment`` of visible teams only, shuffled.

    Roles are dropped (they identify people) and the order is randomised with a
    fixed seed so that comments cannot be matched to import order.
    """
    hidden = set(hidden)
    keep = respondents[~respondents["team"].isin(hidden)]
    keep = keep[keep["comment"].fillna("").str.strip() != ""]
    return keep[["team", "comment"]].sample(frac=1.0, random_state=7).reset_index(drop=True)
