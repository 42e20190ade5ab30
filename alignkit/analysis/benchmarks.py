"""Portfolio benchmarks: where one client stands among the consultancy's clients.

Every company of a workspace gives one value per figure (its latest wave's published
overall dimension means and alignment index, from :func:`~alignkit.analysis.wave.score_wave`),
so each company weighs the same whatever its headcount. Only the 25th, 50th, 75th and 90th
percentiles are published, and only under these rules:

* a figure needs at least ``min_companies`` companies (never fewer than 5), and no company
  may hold more than a quarter of its weight; a dimension some companies lack is withheld
  on its own;
* a percentile is the value of a company at that rank (no interpolation between two
  companies), never the lowest or highest company's (the 90th needs ten companies),
  snapped to a coarse grid (a tenth of a scale point; the index to the same
  share of its 0–100 range). A company whose value lies between two published points
  then changes no figure by its exact value, and differencing two builds, with and without
  it, gives at most another company's rounded value, never its own;
* no mean, and no exact count: the number of companies is given as a band ("5–9", …).

A company's own view (:func:`company_position`) shows its own values and where each lies
among the percentiles; it never names another company.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.disclosure import OVERALL
from alignkit.analysis.privacy import DEFAULT_THRESHOLD
from alignkit.analysis.publications import last_publication
from alignkit.analysis.wave import WaveScores, load_wave, score_wave
from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.exceptions import AlignkitError
from alignkit.store.benchmark import load_benchmark
from alignkit.store.workspace import Workspace, as_workspace

__all__ = [
    "INDEX",
    "MIN_COMPANIES",
    "PERCENTILES",
    "Benchmark",
    "BenchmarkError",
    "build_benchmark",
    "company_position",
    "company_values",
    "count_band",
    "pool_workspace",
    "scores_values",
    "stored_benchmark",
]

MIN_COMPANIES = 5
PERCENTILES = (25, 50, 75, 90)
INDEX = "index"
MAX_WEIGHT = 0.25  # no company may carry more than this share of a figure
SCALE_STEP = 0.1  # grid of the published dimension percentiles, in scale points
_BANDS = ((5, 9), (10, 24), (25, None))
_POINT = {25: "the 25th percentile", 50: "the median", 75: "the 75th percentile",
          90: "the 90th percentile"}


class BenchmarkError(AlignkitError):
    """A benchmark cannot be published or read (too few companies, none built, …)."""


@dataclass(frozen=True)
class Benchmark:
    """Published percentiles of the portfolio; nothing here belongs to one company.

    Attributes
    ----------
    figures
        ``figure, label, p25, p50, p75, p90``: one row for the index, then one per
        published dimension.
    withheld
        Dimensions too few companies report to publish.
    companies
        Band of the number of contributing companies, e.g. ``"5–9"``.
    min_companies
        Companies every published figure needs.
    """

    figures: pd.DataFrame
    withheld: tuple[str, ...]
    companies: str
    min_companies: int

    def to_json(self) -> dict[str, Any]:
        """The stored and printed form."""
        rows = self.figures.to_dict("records")
        return {"companies": self.companies, "min_companies": self.min_companies,
                "percentiles": list(PERCENTILES),
                "figures": [{k: (_number(v) if isinstance(v, float | np.floating) else v)
                             for k, v in row.items()} for row in rows],
                "withheld": list(self.withheld)}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Benchmark:
        """Read :meth:`to_json` output back."""
        try:
            points = [f"p{p}" for p in PERCENTILES]
            figures = pd.DataFrame(list(payload["figures"]), columns=["figure", "label", *points])
            figures[points] = figures[points].astype(float)  # null (withheld) reads as NaN
            return cls(figures=figures, withheld=tuple(payload["withheld"]),
                       companies=str(payload["companies"]),
                       min_companies=int(payload["min_companies"]))
        except (KeyError, TypeError, ValueError) as err:
            raise BenchmarkError(f"the stored benchmark is unreadable ({err}); "
                                 "rebuild it with `alignkit benchmark build`") from err


def _number(value: float) -> float | None:
    """A float for JSON: ``None`` for a withheld (NaN) point."""
    return float(value) if math.isfinite(value) else None


def count_band(n: int) -> str:
    """The band a number of companies falls in (``"5–9"``, ``"10–24"``, ``"25+"``).

    >>> count_band(6), count_band(10), count_band(40)
    ('5–9', '10–24', '25+')
    """
    for low, high in _BANDS:
        if n >= low and (high is None or n <= high):
            return f"{low}+" if high is None else f"{low}–{high}"
    return f"fewer than {_BANDS[0][0]}"


# -- one company's values ---------------------------------------------------------------------
def company_values(slug: str, *, workspace: str | Path | Workspace | None = None,
                   instrument: Instrument | None = None) -> dict[str, float]:
    """``{dimension id or "index": value}`` a company publishes for its latest wave.

    The wave is scored with the threshold it was last published with (else the
    default), and scoring here records no publication. A company without a wave
    or without a published figure gives an empty mapping.
    """
    ws = as_workspace(workspace)
    waves = ws.waves(slug)
    if not waves:
        return {}
    published = last_publication(ws, slug, waves[-1])
    k = published.threshold if published is not None else DEFAULT_THRESHOLD
    data = load_wave(slug, waves[-1], workspace=ws, instrument=instrument)
    return scores_values(score_wave(dataclasses.replace(data, workspace=None), anonymity_min=k))


def scores_values(scores: WaveScores) -> dict[str, float]:
    """``{dimension id or "index": value}`` of one scored wave: its published overall figures.

    What :func:`company_values` gives for a company's latest wave; a report uses it on
    the wave it reads, so its own figures and its place among the clients agree.
    """
    dims = scores.dimensions
    dims = dims[(dims["group"].astype(str) == OVERALL) & ~dims["suppressed"] & dims["mean"].notna()]
    values = {str(d): float(m) for d, m in zip(dims["dimension"], dims["mean"], strict=True)}
    index = scores.index
    index = index[(index["group"].astype(str) == OVERALL) & ~index["suppressed"]]
    if len(index) and pd.notna(index["index"].iloc[0]):
        values[INDEX] = float(index["index"].iloc[0])
    return values


def pool_workspace(workspace: str | Path | Workspace | None = None, *,
                   instrument: Instrument | None = None) -> list[dict[str, float]]:
    """Every company's :func:`company_values`, one mapping each, in no named order."""
    ws = as_workspace(workspace)
    inst = instrument or load_instrument()
    pooled = [company_values(c.slug, workspace=ws, instrument=inst) for c in ws.companies()]
    return [v for v in pooled if v]


# -- the percentiles --------------------------------------------------------------------------
def _check_min(min_companies: int) -> int:
    if min_companies < MIN_COMPANIES:
        raise BenchmarkError(f"a benchmark needs at least {MIN_COMPANIES} companies "
                             f"per figure; {min_companies} is too few")
    return int(min_companies)


def _snap(value: float, step: float) -> float:
    return round(round(value / step) * step, 4)


def _percentiles(values: Sequence[float], step: float) -> list[float]:
    """Each percentile as the value of the company at that rank, snapped to ``step``.

    A percentile whose rank falls on the lowest or the highest company is not
    published (NaN): it would be that one client's own value. With fewer than
    ten companies this withholds the 90th percentile.

    >>> _percentiles([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.1)
    [2.0, 3.0, 5.0, nan]
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    out = []
    for p in PERCENTILES:
        rank = math.ceil(p / 100 * n)  # numpy's "inverted_cdf": the company at that rank
        out.append(_snap(float(ordered[rank - 1]), step) if 1 < rank < n else float("nan"))
    return out


def build_benchmark(pooled: Sequence[Mapping[str, float]], instrument: Instrument, *,
                    min_companies: int = MIN_COMPANIES) -> Benchmark:
    """Percentiles of the pooled companies' values, each company weighing the same.

    Parameters
    ----------
    pooled
        One mapping per company (:func:`pool_workspace`).
    instrument
        Dimension names and the answer scale.
    min_companies
        Companies every figure needs; never below 5.

    Raises
    ------
    BenchmarkError
        If fewer than ``min_companies`` companies have an alignment index.
    """
    need = _check_min(min_companies)
    with_index = [v for v in pooled if INDEX in v]
    if len(with_index) < need:
        raise BenchmarkError(f"no benchmark: it needs at least {need} companies with a "
                             f"scored survey wave, and fewer have one")
    index_step = SCALE_STEP / (instrument.scale_max - instrument.scale_min) * 100
    rows, withheld = [], []
    for figure, label in [(INDEX, "Alignment index"), *instrument.dimension_names().items()]:
        values = [v[figure] for v in pooled if figure in v and math.isfinite(v[figure])]
        # Equal weights: each company's share is 1/n; check it per figure anyway.
        if len(values) < need or (values and 1 / len(values) > MAX_WEIGHT):
            withheld.append(figure)
            continue
        step = index_step if figure == INDEX else SCALE_STEP
        rows.append([figure, label, *_percentiles(values, step)])
    figures = pd.DataFrame(rows, columns=["figure", "label", *(f"p{p}" for p in PERCENTILES)])
    return Benchmark(figures=figures, withheld=tuple(withheld),
                     companies=count_band(len(with_index)), min_companies=need)


# -- one company among them -------------------------------------------------------------------
def _position(value: float, points: Sequence[float]) -> str:
    """Where ``value`` lies among the published percentile points (withheld ones are NaN)."""
    shown = [(p, point) for p, point in zip(PERCENTILES, points, strict=True)
             if math.isfinite(point)]
    for p, point in shown:
        if math.isclose(value, point, abs_tol=1e-9):
            return f"at {_POINT[p]}"
    if value < shown[0][1]:
        return f"below {_POINT[shown[0][0]]}"
    if value > shown[-1][1]:
        return f"above {_POINT[shown[-1][0]]}"
    for (p, low), (q, high) in zip(shown, shown[1:], strict=False):
        if low < value < high:
            return f"between {_POINT[p]} and {_POINT[q]}"
    return f"at {_POINT[50]}"  # points that coincide around the value


def company_position(benchmark: Benchmark, values: Mapping[str, float]) -> pd.DataFrame:
    """One company's values and where each lies among the published percentiles.

    Returns
    -------
    pandas.DataFrame
        ``figure, label, value, position, p25, p50, p75, p90`` for each published
        figure; ``value`` is NaN and ``position`` empty where the company has none.
    """
    rows = []
    for row in benchmark.figures.itertuples(index=False):
        points = [float(getattr(row, f"p{p}")) for p in PERCENTILES]
        value = values.get(row.figure)
        shown = value is not None and math.isfinite(value)
        rows.append([row.figure, row.label, round(value, 4) if shown else np.nan,
                     _position(value, points) if shown else "", *points])
    return pd.DataFrame(rows, columns=["figure", "label", "value", "position",
                                       *(f"p{p}" for p in PERCENTILES)])


def stored_benchmark(workspace: str | Path | Workspace | None = None) -> tuple[Benchmark | None, str]:
    """The workspace's published benchmark, or ``None`` and why there is none, in words.

    A stored benchmark is only ever written by :func:`build_benchmark`; one whose
    rules read below the least (:data:`MIN_COMPANIES`) is treated as unpublished
    all the same. The reason never gives the number of companies.
    """
    payload = load_benchmark(as_workspace(workspace))
    if payload is None:
        return None, ("no portfolio benchmark has been built for this workspace (it needs at "
                      f"least {MIN_COMPANIES} clients with a scored survey)")
    try:
        result = Benchmark.from_json(payload)
    except BenchmarkError:
        return None, "the stored portfolio benchmark cannot be read; it needs rebuilding"
    if result.min_companies < MIN_COMPANIES or result.figures.empty:
        return None, "the stored portfolio benchmark publishes no figure"
    return result, ""
