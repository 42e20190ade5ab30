"""Scores: item and dimension means, favourability, alignment index, maturity.

Every function takes the long answers frame (``respondent, team, item, value``
with NaN for N/A) and returns a new DataFrame with an ``n`` beside each figure.
Groups are ``overall`` plus each team (or pooled group) in the frame. Nothing here
protects anyone: published figures are computed from the answers that
:mod:`alignkit.analysis.disclosure` allows, as :func:`alignkit.analysis.wave.score_wave` does.

Several scores start from the same intermediate results (the answers as integer
codes of item, dimension, respondent and team, each respondent's dimension means).
To compute many scores of one wave, wrap the answers once in :class:`PreparedAnswers`
and pass that instead of the frame: each is then built only once. Scores group those
codes rather than a million labels, and sum in the order pandas would, so that a
figure does not depend on how it was computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from alignkit.catalog.instrument import OUTCOME_DIMENSION, Instrument

__all__ = [
    "OVERALL",
    "PreparedAnswers",
    "alignment_index",
    "dimension_scores",
    "index_from_dimensions",
    "item_scores",
    "maturity_level",
    "prepare_answers",
    "respondent_dimension_means",
    "team_sizes",
]

OVERALL = "overall"


def _with_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """Stack the frame twice: once with ``group`` = team, once as ``overall``."""
    teams = frame.assign(group=frame["team"].astype(str))
    return pd.concat([frame.assign(group=OVERALL), teams], ignore_index=True)


def _group_order(instrument: Instrument, present: Iterable[str] = ()) -> list[str]:
    """Overall, the instrument's teams, then any other group present (e.g. a pool)."""
    known = [OVERALL, *instrument.team_ids]
    return known + sorted(set(map(str, present)) - set(known))


def _tidy(frame: pd.DataFrame, instrument: Instrument, keys: list[str]) -> pd.DataFrame:
    order = _group_order(instrument, frame["group"].unique())
    frame["group"] = pd.Categorical(frame["group"], categories=order)
    return frame.sort_values(keys + ["group"]).reset_index(drop=True)


class PreparedAnswers:
    """One wave's answers with the intermediate frames its scores share, each built once.

    The frames are built on first use and must be treated as read-only.
    """

    def __init__(self, answers: pd.DataFrame, instrument: Instrument) -> None:
        self.answers = answers
        self.instrument = instrument

    @cached_property
    def answered(self) -> pd.DataFrame:
        """Answers with ``dimension`` and ``dimension_name``, N/A left out."""
        return _with_dimensions(self.answers, self.instrument).dropna(subset=["value"])

    @cached_property
    def by_group(self) -> pd.DataFrame:
        """:attr:`answered` stacked per group, with ``fav`` (answer is favourable)."""
        scored = _with_groups(self.answered)
        scored["fav"] = scored["value"] >= self.instrument.favourable_min
        return scored

    @cached_property
    def codes(self) -> _Codes:
        """:attr:`answered` as integer codes, which the scores group by."""
        return _Codes.of(self.answers, self.instrument)

    @cached_property
    def person_codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`person_means` as codes of :attr:`codes`: respondent, team, dimension, score."""
        return self.codes.person_means()

    @cached_property
    def person_means(self) -> pd.DataFrame:
        """See :func:`respondent_dimension_means`."""
        c = self.codes
        respondent, team, dimension, score = self.person_codes
        return pd.DataFrame({
            "respondent": _rebuild(self.answers["respondent"], c.respondents, respondent),
            "team": _rebuild(self.answers["team"], c.teams, team),
            "dimension": c.dimensions.take(dimension),
            "score": score,
        })


@dataclass(frozen=True)
class _Codes:
    """The answered rows of a wave (N/A and items outside the instrument left out), coded.

    ``item`` indexes the instrument's items, ``dimension`` :attr:`dimensions`
    (sorted ids), ``respondent`` and ``team`` the labels ``respondents`` and
    ``teams`` (-1 for a missing label), in the order a groupby sorts them.
    """

    item: np.ndarray
    dimension: np.ndarray
    respondent: np.ndarray
    team: np.ndarray
    value: np.ndarray
    fav: np.ndarray
    dimensions: pd.Index
    respondents: pd.Index
    teams: pd.Index

    @classmethod
    def of(cls, answers: pd.DataFrame, instrument: Instrument) -> _Codes:
        items = instrument.items_frame()
        code, labels = _labels(answers["item"])
        item = np.append(pd.Index(items["item"]).get_indexer(labels.astype(str)), -1)[code]
        value = answers["value"].to_numpy(dtype=float, na_value=np.nan)
        rows = np.flatnonzero((item >= 0) & ~np.isnan(value))
        dimensions = pd.Index(sorted(set(items["dimension"])), dtype=items["dimension"].dtype)
        of_item = dimensions.get_indexer(items["dimension"])
        respondent, respondents = _labels(answers["respondent"])
        team, teams = _labels(answers["team"])
        value = value[rows]
        return cls(item[rows], of_item[item[rows]], respondent[rows], team[rows], value,
                   value >= instrument.favourable_min, dimensions, respondents, teams)

    @property
    def groups(self) -> list[str]:
        """Group labels: overall, then each team label (``"nan"`` for a missing one)."""
        return [OVERALL, *self.teams.astype(str), "nan"]

    @property
    def group(self) -> np.ndarray:
        """Position of each row's team in :attr:`groups`."""
        return np.where(self.team < 0, len(self.teams), self.team) + 1

    def person_means(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Respondent, team, dimension codes and mean answer, by respondent, team, dimension.

        The outcome item and answers without a respondent or team are left out.
        """
        dims, teams = len(self.dimensions), max(len(self.teams), 1)
        outcome = self.dimensions.get_indexer([OUTCOME_DIMENSION])[0]
        use = (self.dimension != outcome) & (self.respondent >= 0) & (self.team >= 0)
        key = (self.respondent[use] * teams + self.team[use]) * dims + self.dimension[use]
        means = pd.Series(self.value[use]).groupby(key).mean()
        key = means.index.to_numpy()
        return key // dims // teams, key // dims % teams, key % dims, means.to_numpy()


def _labels(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of a column and the labels they stand for, in the order a groupby sorts them."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(np.int64), column.cat.categories
    codes, labels = pd.factorize(column, sort=True)
    return codes, pd.Index(labels)


def _rebuild(column: pd.Series, labels: pd.Index, codes: np.ndarray) -> pd.Series:
    """Values of ``column``'s kind from :func:`_labels` codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical.from_codes(codes, dtype=column.dtype))
    return pd.Series(labels.take(codes))


def _grouped(key: np.ndarray, **columns: np.ndarray) -> pd.DataFrame:
    """``n`` and the mean of each column per key (sorted), summed in row order as pandas does."""
    frame = pd.DataFrame(columns).groupby(key)
    first = next(iter(columns))
    return frame.agg(n=(first, "size"), **{c: (c, "mean") for c in columns})


#: A long answers frame, or the same answers already prepared for scoring.
Answers = pd.DataFrame | PreparedAnswers


def prepare_answers(answers: Answers, instrument: Instrument) -> PreparedAnswers:
    """``answers`` as :class:`PreparedAnswers` for ``instrument`` (reused when it already is)."""
    if isinstance(answers, PreparedAnswers):
        if answers.instrument is instrument:
            return answers
        answers = answers.answers
    return PreparedAnswers(answers, instrument)


def team_sizes(answers: Answers, instrument: Instrument) -> pd.DataFrame:
    """Respondents per group: columns ``group, n`` (overall first)."""
    frame = prepare_answers(answers, instrument).answers
    people = frame.drop_duplicates("respondent")[["respondent", "team"]]
    counts = _with_groups(people).groupby("group", observed=True)["respondent"].nunique()
    order = _group_order(instrument, people["team"].astype(str).unique())
    return pd.DataFrame({"group": order, "n": [int(counts.get(g, 0)) for g in order]})


def _with_dimensions(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    items = instrument.items_frame()[["item", "dimension", "dimension_name"]]
    merged = answers.assign(item=answers["item"].astype(str)).merge(items, on="item", how="inner")
    return merged


def item_scores(answers: Answers, instrument: Instrument) -> pd.DataFrame:
    """Per item and group: ``n`` answered (N/A excluded), ``mean``, ``favourable``.

    ``favourable`` is the share of answers at or above the instrument's
    ``favourable_min`` (4 = agree on the 1–5 scale).
    """
    c = prepare_answers(answers, instrument).codes
    groups = c.groups
    step = len(groups)
    stats = pd.concat([_grouped(c.item * step + g, mean=c.value, favourable=c.fav)
                       for g in (0, c.group)])
    key = stats.index.to_numpy()
    out = pd.DataFrame({"item": [instrument.items[i].id for i in key // step],
                        "group": [groups[g] for g in key % step]})
    out = pd.concat([out, stats.reset_index(drop=True)], axis=1)
    out["order"] = key // step
    return _tidy(out, instrument, ["order"]).drop(columns="order")


def respondent_dimension_means(answers: Answers, instrument: Instrument) -> pd.DataFrame:
    """Each respondent's mean per dimension: ``respondent, team, dimension, score``.

    The outcome item is not part of any dimension and is left out.
    """
    return prepare_answers(answers, instrument).person_means.copy()


def dimension_scores(answers: Answers, instrument: Instrument) -> pd.DataFrame:
    """Per dimension and group: ``n`` respondents, ``mean`` (1–5), ``favourable``.

    The mean is the average of respondents' own dimension means, so a person
    who answered four items weighs as much as one who answered three.
    """
    prepared = prepare_answers(answers, instrument)
    c = prepared.codes
    groups = c.groups
    step = len(groups)
    _, team, dim, score = prepared.person_codes
    means = pd.concat([_grouped(dim * step + g, mean=score) for g in (0, team + 1)])
    key = means.index.to_numpy()
    # Favourable answers are counted exactly, so any order of summing gives pandas' share.
    size = len(c.dimensions) * step
    cells = [c.dimension * step, c.dimension * step + c.group]
    fav = sum(np.bincount(cell, weights=c.fav, minlength=size) for cell in cells)
    total = sum(np.bincount(cell, minlength=size) for cell in cells)
    names = instrument.dimension_names()
    out = pd.DataFrame({"dimension": c.dimensions.take(key // step),
                        "group": [groups[g] for g in key % step]})
    out = out.assign(n=means["n"].to_numpy(), mean=means["mean"].to_numpy(),
                     favourable=fav[key] / total[key])
    out = out[out["dimension"].isin(names)]
    out.insert(1, "dimension_name", out["dimension"].map(names))
    out["order"] = out["dimension"].map({d: k for k, d in enumerate(names)})
    return _tidy(out, instrument, ["order"]).drop(columns="order")


def maturity_level(index: float, instrument: Instrument) -> tuple[int, str]:
    """The maturity band an alignment index (0–100) falls in: ``(level, name)``."""
    if np.isnan(index):
        return 0, ""
    index = round(float(index), 9)  # 59.999999999999986 is an index of 60
    band = [b for b in instrument.bands if index >= b.min_index][-1]
    return band.level, band.name


def alignment_index(answers: Answers, instrument: Instrument) -> pd.DataFrame:
    """Alignment index 0–100 and maturity level per group, from each respondent's index.

    A respondent's index is the mean of their dimension means rescaled from
    the 1–5 scale to 0–100; a group's index is the mean over its respondents.
    Columns: ``group, n, index, level, level_name``.

    Not for publishing: someone who skipped a whole dimension weighs their other
    dimensions differently, which a reader can solve for. Reports publish
    :func:`index_from_dimensions` instead (the same value when nobody skipped a
    dimension).
    """
    low, high = instrument.scale_min, instrument.scale_max
    per_dim = prepare_answers(answers, instrument).person_means
    person = per_dim.groupby(["respondent", "team"], observed=True)["score"].mean().reset_index()
    person["index"] = (person["score"] - low) / (high - low) * 100
    out = (
        _with_groups(person)
        .groupby("group", observed=True)["index"]
        .agg(n="size", index="mean")
        .reset_index()
    )
    levels = [maturity_level(v, instrument) for v in out["index"]]
    out["level"] = [lvl for lvl, _ in levels]
    out["level_name"] = [name for _, name in levels]
    return _tidy(out, instrument, [])


def index_from_dimensions(dimensions: pd.DataFrame, instrument: Instrument,
                          sizes: Mapping[str, int]) -> pd.DataFrame:
    """Alignment index 0–100 and maturity level per group, from its dimension means.

    A group's index is the mean of the dimension means given for it (rows of
    ``dimensions`` with a ``mean``; rows marked ``suppressed`` are left out),
    rescaled from the answer scale to 0–100. It adds nothing a reader could
    not compute from those means.

    Parameters
    ----------
    dimensions
        :func:`dimension_scores` rows, optionally with a ``suppressed`` column.
    instrument
        The instrument (answer scale and maturity bands).
    sizes
        ``{group: respondents}`` for the ``n`` column, in output order.

    Returns
    -------
    pandas.DataFrame
        ``group, n, index, level, level_name``; ``index`` is NaN for a group
        without any dimension mean.
    """
    low, high = instrument.scale_min, instrument.scale_max
    shown = dimensions[dimensions["mean"].notna()]
    if "suppressed" in shown:
        shown = shown[~shown["suppressed"].astype(bool)]
    means = shown.groupby(shown["group"].astype(str))["mean"].mean()
    index = [(means[g] - low) / (high - low) * 100 if g in means.index else np.nan
             for g in sizes]
    levels = [maturity_level(v, instrument) for v in index]
    out = pd.DataFrame({"group": list(sizes), "n": [int(n) for n in sizes.values()],
                        "index": np.asarray(index, dtype=float),
                        "level": [lvl for lvl, _ in levels],
                        "level_name": [name for _, name in levels]})
    out["group"] = pd.Categorical(out["group"], categories=list(sizes))
    return out
