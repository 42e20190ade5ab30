"""Key drivers: how much each dimension matters for the outcome statement.

The outcome statement ("Sales and marketing here work as one team") is regressed
on each person's 14 dimension means, and the model's R² is shared out among the
dimensions by *general dominance* (also called LMG): a dimension's importance is
the R² it adds when it joins a model, averaged over the models of each size and
then over the sizes. The importances sum to the R² of the full model.

All 2^p subset R²s come from the correlation matrix by the sweep operator,
several bootstrap samples at a time, so the intervals stay cheap. Only answers
that may be published are used
(:func:`alignkit.analysis.disclosure.published_answers`, as
:func:`alignkit.analysis.wave.score_wave` does), and only people who answered the
outcome and at least one item of every dimension (listwise).

A company with at least :data:`MIN_COMPANY` such people gets its own driver view;
otherwise the pool of every company's latest wave stands in (``source:
portfolio``) when it holds at least :data:`MIN_POOL_COMPANIES` companies and
:data:`MIN_POOL_ANSWERS` people; otherwise there is no driver view and
:attr:`Drivers.reason` says why.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.disclosure import plan_disclosure, published_answers
from alignkit.analysis.privacy import DEFAULT_THRESHOLD, check_threshold
from alignkit.analysis.scoring import prepare_answers
from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.store.cache import load_cached, save_cached
from alignkit.store.workspace import Workspace, as_workspace

__all__ = [
    "MIN_COMPANY",
    "MIN_POOL_ANSWERS",
    "MIN_POOL_COMPANIES",
    "SCORE_SPLIT",
    "Drivers",
    "driver_frame",
    "general_dominance",
    "importance_split",
    "key_drivers",
    "load_drivers",
]

_POOL_CACHE_VERSION = 1  # raise when the pooled figures are computed differently
SEED = 20240611  # the bootstrap's seed: the same answers give the same intervals
MIN_COMPANY = 30
MIN_POOL_COMPANIES = 5
MIN_POOL_ANSWERS = 150
SCORE_SPLIT = 3.5  # the middle of "neither" and "agree" on the 1-5 scale
METHOD = "general dominance (LMG)"
QUADRANTS = {(True, False): "focus area", (True, True): "strength",
             (False, True): "maintain", (False, False): "lower priority"}


@dataclass(frozen=True)
class Drivers:
    """The driver view of one company's wave, or the reason there is none.

    Attributes
    ----------
    source
        ``company`` (its own answers), ``portfolio`` (the pool of every company) or
        ``None`` (no driver view; see ``reason``).
    n, r2
        People in the model and the R² of the full model.
    table
        One row per dimension: ``dimension, dimension_name, importance, ci_low,
        ci_high, score, quadrant``, by importance (highest first). ``score`` is the
        company's own mean of the dimension.
    split
        Where the quadrants are split, in words.
    """

    company: str
    wave: str
    source: str | None
    n: int
    r2: float | None = None
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    reason: str = ""
    split: str = ""
    resamples: int = 0
    companies: int = 1
    method: str = METHOD

    @property
    def available(self) -> bool:
        """Whether there is a driver view (else see :attr:`reason`)."""
        return self.source is not None

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``alignkit drivers --json``."""
        rows = [{k: (round(float(v), 4) if isinstance(v, float | np.floating) and np.isfinite(v)
                     else None if isinstance(v, float | np.floating) else v)
                 for k, v in row.items()} for row in self.table.to_dict("records")]
        return {"company": self.company, "wave": self.wave, "source": self.source,
                "method": self.method, "n": self.n,
                "r2": None if self.r2 is None else round(self.r2, 4),
                "companies": self.companies, "resamples": self.resamples,
                "split": self.split, "reason": self.reason, "dimensions": rows}


# -- the model ---------------------------------------------------------------------------------
def driver_frame(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One row per person: the dimension means (instrument order) and ``outcome``, listwise.

    ``answers`` is the long frame (``respondent, team, item, value``); give it the
    publishable answers only. People missing the outcome or a whole dimension are
    left out.
    """
    dims = list(instrument.dimension_names())
    means = prepare_answers(answers, instrument).person_means
    wide = means.pivot_table(index="respondent", columns="dimension", values="score",
                             observed=True).reindex(columns=dims)
    said = answers[answers["item"].astype(str) == instrument.outcome.id].dropna(subset=["value"])
    outcome = said.groupby(said["respondent"].astype(str))["value"].mean()
    wide.index = wide.index.astype(str)
    wide = wide.join(outcome.rename("outcome"), how="inner")
    wide.columns.name = None
    return wide.dropna().astype(float)


RIDGE = 1e-9  # added to each predictor's variance: two identical columns stay solvable
_CHUNK = 5  # bootstrap resamples swept together (larger chunks no longer fit the caches)


def _correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Correlation matrices of ``[x, y]`` per sample: ``x (B, n, p)``, ``y (B, n)`` ->
    ``(B, p + 1, p + 1)``, ``y`` last. A constant column correlates with none."""
    data = np.concatenate([x, y[..., None]], axis=-1)
    centred = data - data.mean(axis=-2, keepdims=True)
    sd = np.sqrt((centred ** 2).mean(axis=-2, keepdims=True))
    z = np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)
    corr = np.matmul(np.swapaxes(z, -1, -2), z) / z.shape[-2]
    diagonal = np.arange(corr.shape[-1])
    corr[:, diagonal, diagonal] = 1.0
    return corr


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of ``y`` on every subset of the predictors, by bit mask: ``(B, p+1, p+1)`` -> ``(B, 2^p)``.

    The sweep operator: sweeping predictor ``t`` out of a correlation matrix leaves
    the partial covariances given ``t``, and what is left of ``y``'s variance is
    ``1 - R²``. Subsets are grown by their highest column, so a subset only keeps
    the rows of the predictors above it and ``y``: about ``6 x 2^p`` numbers in all
    instead of one ``k x k`` system per subset.

    The ``2^t`` subsets whose highest predictor is ``t`` are kept in one array,
    ``(p-t, p-t, 2^t, B)``: subsets and samples run along the last axes, so each
    step is arithmetic on long contiguous rows however small the matrices get.
    Their parent with highest predictor ``u`` (``2^u`` subsets; the empty set is
    one) writes them into subsets ``[2^u, 2^(u+1))`` (the empty set's into ``0``).
    """
    samples, q, _ = corr.shape
    p = q - 1
    swept = corr.copy()
    swept[:, np.arange(p), np.arange(p)] += RIDGE
    r2 = np.zeros((2 ** p, samples))
    masks_at: list[Any] = [np.empty(2 ** t, dtype=np.int64) for t in range(p)]
    mats_at: list[Any] = [np.empty((p - t, p - t, 2 ** t, samples)) for t in range(p)]
    masks, mats = np.zeros(1, dtype=np.int64), np.moveaxis(swept, 0, -1)[:, :, None, :]
    for u in range(-1, p):
        if u >= 0:
            masks, mats = masks_at[u], mats_at[u]
            masks_at[u] = mats_at[u] = None  # each level is read once
            r2[masks] = 1.0 - mats[-1, -1]
        start = 2 ** u if u >= 0 else 0
        for t in range(u + 1, p):
            at = t - u - 1  # t among the group's predictors
            row = mats[at, at + 1:]
            scaled = row / mats[at, at]
            child = mats_at[t][:, :, start:start + len(masks)]
            np.multiply(row[:, None], scaled[None, :], out=child)
            np.subtract(mats[at + 1:, at + 1:], child, out=child)
            masks_at[t][start:start + len(masks)] = masks + (1 << t)
    return np.clip(r2.T, 0.0, 1.0)


@cache
def _dominance_map(p: int) -> np.ndarray:
    """The ``(2^p, p)`` matrix that turns subset R²s into general dominance weights.

    Predictor ``i``'s weight averages, over the sizes ``k`` of the subsets ``T``
    without it, the mean gain ``R²(T + i) - R²(T)``: each such ``T`` enters with
    ``-1 / (p C(p-1, k))`` and ``T + i`` with the opposite, so the weights are one
    matrix product.
    """
    masks = ((np.arange(2 ** p)[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    share = 1.0 / (p * np.array([comb(p - 1, k) for k in range(p)], float))
    with_i = share[np.maximum(sizes - 1, 0)][:, None]
    without_i = share[np.minimum(sizes, p - 1)][:, None]
    return np.where(masks, with_i, -without_i)


def _dominance(r2: np.ndarray) -> np.ndarray:
    """General dominance weights ``(B, p)`` from the subset R²s ``(B, 2^p)``."""
    return r2 @ _dominance_map(int(np.log2(r2.shape[-1])))


def general_dominance(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Each column's general dominance weight for ``y`` and the full model's R².

    The weights sum to the R².

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 3))
    >>> weights, r2 = general_dominance(x, 2 * x[:, 0] + x[:, 1] + rng.normal(size=200))
    >>> int(np.argmax(weights)), bool(np.isclose(weights.sum(), r2))
    (0, True)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    r2 = _subset_r2(_correlations(x[None], y[None]))
    return _dominance(r2)[0], float(r2[0, -1])


def _intervals(x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Percentile bootstrap 95% intervals of the weights: ``(2, p)``."""
    rng = np.random.default_rng(seed)
    at = rng.integers(0, len(y), size=(resamples, len(y)))
    draws = np.concatenate([_dominance(_subset_r2(_correlations(x[chunk], y[chunk])))
                            for chunk in np.array_split(at, range(_CHUNK, resamples, _CHUNK))])
    return np.percentile(draws, [2.5, 97.5], axis=0)


def _weights_and_intervals(x: np.ndarray, y: np.ndarray, resamples: int,
                           seed: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """General dominance weights, R² and their bootstrap intervals (NaN without resamples)."""
    weights, r2 = general_dominance(x, y)
    low, high = _intervals(x, y, resamples, seed) if resamples else (weights * np.nan,) * 2
    return weights, r2, low, high


def importance_split(importance: np.ndarray) -> float:
    """Where "high impact" starts: an equal share of R² (R² divided by the number of facets).

    A facet above it moves the outcome more than the facets do on average, so
    how many facets count as high impact depends on the data, not on a fixed
    half of them.

    >>> importance_split(np.array([0.3, 0.1, 0.05, 0.05]))
    0.125
    """
    return float(np.nanmean(importance))


def _quadrants(importance: np.ndarray, score: np.ndarray) -> list[str]:
    high = importance > importance_split(importance)
    return ["" if np.isnan(s) else QUADRANTS[(bool(h), bool(s >= SCORE_SPLIT))]
            for h, s in zip(high, score, strict=True)]


def key_drivers(frame: pd.DataFrame, instrument: Instrument, *, scores: pd.Series | None = None,
                company: str = "", wave: str = "", source: str = "company",
                resamples: int = 100, seed: int = SEED, companies: int = 1) -> Drivers:
    """The driver view from a :func:`driver_frame`.

    ``scores`` (dimension -> mean) places each dimension on the score axis; by
    default the frame's own means.
    """
    dims = list(instrument.dimension_names())
    x, y = frame[dims].to_numpy(float), frame["outcome"].to_numpy(float)
    weights, r2, low, high = _weights_and_intervals(x, y, resamples, seed)
    score = frame[dims].mean() if scores is None else scores
    return _assemble(instrument, weights, low, high, r2, len(frame), score, company=company,
                     wave=wave, source=source, resamples=resamples, companies=companies)


def _assemble(instrument: Instrument, weights: np.ndarray, low: np.ndarray, high: np.ndarray,
              r2: float, n: int, scores: pd.Series, **how: Any) -> Drivers:
    """The driver view from its weights and intervals, placed at ``scores``."""
    names = instrument.dimension_names()
    dims = list(names)
    score = scores.reindex(dims).to_numpy(float)
    table = pd.DataFrame({"dimension": dims, "dimension_name": [names[d] for d in dims],
                          "importance": weights, "ci_low": low, "ci_high": high,
                          "score": score, "quadrant": _quadrants(weights, score)})
    table = table.sort_values("importance", ascending=False, kind="stable")
    split = (f"importance at an equal share of R² ({importance_split(weights):.3f}), "
             f"score at {SCORE_SPLIT} on the 1-5 scale")
    return Drivers(n=n, r2=float(r2), table=table.reset_index(drop=True), split=split, **how)


# -- which answers ------------------------------------------------------------------------------
def _published(ws: Workspace, slug: str, wave: str, instrument: Instrument,
               k: int) -> pd.DataFrame:
    answers = ws.answers(slug, wave)
    return published_answers(answers, plan_disclosure(answers, instrument, k), instrument)


#: The last few waves' driver inputs in this process: a report asks for its wave's driver view
#: twice (for the plan's ranking and for the drivers section), so the answers are read once.
_INPUTS: OrderedDict[tuple[Any, ...], tuple[Instrument, pd.DataFrame, pd.DataFrame, pd.Series]] = \
    OrderedDict()
_KEEP_INPUTS = 4
_INPUTS_LOCK = threading.Lock()


def _company_inputs(ws: Workspace, company: str, wave: str, instrument: Instrument, k: int,
                    versions: list[tuple[str, str, str]]) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   pd.Series]:
    """The wave's published answers, its :func:`driver_frame` and its facet means.

    Kept per process while the wave's imports (``versions``, from
    :meth:`Workspace.survey_versions`) are unchanged, as answers enter only by import.
    """
    version = next((v for slug, name, v in versions if slug == company and name == wave), None)
    key = (str(ws.root.resolve()), company, wave, k, version)
    with _INPUTS_LOCK:
        kept = _INPUTS.get(key)
        if kept is not None and kept[0] is instrument:
            _INPUTS.move_to_end(key)
            return kept[1], kept[2], kept[3]
    own = _published(ws, company, wave, instrument, k)
    inputs = (own, driver_frame(own, instrument), _company_scores(own, instrument))
    with _INPUTS_LOCK:
        _INPUTS[key] = (instrument, *inputs)
        while len(_INPUTS) > _KEEP_INPUTS:
            _INPUTS.popitem(last=False)
    return inputs


def _company_scores(answers: pd.DataFrame, instrument: Instrument) -> pd.Series:
    """The company's mean of each dimension (mean of its people's means)."""
    if answers.empty:
        return pd.Series(dtype=float)
    means = prepare_answers(answers, instrument).person_means
    return means.groupby("dimension", observed=True)["score"].mean()


def load_drivers(company: str, wave: str, *, workspace: str | Path | Workspace | None = None,
                 anonymity_min: int = DEFAULT_THRESHOLD, instrument: Instrument | None = None,
                 resamples: int = 100) -> Drivers:
    """The driver view of one company's wave: its own, the portfolio's, or the reason for none.

    The pool holds this wave of ``company`` and the latest wave of every other
    company. Nothing is recorded as published.
    """
    k = check_threshold(anonymity_min)
    ws, inst = as_workspace(workspace), instrument or load_instrument()
    ws.company(company)
    versions = ws.survey_versions()
    _, frame, scores = _company_inputs(ws, company, wave, inst, k, versions)
    if len(frame) >= MIN_COMPANY:
        # the score axis is the company's published mean of each facet (as in every report),
        # not the mean of the complete answers the regression uses
        return key_drivers(frame, inst, scores=scores, company=company, wave=wave,
                           resamples=resamples)
    pool = _portfolio_pool(ws, company, wave, frame, inst, k, resamples, versions)
    used, pooled = pool["companies"], pool["pooled"]
    if pool.get("weights") is not None:
        return _assemble(inst, np.array(pool["weights"], float), np.array(pool["ci_low"], float),
                         np.array(pool["ci_high"], float), pool["r2"], pooled,
                         scores, company=company, wave=wave,
                         source="portfolio", resamples=resamples, companies=used)
    reason = (f"{len(frame)} usable answers in {company} {wave} (a driver view needs "
              f"{MIN_COMPANY}), and the portfolio pool holds {pooled} answers from "
              f"{used} companies (it needs {MIN_POOL_ANSWERS} from {MIN_POOL_COMPANIES})")
    return Drivers(company=company, wave=wave, source=None, n=len(frame), reason=reason,
                   companies=used)


def _portfolio_pool(ws: Workspace, company: str, wave: str, frame: pd.DataFrame,
                    instrument: Instrument, k: int, resamples: int,
                    versions: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The pooled driver figures: this wave of ``company`` and every other company's latest.

    They are the same for every company whose pool holds the same waves, so
    they are worked out once and kept in the workspace's cache under a key made
    of those waves' imports, the threshold, the instrument and the method: a
    batch of many small companies pools the portfolio once, not once a report.
    """
    latest: dict[str, tuple[str, str]] = {}
    own_version = ""
    for slug, name, version in versions:
        latest[slug] = (name, version)  # oldest first: the last one stays
        if slug == company and name == wave:
            own_version = version
    members = [(company, wave, own_version)] + [(slug, name, version) for slug, (name, version)
                                                 in sorted(latest.items()) if slug != company]
    digest = hashlib.sha256(json.dumps(
        [_POOL_CACHE_VERSION, METHOD, instrument.version, k, resamples, SEED,
         sorted(members)]).encode()).hexdigest()[:40]
    cached = load_cached(ws, "drivers-pool", digest)
    if cached is not None:
        return cached
    frames = [frame] + [driver_frame(_published(ws, slug, name, instrument, k), instrument)
                        for slug, name, _ in members[1:]]
    used = [f for f in frames if len(f)]
    result: dict[str, Any] = {"companies": len(used), "pooled": sum(len(f) for f in used),
                              "weights": None}
    if len(used) >= MIN_POOL_COMPANIES and result["pooled"] >= MIN_POOL_ANSWERS:
        pool = pd.concat([f.set_axis([f"{i}:{r}" for r in f.index]) for i, f in enumerate(used)])
        dims = list(instrument.dimension_names())
        x, y = pool[dims].to_numpy(float), pool["outcome"].to_numpy(float)
        weights, r2, low, high = _weights_and_intervals(x, y, resamples, SEED)
        result.update(weights=weights.tolist(), ci_low=low.tolist(), ci_high=high.tolist(),
                      r2=r2)
    save_cached(ws, "drivers-pool", digest, result)
    return result
