"""Charts of the Recap stage: contracts, order, marks for clear changes, empty inputs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alignkit.charts.recap import change_chart, gap_change_chart, process_chart
from alignkit.charts.style import ROW_LABEL
from alignkit.track.recap import CHANGE_COLUMNS, GAP_CHANGE_COLUMNS


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
            if t.get_text()]


def row_labels(ax) -> list[str]:
    """The labels written left of each row of ``ax``, top to bottom."""
    return [t.get_text() for t in ax.texts if t.get_label() == ROW_LABEL]


def changes() -> pd.DataFrame:
    rows = [  # dimension, before, after, low, high, significant
        ("sla", 3.0, 3.8, 0.5, 1.1, True), ("goals", 3.2, 3.25, -0.1, 0.2, False),
        ("data", 3.5, 3.0, -0.8, -0.2, True),
    ]
    frame = pd.DataFrame([{
        "group": "overall", "dimension": d, "dimension_name": f"Dimension {d}", "n_before": 40,
        "n_after": 40, "before": b, "after": a, "change": a - b, "low": lo, "high": hi,
        "superiority": 0.5, "p_value": 0.01 if s else 0.6, "p_adjusted": 0.03 if s else 1.0,
        "significant": s} for d, b, a, lo, hi, s in rows])
    return frame[CHANGE_COLUMNS]


def test_change_chart_orders_by_change_and_marks_clear_ones() -> None:
    before = plt.get_fignums()
    fig = change_chart(changes())
    assert isinstance(fig, Figure) and fig.get_figwidth() == 10
    assert plt.get_fignums() == before
    scores = fig.axes[0]
    labels = row_labels(scores)
    assert labels == ["Dimension sla", "Dimension goals", "Dimension data"]  # +0.8, +0.05, -0.5
    bold = {t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_fontweight"))
            if hasattr(t, "get_text") and t.get_fontweight() == "bold"}
    assert {"+0.8", "\u22120.5"} <= bold and "0.0" not in bold and "+0.1" not in bold
    assert "Holm-adjusted for 3 dimensions" in " ".join(texts(fig)).replace("\n", " ")


def test_change_chart_of_a_group_not_compared_is_a_message() -> None:
    assert any("too few respondents" in w for w in texts(change_chart(changes(), group="sales")))
    empty = pd.DataFrame(columns=CHANGE_COLUMNS)
    assert any("too few respondents" in w for w in texts(change_chart(empty)))
    empty.attrs["followup"] = False
    assert "The follow-up survey has not been imported yet." in texts(change_chart(empty))


def gap_rows() -> pd.DataFrame:
    rows = [  # dimension, baseline gap, follow-up gap, its interval, status
        ("sla", -1.9, -0.6, (-1.0, -0.2), "narrowed"), ("goals", 0.1, 0.0, (-0.2, 0.2), "none"),
        ("data", 0.5, 0.05, (-0.2, 0.3), "closed"), ("content", -0.2, -0.7, (-1.0, -0.4), "new"),
    ]
    frame = pd.DataFrame([{"dimension": d, "dimension_name": f"Dimension {d}", "gap_before": b,
                           "gap_after": a, "low_after": lo, "high_after": hi, "status": s}
                          for d, b, a, (lo, hi), s in rows])
    return frame.reindex(columns=GAP_CHANGE_COLUMNS)


def test_gap_change_chart_leaves_out_gaps_that_never_were() -> None:
    fig = gap_change_chart(gap_rows())
    labels = row_labels(fig.axes[0])
    assert labels == ["Dimension sla", "Dimension data", "Dimension content"]  # by |baseline|
    assert {"Narrowed, still open", "Closed", "New gap"} <= set(texts(fig))


def no_followup() -> pd.DataFrame:
    frame = pd.DataFrame(columns=GAP_CHANGE_COLUMNS)
    frame.attrs["followup"] = False
    return frame


@pytest.mark.parametrize(("frame", "message"), [
    (no_followup(), "The follow-up survey has not been imported yet."),
    (pd.DataFrame(columns=GAP_CHANGE_COLUMNS), "cannot both be shown"),
    (gap_rows().iloc[[1]], "there was no gap to close"),
])
def test_gap_change_chart_messages(frame: pd.DataFrame, message: str) -> None:
    assert any(message in w for w in texts(gap_change_chart(frame)))


def process(after: bool = True) -> pd.DataFrame:
    rows = []
    for item, text in (("process_1", "Everyone follows it."), ("process_4", "It is worth it.")):
        for group in ("overall", "sales", "marketing", "leadership"):
            rows.append({"item": item, "text": text, "group": group, "n_before": 20,
                         "n_after": 20, "mean_before": 3.0, "mean_after": 3.5,
                         "fav_before": 0.4, "fav_after": 0.65 if after else np.nan})
    return pd.DataFrame(rows)


def test_process_chart_draws_the_chosen_groups_in_both_waves() -> None:
    fig = process_chart(process())
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["All respondents", "Sales", "Marketing"]
    assert len(fig.axes[0].patches) == 4  # two statements x two waves
    assert {"40%", "65%"} <= set(texts(fig))
    baseline_only = process_chart(process(after=False))
    assert len(baseline_only.axes[0].patches) == 2
    assert any("no follow-up yet" in w for w in texts(baseline_only))


def test_process_chart_without_rows_is_a_message() -> None:
    assert "Too few people answered the process statements." in texts(
        process_chart(process().iloc[0:0]))
