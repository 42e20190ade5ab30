"""A throw-away survey analysis that the kernel fork server runs once before forking.

Much of the first report in a fresh Python process is one-off work: finding
fonts for each size and weight, measuring the instrument's labels, building
pandas and matplotlib code paths. The fork server does that work once on
made-up answers (no workspace is opened, no client data is read), so every
kernel forked from it starts with those caches filled instead of filling
them again for each report.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

__all__ = ["made_up_wave", "warm_up"]

#: Made-up respondents per team, enough to show both teams and the gap between them.
TEAM_SIZES = {"sales": 6, "marketing": 6}


def made_up_wave() -> object:
    """A :class:`~alignkit.analysis.wave.WaveData` of invented answers to the current instrument."""
    from alignkit.analysis.wave import WaveData
    from alignkit.catalog.instrument import load_instrument
    from alignkit.store.workspace import Company

    instrument = load_instrument()
    items = [item.id for item in instrument.items]
    people = [(f"warm-up-{team}-{i}", team) for team, n in TEAM_SIZES.items() for i in range(n)]
    values = np.arange(len(people) * len(items), dtype=float).reshape(len(people), len(items))
    answers = pd.DataFrame({
        "respondent": np.repeat([p for p, _ in people], len(items)),
        "team": np.repeat([t for _, t in people], len(items)),
        "item": np.tile(items, len(people)),
        "value": 1 + values.ravel() % 5,
    }).astype({"respondent": "category", "team": "category", "item": "category"})
    respondents = pd.DataFrame({"respondent": [p for p, _ in people],
                                "team": [t for _, t in people], "role": None, "comment": np.nan})
    return WaveData(Company("warm-up", "Warm-up", None), "baseline", answers, respondents,
                    instrument)


def warm_up() -> None:
    """Score the made-up wave and draw the Identify survey charts to SVG, then drop them."""
    from alignkit.analysis.wave import score_wave
    from alignkit.charts import identify as charts
    from alignkit.charts import identify_text as narrative

    data = made_up_wave()
    scores = score_wave(data)
    narrative.key_findings(scores)
    figures = [
        charts.maturity_chart(scores.index, data.instrument.bands_list(),
                              anonymity_min=scores.threshold),
        charts.heatmap(scores.dimensions, anonymity_min=scores.threshold),
        charts.gap_chart(scores.gaps),
        charts.favourability_bars(scores.dimensions, group="overall",
                                  anonymity_min=scores.threshold),
    ]
    for figure in figures:
        figure.savefig(io.BytesIO(), format="svg", bbox_inches=None, metadata={"Date": None})
