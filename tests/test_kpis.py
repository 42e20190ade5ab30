"""KPIs against their target: status from the trend, words and table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignkit.track.kpis import kpi_findings, kpi_summary, kpi_table

SLA, MEETINGS, LEAKAGE = "first_touch_within_sla", "joint_meetings_held", "untouched_mql_share"


def observations(kpi: str, values: list[float], target: float | None) -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"kpi": kpi, "observed_on": days, "value": values,
                         "target": np.nan if target is None else target})


# status of a KPI from its monthly figures and target (worked out by hand)
SUMMARY_CASES = {
    "met, higher is better": (SLA, [0.5, 0.7, 0.92], 0.9, "met"),
    "met, lower is better": (LEAKAGE, [0.3, 0.2, 0.05], 0.05, "met"),
    "improving": (SLA, [0.5, 0.55, 0.6], 0.9, "improving"),  # trend covers 25% of 0.4
    "improving, lower is better": (LEAKAGE, [0.3, 0.25, 0.2], 0.05, "improving"),
    "stalled": (SLA, [0.5, 0.52, 0.5, 0.53], 0.9, "stalled"),
    "worsening": (MEETINGS, [3, 2, 1], 4, "worsening"),
    "a small rise far from target": (MEETINGS, [2, 2, 2, 2, 3], 10, "stalled"),  # 0.8 of 8.2
    "one observation": (SLA, [0.5], 0.9, "single"),
    "no target": (MEETINGS, [1, 2], None, "no_target"),
}


@pytest.mark.parametrize("case", sorted(SUMMARY_CASES))
def test_kpi_status(case: str) -> None:
    kpi, values, target, status = SUMMARY_CASES[case]
    row = kpi_summary(observations(kpi, values, target)).iloc[0]
    assert row["status"] == status
    assert (row["first"], row["latest"]) == (values[0], values[-1])


def test_summary_orders_headline_kpis_first_and_uses_the_latest_target() -> None:
    frame = pd.concat([observations("sql_win_rate", [0.2, 0.3], 0.25),
                       observations(MEETINGS, [1, 2], 4)])
    frame.loc[frame.index[-1], "target"] = 5
    summary = kpi_summary(frame)
    assert summary["kpi"].tolist() == [MEETINGS, "sql_win_rate"]
    assert summary.loc[0, "target"] == 5


def test_words_and_table() -> None:
    summary = kpi_summary(pd.concat([observations(SLA, [0.5, 0.7, 0.92], 0.9),
                                     observations(MEETINGS, [3, 2, 1], 4)]))
    text = kpi_findings(summary)
    assert "reached its target: 92% against 90%" in text
    assert "moved away from its target of 4 (3 → 1)" in text
    table = kpi_table(summary).data
    assert table.columns.tolist() == ["KPI", "Baseline", "Latest", "Target", "Status"]
    assert table.iloc[0].tolist()[1:] == ["50% (01 Jan 2026)", "92% (01 Mar 2026)", "90%",
                                          "target met"]
    assert kpi_findings(summary.iloc[0:0]) == "No KPI figures have been recorded yet."
    assert kpi_findings(summary.iloc[0:0], say_if_empty=False) == ""


def test_a_kpi_with_nothing_recorded_since_its_baseline_has_status_none() -> None:
    sla = observations(SLA, [0.5, 0.7], 0.9).assign(is_baseline=[True, False])
    meetings = observations(MEETINGS, [3], 4).assign(is_baseline=True)  # the baseline only
    records = pd.DataFrame({"id": [MEETINGS, SLA, LEAKAGE],
                            "label": ["Meetings", "SLA", "Leakage"], "target": [4, 0.9, 0.05]})
    summary = kpi_summary(pd.concat([sla, meetings]), records)
    assert summary["kpi"].tolist() == [MEETINGS, SLA, LEAKAGE]  # the records' order
    assert summary["status"].tolist() == ["none", "improving", "none"]
    assert summary.loc[0, "first"] == 3 and np.isnan(summary.loc[0, "latest"])
    assert np.isnan(summary.loc[2, "first"])  # not even a baseline
    text = kpi_findings(summary)
    assert "no figure recorded yet since the baseline of 3; the target is 4" in text
    assert "**Leakage**: no figure recorded yet; the target is" in text
    table = kpi_table(summary).data
    assert table.iloc[0].tolist()[1:] == ["3 (01 Jan 2026)", "\u2013", "4",
                                          "no figure recorded yet"]
