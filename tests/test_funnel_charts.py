"""Funnel charts: real Figures in the house style, nothing drawn when there is nothing to show."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from alignkit.analysis.funnel import analyse_funnel, first_touch_delays
from alignkit.charts.funnel import (
    LEAK,
    sourced_pipeline_chart,
    speed_to_lead_chart,
    waterfall_chart,
)
from alignkit.charts.identify import TEAM_COLOURS
from alignkit.intake.crm import import_funnel
from alignkit.store.funnel import load_funnel_counts, load_leads
from alignkit.store.workspace import Workspace

CRM = Path(__file__).parent / "data" / "crm"


@pytest.fixture(scope="module")
def funnel(tmp_path_factory: pytest.TempPathFactory):
    ws = Workspace(tmp_path_factory.mktemp("charts") / "ws")
    ws.add_company("acme")
    import_funnel(CRM / "leads_small.csv", company="acme", workspace=ws)
    return analyse_funnel(load_leads(ws, "acme"), sla_hours=24)


@pytest.fixture(scope="module")
def counts_only(tmp_path_factory: pytest.TempPathFactory):
    ws = Workspace(tmp_path_factory.mktemp("counts") / "ws")
    ws.add_company("acme")
    import_funnel(CRM / "counts_long.csv", company="acme", workspace=ws, period="2024-Q1")
    return analyse_funnel(load_leads(ws, "acme"), load_funnel_counts(ws, "acme"))


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def bar_colours(fig: Figure) -> set[str]:
    return {to_hex(p.get_facecolor()) for ax in fig.axes for p in ax.patches}


def assert_house_style(fig: Figure, title: str) -> None:
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == 10
    heading = fig.texts[0]
    assert heading.get_text() == title and heading.get_fontweight() == "bold"
    assert heading.get_horizontalalignment() == "left"
    assert fig.texts[1].get_text()  # the grey "how to read it" line
    for ax in fig.axes:
        if ax.axison:
            assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


def test_waterfall_shows_counts_conversion_and_the_leak(funnel) -> None:
    fig = waterfall_chart(funnel.waterfall, funnel.leakage)
    assert_house_style(fig, "How leads move through the funnel")
    words = texts(fig)
    for expected in ("12", "9", "6", "5", "3", "75% of previous", "60% of previous"):
        assert expected in words
    # The leak counts marketing-sourced MQLs (6 of the 7), the basis of the hand-off KPIs.
    assert any("3 (50%) never accepted by sales" in w for w in words)
    assert any("2 (33%) never touched by sales" in w for w in words)
    colours = bar_colours(fig)
    assert {TEAM_COLOURS["marketing"].lower(), TEAM_COLOURS["sales"].lower(), LEAK.lower()} <= colours


def test_waterfall_from_counts_has_one_colour_and_names_untracked_stages(counts_only) -> None:
    fig = waterfall_chart(counts_only.waterfall, counts_only.leakage)
    words = texts(fig)
    assert "All leads" in words and "Marketing-sourced" not in words
    assert any("not tracked" in w for w in words)
    assert LEAK.lower() not in bar_colours(fig)
    assert "by who sourced them" not in fig.texts[1].get_text()


def test_speed_chart_has_reference_lines_and_shares(funnel) -> None:
    fig = speed_to_lead_chart(funnel.delays, sla_hours=24)
    assert_house_style(fig, "How fast sales follows up")
    words = texts(fig)
    assert "1 hour" in words and "SLA 24 h" in words
    # marketing: 2 of 6 within an hour, 3 of 6 within 24 h; sales: 2 of 3 and 3 of 3
    for share in ("33%", "50%", "67%", "100%"):
        assert share in words
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Marketing-sourced leads (n=6)", "Sales-sourced leads (n=3)"]


def test_sourced_pipeline_chart(funnel) -> None:
    fig = sourced_pipeline_chart(funnel.sourced)
    assert_house_style(fig, "Marketing- and sales-sourced pipeline")
    words = texts(fig)
    assert "50% of 2 closed" in words and "100% of 1 closed" in words
    assert "15 k pipeline \u00b7 10 k won" in words
    assert any(w.startswith("Marketing-sourced\n8 leads") for w in words)


@pytest.mark.parametrize("draw", [
    lambda f: waterfall_chart(f.waterfall, f.leakage),
    lambda f: speed_to_lead_chart(f.delays),
    lambda f: sourced_pipeline_chart(f.sourced),
])
def test_nothing_to_draw_gives_none(tmp_path: Path, draw) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.add_company("acme")
    empty = analyse_funnel(load_leads(ws, "acme"), load_funnel_counts(ws, "acme"))
    assert empty.basis == "none"
    assert draw(empty) is None


def test_counts_only_has_no_lead_level_charts(counts_only) -> None:
    assert speed_to_lead_chart(counts_only.delays) is None
    assert sourced_pipeline_chart(counts_only.sourced) is None


def test_speed_chart_without_any_touch_is_not_drawn(funnel) -> None:
    untouched = funnel.delays.assign(hours=float("nan"))
    assert speed_to_lead_chart(untouched) is None
    assert speed_to_lead_chart(first_touch_delays(pd.DataFrame())) is None


def test_builders_leave_no_pyplot_state(funnel) -> None:
    plt.close("all")
    waterfall_chart(funnel.waterfall, funnel.leakage)
    speed_to_lead_chart(funnel.delays)
    sourced_pipeline_chart(funnel.sourced)
    assert plt.get_fignums() == []
