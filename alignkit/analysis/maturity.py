"""Maturity on a published framework: the HBR 2006 levels of sales and marketing.

Kotler, Rackham and Krishnaswamy (Harvard Business Review, 2006) describe four
levels of the relationship, Undefined, Defined, Aligned and Integrated, on a
20–100 score. A group's score here is its mean answer rescaled to that scale
(20 × the mean on a 1–5 scale), and the mean is that of its shown dimension
means, as for the alignment index: nothing a reader could not compute from the
published dimension means. The levels are data (:mod:`alignkit.catalog.maturity`);
the alignment index (0–100) and its own levels are unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignkit.catalog.instrument import Instrument
from alignkit.catalog.maturity import MaturityFramework, load_maturity_framework

__all__ = ["framework_score", "group_maturity", "levels_apart"]


def framework_score(mean: float, instrument: Instrument,
                    framework: MaturityFramework | None = None) -> float:
    """A mean answer on the instrument's scale, rescaled to the framework's score.

    >>> from alignkit.catalog.instrument import load_instrument
    >>> framework_score(3.0, load_instrument())
    60.0
    """
    fw = framework or load_maturity_framework()
    low, high = instrument.scale_min, instrument.scale_max
    return float(fw.scale_min + (mean - low) / (high - low) * (fw.scale_max - fw.scale_min))


def group_maturity(dimensions: pd.DataFrame, instrument: Instrument,
                   framework: MaturityFramework | None = None) -> pd.DataFrame:
    """Score and level per group on the framework, from its published dimension means.

    Parameters
    ----------
    dimensions
        :func:`~alignkit.analysis.scoring.dimension_scores` rows, optionally with
        ``suppressed``; rows without a mean or marked suppressed are left out.
    instrument
        The instrument (its answer scale).
    framework
        The levels; the bundled HBR 2006 framework by default.

    Returns
    -------
    pandas.DataFrame
        ``group, framework, score, level, level_name``, one row per group with at
        least one shown dimension mean, in the order the groups first appear.
    """
    fw = framework or load_maturity_framework()
    shown = dimensions[dimensions["mean"].notna()]
    if "suppressed" in shown:
        shown = shown[~shown["suppressed"].astype(bool)]
    groups = shown["group"].astype(str)
    means = shown.groupby(groups, sort=False)["mean"].mean()
    scores = [framework_score(m, instrument, fw) for m in means]
    levels = [fw.level_of(s) for s in scores]
    return pd.DataFrame({
        "group": list(means.index),
        "framework": fw.framework,
        "score": np.asarray(scores, dtype=float),
        "level": [lvl.level for lvl in levels],
        "level_name": [lvl.name for lvl in levels],
    })


def levels_apart(maturity: pd.DataFrame, between: tuple[str, str] = ("sales", "marketing")
                 ) -> int | None:
    """How many framework levels two groups are apart (0 when on the same level).

    ``maturity`` is :func:`group_maturity`'s frame; ``None`` when either group has
    no published score.
    """
    level = dict(zip(maturity["group"].astype(str), maturity["level"], strict=True))
    a, b = between
    if a not in level or b not in level:
        return None
    return abs(int(level[a]) - int(level[b]))
