"""Charts of the Execute stage: contracts, what is drawn, and empty inputs."""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alignkit.charts.execute import STATUS_COLOURS, burn_up_chart, kpi_trends
from alignkit.track.kpis import kpi_summary

AS_OF = date(2026, 6, 24)


def series() -> pd.DataFrame:
    days = pd.to_datetime(["2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22", "2026-06-24",
                           "2026-06-29"])
    return pd.DataFrame({"date": days, "scope": [3, 3, 3, 2, 2, 2], "due": [0, 0, 1, 1, 1, 2],
                         "done": [0, 0, 1, 1, 1, np.nan], "in_progress": [1, 2, 1, 1, 1, np.nan]})


def observations() -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=4, freq="MS")
    return pd.concat([
        pd.DataFrame({"kpi": "first_touch_within_sla", "observed_on": days,
                      "value": [0.5, 0.6, 0.7, 0.92], "target": 0.9}),
        pd.DataFrame({"kpi": "joint_meetings_held", "observed_on": days,
                      "value": [3.0, 2, 2, 1], "target": 4.0}),
        pd.DataFrame({"kpi": "untouched_mql_share", "observed_on": days,
                      "value": [0.3, 0.29, 0.31, 0.3], "target": 0.05}),
    ], ignore_index=True)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
            if hasattr(t, "get_text") and t.get_text()]


def test_burn_up_is_a_pyplot_free_ten_inch_figure() -> None:
    before = plt.get_fignums()
    fig = burn_up_chart(series(), as_of=AS_OF)
    assert isinstance(fig, Figure) and fig.get_figwidth() == 10
    assert plt.get_fignums() == before
    words = texts(fig)
    assert "Action plan burn-up" in words
    assert any("1 of 2 actions done, 1 due by then" in w for w in words)
    assert "24 Jun 2026" in words
    assert {"Done", "In progress", "Due by each date"} <= set(words)


def test_burn_up_draws_nothing_after_the_report_day() -> None:
    ax = burn_up_chart(series(), as_of=AS_OF).axes[0]
    done_area = ax.collections[0]
    xmax = max(path.vertices[:, 0].max() for path in done_area.get_paths())
    assert xmax <= plt.matplotlib.dates.date2num(pd.Timestamp(AS_OF))


@pytest.mark.parametrize("frame", [series().iloc[0:0], series().assign(scope=0)])
def test_burn_up_without_actions_is_a_message(frame: pd.DataFrame) -> None:
    fig = burn_up_chart(frame, as_of=AS_OF)
    assert "No actions have been recorded yet." in texts(fig)
    assert fig.get_figheight() < 3


def test_kpi_trends_one_panel_per_kpi_with_status_and_target() -> None:
    obs = observations()
    summary = kpi_summary(obs)
    fig = kpi_trends(obs, summary)
    assert fig.get_figwidth() == 10
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == summary["label"].tolist()
    words = texts(fig)
    assert {"target met", "moving away from target", "stalled"} <= set(words)
    assert {"target 90%", "target 4", "target 5%"} <= set(words)
    assert {"92%", "1", "30%"} <= set(words)  # the latest figure beside each line
    met = panels[0].lines[0]
    assert met.get_color() == STATUS_COLOURS["met"]
    assert panels[1].get_ylim()[0] == 0  # counts start at zero
    assert panels[0].get_ylim()[1] <= 1  # a share never above 100%


def test_a_kpi_with_nothing_measured_since_its_baseline_gets_a_panel_that_says_so() -> None:
    obs = observations().assign(is_baseline=False)
    baseline_only = pd.DataFrame({"kpi": "dashboard_weekly_users",
                                  "observed_on": pd.to_datetime(["2026-02-01"]), "value": [0.25],
                                  "target": [0.75], "is_baseline": [True]})
    obs = pd.concat([obs, baseline_only], ignore_index=True)
    summary = kpi_summary(obs)
    assert summary.set_index("kpi").loc["dashboard_weekly_users", "status"] == "none"
    fig = kpi_trends(obs, summary)
    panel = next(ax for ax in fig.axes
                 if ax.get_title(loc="left").replace("\n", " ") == summary["label"].iloc[-1])
    assert not panel.lines  # no line drawn from a lone baseline
    assert "Nothing measured since the baseline of 25%\ntarget 75%" in texts(fig)
    assert "no figure recorded yet" in texts(fig)


def test_kpi_trends_without_observations_is_a_message() -> None:
    obs = observations().iloc[0:0]
    fig = kpi_trends(obs, kpi_summary(obs))
    assert "No KPI observations have been recorded yet." in texts(fig)
