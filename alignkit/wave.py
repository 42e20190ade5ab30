"""One survey wave of one company: load it, score it with anonymity applied."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignkit.gaps import perception_gaps
from alignkit.instrument import Instrument, load_instrument
from alignkit.privacy import (
    DEFAULT_THRESHOLD,
    check_threshold,
    hidden_groups,
    suppress_small_groups,
    visible_comments,
)
from alignkit.scoring import (
    alignment_index,
    dimension_scores,
    item_scores,
    prepare_answers,
    team_sizes,
)
from alignkit.store import Company, Workspace

__all__ = ["WaveData", "WaveScores", "load_wave", "score_wave"]


@dataclass(frozen=True)
class WaveData:
    """The stored answers of one company's wave."""

    company: Company
    wave: str
    answers: pd.DataFrame
    respondents: pd.DataFrame
    instrument: Instrument


@dataclass(frozen=True)
class WaveScores:
    """Everything a report shows about a wave, with small groups already hidden.

    Attributes
    ----------
    sizes
        ``group, n, suppressed`` — respondents per group.
    dimensions
        :func:`~alignkit.scoring.dimension_scores` with ``suppressed``.
    items
        :func:`~alignkit.scoring.item_scores` with ``suppressed``.
    index
        :func:`~alignkit.scoring.alignment_index` with ``suppressed``.
    gaps
        Sales − marketing :func:`~alignkit.gaps.perception_gaps`.
    comments
        ``team, comment`` of visible teams only.
    hidden
        Teams hidden for the whole wave.
    threshold
        The anonymity threshold applied.
    """

    sizes: pd.DataFrame
    dimensions: pd.DataFrame
    items: pd.DataFrame
    index: pd.DataFrame
    gaps: pd.DataFrame
    comments: pd.DataFrame
    hidden: frozenset[str]
    threshold: int

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
            "index": records(self.index),
            "dimensions": records(self.dimensions),
            "gaps": {"between": [self.gaps.attrs.get("a"), self.gaps.attrs.get("b")],
                     "confidence": self.gaps.attrs.get("confidence"),
                     "dimensions": records(self.gaps)},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return round(float(value), 4)
    if isinstance(value, np.bool_):
        return bool(value)
    return value if value is None or isinstance(value, int | str | bool) else str(value)


def _visible_gaps(gaps: pd.DataFrame, dimensions: pd.DataFrame) -> pd.DataFrame:
    """Drop gap rows for dimensions where either side is hidden in the scores.

    A team can be hidden in one dimension only (to protect a smaller group
    there); its mean must not reappear through the gap table.
    """
    sides = {gaps.attrs.get("a"), gaps.attrs.get("b")}
    hidden = dimensions[dimensions["suppressed"] & dimensions["group"].astype(str).isin(sides)]
    kept = gaps[~gaps["dimension"].isin(set(hidden["dimension"]))].reset_index(drop=True)
    kept.attrs.update(gaps.attrs)
    return kept


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
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    info = ws.company(company)
    return WaveData(
        company=info, wave=wave, answers=ws.answers(company, wave),
        respondents=ws.respondents(company, wave), instrument=instrument or load_instrument(),
    )


def score_wave(data: WaveData, *, anonymity_min: int = DEFAULT_THRESHOLD) -> WaveScores:
    """Score a wave and hide every group below ``anonymity_min``.

    Teams too small for the wave as a whole are hidden everywhere (and their
    comments dropped); within each dimension and item, cells whose ``n`` falls
    below the threshold are hidden as well.
    """
    k = check_threshold(anonymity_min)
    inst = data.instrument
    answers = prepare_answers(data.answers, inst)  # shared steps of the scores, built once
    sizes = team_sizes(answers, inst)
    hidden = hidden_groups(dict(zip(sizes["group"], sizes["n"], strict=True)), k)
    hidden_sizes = sizes.assign(suppressed=sizes["group"].isin(hidden))
    value_cols = ["mean", "favourable"]
    dimensions = suppress_small_groups(dimension_scores(answers, inst), keys=["dimension"],
                                       value_columns=value_cols, threshold=k, forced=hidden)
    return WaveScores(
        sizes=hidden_sizes,
        dimensions=dimensions,
        items=suppress_small_groups(item_scores(answers, inst), keys=["item"],
                                    value_columns=value_cols, threshold=k, forced=hidden),
        index=suppress_small_groups(alignment_index(answers, inst), keys=[],
                                    value_columns=["index", "level", "level_name"], threshold=k,
                                    forced=hidden).astype({"level": "Int64"}),
        gaps=_visible_gaps(perception_gaps(answers, inst, threshold=k, hidden=hidden),
                           dimensions),
        comments=visible_comments(data.respondents, hidden),
        hidden=frozenset(hidden),
        threshold=k,
    )
