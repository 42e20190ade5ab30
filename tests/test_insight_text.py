"""Identify's text for the published maturity levels and for each dimension's reliability."""

from __future__ import annotations

import os

from alignkit.charts.insight_text import hbr_maturity_markdown, reliability_table
from alignkit.track.summary import load_engagement


def _scores(company: str):
    return load_engagement(company, workspace=os.environ["ALIGNKIT_WORKSPACE"]).scores


def test_the_maturity_text_states_each_published_group_on_the_hbr_levels() -> None:
    scores = _scores("northwind-software")
    text = hbr_maturity_markdown(scores)
    assert "Harvard Business Review" in text and "2006" in text
    for row in scores.maturity.itertuples(index=False):
        if row.group in ("overall", "sales", "marketing"):
            shown = int(row.score * 10) / 10  # truncated: a 59.96 never reads as 60.0 Defined
            assert f"| {shown:.1f} | {int(row.level)} · {row.level_name} |" in text
    assert "What the next level asks" in text or "Integrated" in text


def test_the_reliability_table_flags_every_dimension_below_0_6() -> None:
    scores = _scores("bluepeak-logistics")
    table = reliability_table(scores).data
    assert len(table) == scores.reliability["dimension"].nunique()
    low = scores.reliability[scores.reliability["alpha"] < 0.6]
    flagged = table[table["Note"].str.startswith("below 0.6")]
    assert len(flagged) == len(low)


def test_the_driver_text_shows_the_view_or_why_there_is_none() -> None:
    from alignkit.analysis.drivers import load_drivers
    from alignkit.charts.insight_text import drivers_markdown

    workspace = os.environ["ALIGNKIT_WORKSPACE"]
    shown = load_drivers("northwind-software", "baseline", workspace=workspace, resamples=20)
    text = drivers_markdown(shown)
    assert shown.available and f"n = {shown.n}" in text and "Share of R²" in text
    first = shown.table.iloc[0]
    assert f"| {first['importance']:.3f} |" in text
    missing = load_drivers("corvid-health", "baseline", workspace=workspace, resamples=20)
    assert not missing.available
    words = drivers_markdown(missing)
    assert "No driver view" in words and "needs 30" in words
    assert "bluepeak" not in words.lower() and "northwind" not in words.lower()
