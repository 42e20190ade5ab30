"""Scores: item and dimension means, favourability, alignment index, maturity.

Every function takes the long answers frame (``respondent, team, item, value``
with NaN for N/A) and returns a new DataFrame with an ``n`` beside each figure.
Groups are ``overall`` plus each team (or pooled group) in the frame. Nothing here
protects anyone: published figures are computed from the answers that
:mod:`alignkit.disclosure` allows, as :func:`alignkit.wave.score_wave` does.

Several scores start from the same intermediate frames (answers joined to their
dimension, each respondent's dimension means). To compute many scores of one wave,
wrap the answers once in :class:`PreparedAnswers` and pass that instead of the
frame: each intermediate frame is then built only once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property

import numpy as np
import pandas as pd

from alignkit.instrument import OUTCOME_DIMENSION, Instrument

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
    def person_means(self) -> pd.DataFrame:
        """See :func:`respondent_dimension_means`."""
        scored = self.answered[self.answered["dimension"] != OUTCOME_DIMENSION]
        return (
            scored.groupby(["respondent", "team", "dimension"], observed=True)["value"]
            .mean()
            .rename("score")
            .reset_index()
        )


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
    scored = prepare_answers(answers, instrument).by_group
    out = (
        scored.groupby(["item", "group"], observed=True)
        .agg(n=("value", "size"), mean=("value", "mean"), favourable=("fav", "mean"))
        .reset_index()
    )
    order = {i.id: k for k, i in enumerate(instrument.items)}
    out["order"] = out["item"].map(order)
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
    per_person = _with_groups(prepared.person_means)
    means = per_person.groupby(["dimension", "group"], observed=True)["score"].agg(
        n="size", mean="mean"
    )
    scored = prepared.by_group
    fav = scored.groupby(["dimension", "group"], observed=True)["fav"].mean().rename("favourable")
    out = means.join(fav).reset_index()
    names = instrument.dimension_names()
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
