"""Recap: a follow-up survey wave against the baseline.

For every dimension and every group visible in both waves, the change in the
mean score is judged by the convention of :mod:`alignkit.analysis.uncertainty`, exactly
as Identify judges a gap between two teams: a 95% percentile bootstrap interval
(respondents resampled within each wave), a bootstrap p-value from the same
resamples, and Holm's adjustment over the dimensions of each group before a
change is called clear (``significant``).

A perception gap counts as *closed* only when the baseline gap was clear, the
follow-up gap is not, and it moved toward zero by a meaningful amount (at
least ``material`` points or half its size); see :func:`gap_changes`.

A team hidden for anonymity in either wave is not compared at all. The two
waves must belong to the same company. The words and tables of the Recap report
are in :mod:`alignkit.charts.recap_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from alignkit.analysis.privacy import DEFAULT_THRESHOLD
from alignkit.analysis.scoring import OVERALL, respondent_dimension_means
from alignkit.analysis.uncertainty import (
    ALPHA,
    LEVEL,
    N_BOOT,
    SEED,
    bootstrap_difference,
    clear_flags,
    holm_adjust,
    judge,
)
from alignkit.analysis.wave import WaveData, WaveScores, load_wave, score_wave
from alignkit.exceptions import AlignkitError
from alignkit.store.workspace import Company, Workspace, as_workspace

__all__ = [
    "CHANGE_COLUMNS",
    "GAP_CHANGE_COLUMNS",
    "GAP_STATUS_LABELS",
    "compare_waves",
    "gap_changes",
    "holm_adjust",
    "load_recap",
    "process_view",
    "WaveComparison",
]

PROCESS_DIMENSION = "process"
GAP_STATUS_LABELS = {
    "closed": "Closed", "narrowed": "Narrowed, still open", "remains": "Remains",
    "widened": "Widened", "new": "New gap", "unclear": "Less certain, not smaller",
    "none": "No clear gap",
}
GAP_CHANGE_COLUMNS = [f"{c}_{w}" for w in ("before", "after")
                      for c in ("a_mean", "b_mean", "gap", "low", "high", "p_holm", "clear")]
GAP_CHANGE_COLUMNS = ["dimension", "dimension_name", *GAP_CHANGE_COLUMNS, "status"]
CHANGE_COLUMNS = ["group", "dimension", "dimension_name", "n_before", "n_after", "before",
                  "after", "change", "low", "high", "superiority", "p_value", "p_adjusted",
                  "significant"]


@dataclass(frozen=True)
class WaveComparison:
    """A follow-up wave set against the baseline, anonymity applied to both.

    Attributes
    ----------
    changes
        :data:`CHANGE_COLUMNS`, one row per visible group and dimension. Empty
        when there is no follow-up wave.
    gaps
        :func:`gap_changes`: the sales − marketing gap in each wave.
    process
        :func:`process_view`: the process items in each wave.
    index
        ``group, before, after, level_before, level_after`` (alignment index) and, for
        the overall group, ``low, high, p_value`` of its change.
    not_compared
        Teams hidden in either wave (never compared).
    respondents
        People who answered the baseline and the follow-up (0 if none yet).
    reliability
        ``dimension, alpha_before, alpha_after``: Cronbach's alpha of each
        dimension in each wave (NaN where a wave gives none), as
        :attr:`~alignkit.analysis.wave.WaveScores.reliability` publishes it.
    """

    company: Company
    baseline: str
    followup: str
    has_followup: bool
    changes: pd.DataFrame
    gaps: pd.DataFrame
    process: pd.DataFrame
    index: pd.DataFrame
    not_compared: frozenset[str]
    respondents: tuple[int, int]
    threshold: int
    confidence: float
    alpha: float
    reliability: pd.DataFrame | None = None


def _superiority(after: np.ndarray, before: np.ndarray) -> float:
    """P(after > before) + ½ P(tie) for a respondent drawn from each wave (a description)."""
    if len(after) == 0 or len(before) == 0:
        return float("nan")
    diff = np.subtract.outer(after, before)
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def _visible(scores: WaveScores) -> set[tuple[str, str]]:
    dims = scores.dimensions
    shown = dims[~dims["suppressed"] & dims["mean"].notna()]
    return set(zip(shown["dimension"].astype(str), shown["group"].astype(str), strict=True))


def _people(group: str, dimension: str, per_person: pd.DataFrame) -> np.ndarray:
    here = per_person[per_person["dimension"] == dimension]
    if group != OVERALL:
        here = here[here["team"].astype(str) == group]
    return here["score"].to_numpy(float)


def _change_rows(before: WaveData, after: WaveData, pairs: list[tuple[str, str]], *,
                 confidence: float, n_boot: int, seed: int) -> list[tuple]:
    means = {w: respondent_dimension_means(d.answers, d.instrument)
             for w, d in (("before", before), ("after", after))}
    names = before.instrument.dimension_names()
    rows = []
    for group, dim in pairs:
        a, b = _people(group, dim, means["before"]), _people(group, dim, means["after"])
        moved = bootstrap_difference(b, a, level=confidence, n_boot=n_boot, seed=seed)
        rows.append((group, dim, names[dim], len(a), len(b), a.mean(), b.mean(),
                     moved.estimate, moved.low, moved.high, _superiority(b, a), moved.p))
    return rows


def _dimension_changes(before: WaveData, after: WaveData, scores: tuple[WaveScores, WaveScores],
                       *, confidence: float, alpha: float, n_boot: int, seed: int
                       ) -> pd.DataFrame:
    hidden = scores[0].hidden | scores[1].hidden
    both = _visible(scores[0]) & _visible(scores[1])
    groups = [OVERALL, *before.instrument.team_ids]
    pairs = [(g, d.id) for g in groups if g not in hidden for d in before.instrument.dimensions
             if (d.id, g) in both]
    rows = _change_rows(before, after, pairs, confidence=confidence, n_boot=n_boot, seed=seed)
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS[:-2])
    out["p_adjusted"], out["significant"] = np.nan, False
    for _, part in out.groupby("group", sort=False):  # the dimensions of a group: one family
        p_holm, clear = judge(part["p_value"].to_numpy(float), alpha=alpha)
        out.loc[part.index, "p_adjusted"], out.loc[part.index, "significant"] = p_holm, clear
    out["significant"] = out["significant"].astype(bool)
    out.attrs.update({"confidence": confidence, "alpha": alpha})
    return out


def _judged(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gap columns compared between waves, with the verdict of :mod:`alignkit.analysis.uncertainty`."""
    out = gaps.assign(clear=clear_flags(gaps))
    if "p_holm" not in out:
        out["p_holm"] = np.nan
    return out[["dimension", "dimension_name", "a_mean", "b_mean", "gap", "low", "high",
                "p_holm", "clear"]]


def gap_changes(before: WaveScores, after: WaveScores, *, material: float = 0.3) -> pd.DataFrame:
    """How each sales − marketing perception gap changed between two waves.

    A gap is *clear* in a wave when Identify calls it clear there (Holm-adjusted
    bootstrap p-value below 5%, :mod:`alignkit.analysis.uncertainty`). It *moved toward
    zero* when it is at least ``material`` points or at least half smaller.
    Status per dimension:

    * ``closed``: clear at the baseline, not clear in the follow-up, and moved
      toward zero;
    * ``narrowed``: clear in both waves and moved toward zero;
    * ``widened``: clear in both waves and at least ``material`` points larger;
    * ``remains``: clear in both waves otherwise;
    * ``unclear``: clear at the baseline, no longer clear, but not smaller
      (fewer answers can hide a gap that is still there);
    * ``new``: clear only in the follow-up;
    * ``none``: clear in neither wave.

    Dimensions hidden in either wave are left out.
    """
    merged = _judged(before.gaps).merge(_judged(after.gaps), on=["dimension", "dimension_name"],
                                        suffixes=("_before", "_after"))
    was, now = merged["clear_before"], merged["clear_after"]
    size_before, size_after = merged["gap_before"].abs(), merged["gap_after"].abs()
    shrank = (size_before - size_after >= material) | (size_after <= size_before / 2)
    grew = size_after - size_before >= material
    status = np.select(
        [was & ~now & shrank, was & ~now, was & shrank, was & grew, was, now],
        ["closed", "unclear", "narrowed", "widened", "remains", "new"], default="none")
    out = merged.assign(status=status)[GAP_CHANGE_COLUMNS]
    out.attrs.update(before.gaps.attrs)
    out.attrs.update(material=material, tests_after=after.gaps.attrs.get("tests", len(out)))
    return out


def process_view(before: WaveScores, after: WaveScores | None, instrument) -> pd.DataFrame:
    """The process-review items in each wave, for groups visible in both.

    Returns ``item, text, group, n_before, n_after, mean_before, mean_after,
    fav_before, fav_after`` in instrument order; the ``_after`` columns are NaN
    without a follow-up.
    """
    texts = {i.id: i.text for d in instrument.dimensions if d.id == PROCESS_DIMENSION
             for i in d.items}
    cols = ["item", "group", "n", "mean", "favourable", "suppressed"]
    base = before.items[before.items["item"].isin(list(texts))][cols]
    if after is None:
        merged = base.rename(columns={"n": "n_before", "mean": "mean_before",
                                      "favourable": "fav_before", "suppressed": "hidden"})
        merged[["n_after", "mean_after", "fav_after"]] = np.nan
    else:
        follow = after.items[after.items["item"].isin(list(texts))][cols]
        merged = base.merge(follow, on=["item", "group"], suffixes=("_before", "_after"))
        merged = merged.rename(columns={"favourable_before": "fav_before",
                                        "favourable_after": "fav_after"})
        merged["hidden"] = merged["suppressed_before"] | merged["suppressed_after"]
    hidden = set(before.hidden) | (set(after.hidden) if after is not None else set())
    merged = merged[~merged["hidden"] & ~merged["group"].astype(str).isin(hidden)]
    merged.insert(1, "text", merged["item"].map(texts))
    merged["group"] = merged["group"].astype(str)
    keep = ["item", "text", "group", "n_before", "n_after", "mean_before", "mean_after",
            "fav_before", "fav_after"]
    return merged[keep].reset_index(drop=True)


def _index_change(before: WaveScores, after: WaveScores | None) -> pd.DataFrame:
    cols = ["group", "index", "level_name", "suppressed"]
    out = before.index[cols].rename(columns={"index": "before", "level_name": "level_before"})
    if after is None:
        out[["after", "level_after"]] = np.nan
    else:
        later = after.index[cols].rename(columns={"index": "after", "level_name": "level_after"})
        out = out.merge(later, on="group", suffixes=("", "_later"))
        out["suppressed"] = out["suppressed"] | out["suppressed_later"]
    out = out[~out["suppressed"]].assign(group=lambda f: f["group"].astype(str))
    return out[["group", "before", "after", "level_before", "level_after"]].reset_index(drop=True)


def _person_index(data: WaveData) -> np.ndarray:
    """Each respondent's alignment index (0–100), as :func:`alignment_index` computes it."""
    low, high = data.instrument.scale_min, data.instrument.scale_max
    means = respondent_dimension_means(data.answers, data.instrument)
    person = means.groupby("respondent", observed=True)["score"].mean().to_numpy(float)
    return (person - low) / (high - low) * 100


def _index_test(index: pd.DataFrame, before: WaveData, after: WaveData, *, confidence: float,
                n_boot: int, seed: int) -> pd.DataFrame:
    """Add ``low, high, p_value`` of the overall index change (one test, no adjustment)."""
    moved = bootstrap_difference(_person_index(after), _person_index(before), level=confidence,
                                 n_boot=n_boot, seed=seed)
    overall = index["group"] == OVERALL  # may be absent: then nothing is added but NaN
    return index.assign(low=np.where(overall, moved.low, np.nan),
                        high=np.where(overall, moved.high, np.nan),
                        p_value=np.where(overall, moved.p, np.nan))


def _total(scores: WaveScores) -> int:
    return int(scores.sizes.loc[scores.sizes["group"] == OVERALL, "n"].iloc[0])


def compare_waves(before: WaveData, after: WaveData | None, *,
                  anonymity_min: int = DEFAULT_THRESHOLD, confidence: float = LEVEL,
                  alpha: float = ALPHA, material: float = 0.3, n_boot: int = N_BOOT,
                  seed: int = SEED) -> WaveComparison:
    """Compare a follow-up wave with the baseline (``after=None``: baseline only).

    Parameters
    ----------
    before, after
        :func:`~alignkit.analysis.wave.load_wave` of the baseline and the follow-up.
    anonymity_min
        Groups below this size in either wave are not compared.
    confidence, alpha
        Level of each change's bootstrap interval; a change is clear when its
        Holm-adjusted bootstrap p-value is below ``alpha``. Defaults:
        :mod:`alignkit.analysis.uncertainty`, the convention Identify uses for its gaps.
    material
        Smallest move of a perception gap toward zero (scale points) that counts
        for *closed* and *narrowed* (half the gap counts too).
    n_boot, seed
        Resamples and fixed seed, so a report rendered twice is identical.

    Raises
    ------
    AlignkitError
        If the waves belong to different companies.
    """
    if after is not None and after.company.slug != before.company.slug:
        raise AlignkitError(f"cannot compare waves of two companies ({before.company.slug} and "
                            f"{after.company.slug}); pick both waves of one company")
    scores = score_wave(before, anonymity_min=anonymity_min)
    later = score_wave(after, anonymity_min=anonymity_min) if after is not None else None
    # Every figure below from the answers each wave may publish (alignkit.analysis.disclosure).
    before = replace(before, answers=scores.answers)
    after = replace(after, answers=later.answers) if later is not None else None
    index = _index_change(scores, later)
    if later is None:
        changes = pd.DataFrame(columns=CHANGE_COLUMNS)
        gaps = pd.DataFrame(columns=GAP_CHANGE_COLUMNS)
        for frame in (changes, gaps):  # tells a chart why it is empty
            frame.attrs["followup"] = False
    else:
        test = {"confidence": confidence, "n_boot": n_boot, "seed": seed}
        changes = _dimension_changes(before, after, (scores, later), alpha=alpha, **test)
        gaps = gap_changes(scores, later, material=material)
        index = _index_test(index, before, after, **test)
    hidden = scores.hidden | (later.hidden if later is not None else frozenset())
    return WaveComparison(
        company=before.company, baseline=before.wave,
        followup=after.wave if after is not None else "", has_followup=after is not None,
        changes=changes, gaps=gaps, process=process_view(scores, later, before.instrument),
        index=index, not_compared=frozenset(hidden),
        respondents=(_total(scores), _total(later) if later is not None else 0),
        threshold=scores.threshold, confidence=confidence, alpha=alpha,
        reliability=_reliability(scores, later))


def _reliability(scores: WaveScores, later: WaveScores | None) -> pd.DataFrame:
    """Each dimension's alpha in the baseline and the follow-up (NaN where not given)."""
    def alphas(wave: WaveScores | None) -> pd.Series:
        if wave is None or wave.reliability is None or wave.reliability.empty:
            return pd.Series(dtype=float)
        return wave.reliability.set_index("dimension")["alpha"].astype(float)

    before, after = alphas(scores), alphas(later)
    dims = list(dict.fromkeys([*before.index, *after.index]))
    return pd.DataFrame({"dimension": dims,
                         "alpha_before": before.reindex(dims).to_numpy(float),
                         "alpha_after": after.reindex(dims).to_numpy(float)})


def load_recap(company: str, wave: str, followup_wave: str, *,
               workspace: str | Path | Workspace | None = None,
               anonymity_min: int = DEFAULT_THRESHOLD) -> WaveComparison:
    """Load both waves of one company and compare them.

    A follow-up wave that does not exist yet gives a comparison with
    ``has_followup=False`` and empty change tables (the report says so).
    """
    ws = as_workspace(workspace)
    before = load_wave(company, wave, workspace=ws)
    after = load_wave(company, followup_wave, workspace=ws) \
        if followup_wave in ws.waves(company) else None
    comparison = compare_waves(before, after, anonymity_min=anonymity_min)
    return comparison if after is not None else replace(comparison, followup=followup_wave)
