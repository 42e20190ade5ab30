"""One survey wave of one company: load it, and score it as it may be published.

:func:`score_wave` first decides which answers may be published
(:mod:`alignkit.analysis.disclosure`), computes every figure from those answers only, and,
for a wave read from a workspace, checks the figures against the wave's earlier
publication and records this one (:mod:`alignkit.analysis.publications`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.disclosure import (
    ALL_TEAMS,
    HIDDEN,
    MEAN_ONLY,
    OVERALL,
    SHOWN,
    Block,
    Disclosure,
    plan_disclosure,
    published_answers,
)
from alignkit.analysis.gaps import perception_gaps
from alignkit.analysis.maturity import group_maturity
from alignkit.analysis.privacy import DEFAULT_THRESHOLD, check_threshold, visible_comments
from alignkit.analysis.publications import check_republication, last_publication, record_publication
from alignkit.analysis.reliability import dimension_reliability
from alignkit.analysis.scoring import dimension_scores, index_from_dimensions, item_scores, prepare_answers
from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.store.workspace import Company, Workspace, as_workspace

__all__ = ["WaveData", "WaveScores", "load_wave", "score_wave"]


@dataclass(frozen=True)
class WaveData:
    """The stored answers of one company's wave.

    ``workspace`` is the store the wave was read from (``None`` for answers made up
    in memory); scoring such a wave records that its figures were published.
    """

    company: Company
    wave: str
    answers: pd.DataFrame
    respondents: pd.DataFrame
    instrument: Instrument
    workspace: Workspace | None = None


@dataclass(frozen=True)
class WaveScores:
    """Everything a report shows about a wave, computed from the publishable answers only.

    Attributes
    ----------
    sizes
        ``group, n, suppressed`` — respondents per published group; teams left out
        are rows with ``suppressed`` and their size (to say "fewer than k").
    dimensions
        :func:`~alignkit.analysis.scoring.dimension_scores` with ``suppressed``.
    items
        :func:`~alignkit.analysis.scoring.item_scores` with ``suppressed``.
    index
        :func:`~alignkit.analysis.scoring.index_from_dimensions` with ``suppressed``.
    gaps
        Sales − marketing :func:`~alignkit.analysis.gaps.perception_gaps`.
    comments
        ``team, comment`` of respondents whose own team has at least k people.
    hidden
        Teams not shown as a group of their own (left out, or inside a pool).
    threshold
        The anonymity threshold applied.
    answers
        The answers every figure was computed from (``team`` is the published group).
    left_out
        Team -> respondents whose answers are in no figure.
    pools
        Pooled group -> the small teams it holds.
    note
        Why answers are left out, in one sentence (empty when none are).
    reliability
        :func:`~alignkit.analysis.reliability.dimension_reliability` of the
        published answers (Cronbach's alpha per dimension, ``None`` if not computed).
    maturity
        :func:`~alignkit.analysis.maturity.group_maturity`: each shown group's
        score and level on the HBR 2006 framework (``None`` if not computed).
    """

    sizes: pd.DataFrame
    dimensions: pd.DataFrame
    items: pd.DataFrame
    index: pd.DataFrame
    gaps: pd.DataFrame
    comments: pd.DataFrame
    hidden: frozenset[str]
    threshold: int
    answers: pd.DataFrame | None = None
    left_out: Mapping[str, int] = field(default_factory=dict)
    pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    note: str = ""
    reliability: pd.DataFrame | None = None
    maturity: pd.DataFrame | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``alignkit score --json``: hidden groups are absent."""

        def records(frame: pd.DataFrame, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
            shown = frame[~frame["suppressed"]] if "suppressed" in frame else frame
            shown = shown.drop(columns=[c for c in ("suppressed", *drop) if c in shown])
            shown = shown.astype(object).where(shown.notna(), None)
            return [{k: _plain(v) for k, v in row.items()} for row in shown.to_dict("records")]

        return {
            "anonymity_min": self.threshold,
            "respondents": records(self.sizes),
            "left_out": {"respondents": sum(self.left_out.values()),
                         "teams": dict(self.left_out), "reason": self.note},
            "pools": {g: list(t) for g, t in self.pools.items()},
            "index": self._index_with_maturity(records(self.index)),
            "dimensions": records(self.dimensions),
            "gaps": {"between": [self.gaps.attrs.get("a"), self.gaps.attrs.get("b")],
                     "confidence": self.gaps.attrs.get("confidence"),
                     "dimensions": records(self.gaps)},
            "reliability": self._reliability_json(),
        }

    def _index_with_maturity(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Index rows, each with its group's level on the published framework."""
        if self.maturity is None:
            return rows
        by_group = {str(r["group"]): {"framework": r["framework"],
                                      "score_20_100": _plain(r["score"]),
                                      "level": r["level_name"]}
                    for r in self.maturity.to_dict("records")}
        return [{**row, "maturity": by_group[row["group"]]} if row["group"] in by_group
                else row for row in rows]

    def _reliability_json(self) -> dict[str, dict[str, Any]]:
        """Dimension -> ``alpha`` (``None`` when not given), ``n`` and ``flag``."""
        if self.reliability is None:
            return {}
        return {r["dimension"]: {"alpha": None if np.isnan(r["alpha"]) else _plain(r["alpha"]),
                                 "n": int(r["n"]), "flag": bool(r["flag"])}
                for r in self.reliability.to_dict("records")}


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return round(float(value), 4)
    if isinstance(value, np.bool_):
        return bool(value)
    return value if value is None or isinstance(value, int | str | bool) else str(value)


def load_wave(
    company: str,
    wave: str,
    *,
    workspace: str | Path | Workspace | None = None,
    instrument: Instrument | None = None,
) -> WaveData:
    """Read one wave's answers and respondents from a workspace.

    Raises
    ------
    UnknownCompanyError, StoreError
        If the company is not registered or has no such wave.
    """
    ws = as_workspace(workspace)
    info = ws.company(company)
    return WaveData(
        company=info, wave=wave, answers=ws.answers(company, wave),
        respondents=ws.respondents(company, wave), instrument=instrument or load_instrument(),
        workspace=ws,
    )


def score_wave(data: WaveData, *, anonymity_min: int = DEFAULT_THRESHOLD) -> WaveScores:
    """Score a wave from the answers :mod:`alignkit.analysis.disclosure` allows to publish.

    Small teams are pooled or left out of every figure; a group's dimension or
    item figures that would single people out are hidden, and their answers kept
    out of the overall figures too; the index is made of the shown dimension
    means. A wave read from a workspace is checked against its earlier
    publication and recorded as published.

    Raises
    ------
    DisclosureError
        If these figures, set against the wave's earlier published ones, would
        single people out (another threshold, or answers added since).
    """
    k = check_threshold(anonymity_min)
    inst = data.instrument
    ws = data.workspace
    published = last_publication(ws, data.company.slug, data.wave) if ws is not None else None
    plan = plan_disclosure(data.answers, inst, k)
    check_republication(data.answers, inst, k, published, wave=data.wave, plan=plan)
    frame = published_answers(data.answers, plan, inst)
    answers = prepare_answers(frame, inst)  # shared steps of the scores, built once
    groups = _shown_groups(plan)
    dimensions = _cells(dimension_scores(answers, inst), "dimension", plan, inst, groups)
    sizes = _sizes(plan, groups)
    shown = sizes[~sizes["suppressed"]]
    index = index_from_dimensions(dimensions, inst, dict(zip(shown["group"], shown["n"],
                                                             strict=True)))
    gaps = perception_gaps(answers, inst, threshold=k, hidden=plan.hidden_teams)
    scores = WaveScores(
        sizes=sizes,
        dimensions=dimensions,
        items=_cells(item_scores(answers, inst), "item", plan, inst, groups),
        index=_index_rows(index, sizes, groups, inst),
        gaps=_visible_gaps(gaps, dimensions),
        comments=visible_comments(data.respondents, plan.commenters),
        hidden=plan.hidden_teams,
        threshold=k,
        answers=frame,
        left_out=dict(plan.left_out),
        pools={g: t for g, t in plan.pools.items() if len(t) > 1},
        note=plan.left_out_reason(),
        reliability=dimension_reliability(frame, inst, threshold=k, withheld={
            d for d in inst.dimension_names()
            if plan.blocks.get((OVERALL, d), Block(HIDDEN)).status != SHOWN}),
        maturity=group_maturity(dimensions, inst),
    )
    if ws is not None and (published is None or (published.threshold, published.respondents)
                           != (k, plan.respondents)):
        record_publication(ws, data.company.slug, data.wave, k, plan.respondents)
    return scores


# -- the published frames ---------------------------------------------------------------------
def _shown_groups(plan: Disclosure) -> list[str]:
    """Published groups with a column of their own (a pool of every team is the overall)."""
    return [g for g in plan.groups if g != ALL_TEAMS]


def _order(instrument: Instrument, groups: list[str]) -> list[str]:
    known = [OVERALL, *instrument.team_ids]
    return known + [g for g in groups if g not in known]


def _cells(scored: pd.DataFrame, key: str, plan: Disclosure, instrument: Instrument,
           groups: list[str]) -> pd.DataFrame:
    """Scores per ``key`` (dimension or item) with hidden cells and left-out teams marked.

    Item figures of a dimension shown as a mean only are blanked; a group's hidden
    dimension and every team left out get a row without figures, with their ``n``.
    """
    items = instrument.items_frame().set_index("item")["dimension"]
    keys = list(items.index) if key == "item" else list(instrument.dimension_names())
    dim_of = items.to_dict() if key == "item" else {d: d for d in keys}
    out = scored.assign(group=scored["group"].astype(str))
    out = out[out["group"].isin([OVERALL, *groups])]
    blank = np.array([key == "item" and plan.blocks[(g, dim_of[v])].status == MEAN_ONLY
                      for g, v in zip(out["group"], out[key], strict=True)], dtype=bool)
    out = out.assign(suppressed=blank)
    out.loc[blank, ["mean", "favourable"]] = np.nan
    extra = [{key: v, "group": g, "n": plan.blocks[(g, dim_of[v])].left_out}
             for v in keys for g in groups
             if plan.blocks.get((g, dim_of[v]), Block(MEAN_ONLY)).status == HIDDEN]
    extra += [{key: v, "group": t, "n": n} for v in keys for t, n in plan.left_out.items()]
    if extra:
        rows = pd.DataFrame(extra).assign(mean=np.nan, favourable=np.nan, suppressed=True)
        if key == "dimension":
            rows["dimension_name"] = rows["dimension"].map(instrument.dimension_names())
        out = pd.concat([out, rows[out.columns]], ignore_index=True) if len(out) else rows[
            [c for c in scored.columns] + ["suppressed"]]
    position = {v: n for n, v in enumerate(keys)}
    out["group"] = pd.Categorical(out["group"], categories=_order(instrument, groups))
    out = out.assign(_at=out[key].map(position)).sort_values(["_at", "group"], kind="stable")
    return out.drop(columns="_at").reset_index(drop=True).astype({"n": int, "suppressed": bool})


def _sizes(plan: Disclosure, groups: list[str]) -> pd.DataFrame:
    """``group, n, suppressed``: overall, published groups, then teams left out.

    With nobody publishable the overall row is suppressed and holds everyone.
    """
    counts = pd.Series(list(plan.group_of.values()), dtype=object).value_counts()
    total = int(counts.sum())
    rows = [(OVERALL, total or sum(plan.team_sizes.values()), total == 0)]
    rows += [(g, int(counts.get(g, 0)), False) for g in groups]
    rows += [(t, n, True) for t, n in plan.left_out.items()]
    return pd.DataFrame(rows, columns=["group", "n", "suppressed"])


def _index_rows(index: pd.DataFrame, sizes: pd.DataFrame, groups: list[str],
                instrument: Instrument) -> pd.DataFrame:
    """The published index rows plus a row without figures for each suppressed size row."""
    out = index.assign(group=index["group"].astype(str), suppressed=index["index"].isna())
    hidden = sizes[sizes["suppressed"]]
    if len(hidden):
        rows = hidden[["group", "n"]].assign(index=np.nan, level=0, level_name="",
                                            suppressed=True)
        out = pd.concat([out, rows[out.columns]], ignore_index=True) if len(out) else rows
    out["group"] = pd.Categorical(out["group"], categories=_order(instrument, groups))
    out = out.sort_values("group", kind="stable").reset_index(drop=True)
    out["level_name"] = out["level_name"].where(~out["suppressed"], "")
    out = out.astype({"n": int, "suppressed": bool, "level": "Int64"})
    out.loc[out["suppressed"], "level"] = pd.NA
    return out


def _visible_gaps(gaps: pd.DataFrame, dimensions: pd.DataFrame) -> pd.DataFrame:
    """Keep gap rows only for dimensions where both sides' means are shown."""
    sides = {gaps.attrs.get("a"), gaps.attrs.get("b")}
    shown = dimensions[~dimensions["suppressed"] & dimensions["group"].astype(str).isin(sides)]
    both = {d for d, part in shown.groupby("dimension") if len(part) == 2}
    kept = gaps[gaps["dimension"].isin(both)].reset_index(drop=True)
    kept.attrs.update(gaps.attrs)
    return kept
