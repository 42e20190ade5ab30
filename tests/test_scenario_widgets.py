"""The scenario explorer: moving a slider recomputes the projection and redraws the chart.

No browser and no kernel: widget values are set from Python, which runs the
same callbacks a slider runs in JupyterLab.
"""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from matplotlib.patches import Rectangle

from alignkit.plan.scenarios import Baseline, Levers, project
from alignkit.widgets.scenarios import ScenarioExplorer, scenario_explorer

TODAY = Baseline(leads_per_month=400, lead_to_mql=0.25, mql_to_sql=0.4, sql_to_won=0.15,
                 deal_size=20_000, fast_contact_share=0.2)


def revenue_bars(explorer: ScenarioExplorer) -> list[float]:
    """Widths of the won-revenue bars in the chart shown: [today, your scenario]."""
    ax = explorer.figure.axes[1]
    return [p.get_width() for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]


@pytest.fixture
def explorer() -> ScenarioExplorer:
    return scenario_explorer(TODAY, currency="€")


def test_sliders_start_at_today(explorer: ScenarioExplorer) -> None:
    values = {name: s.value for name, s in explorer.sliders.items()}
    assert values == pytest.approx({"leads_per_month": 400, "mql_to_sql": 0.4, "sql_to_won": 0.15,
                                    "fast_contact_share": 0.2, "deal_size": 20_000})
    assert explorer.levers == Levers()
    assert revenue_bars(explorer) == pytest.approx([120_000, 120_000])
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


@pytest.mark.parametrize(("slider", "value", "factor"), [
    ("leads_per_month", 500, 1.25),
    ("mql_to_sql", 0.5, 1.25),
    ("sql_to_won", 0.3, 2.0),
    ("deal_size", 30_000, 1.5),
    ("fast_contact_share", 0.6, 1.3 / 1.1),
])
def test_moving_a_slider_recomputes_and_redraws(explorer: ScenarioExplorer, slider: str,
                                                value: float, factor: float) -> None:
    before_image, before_figure = bytes(explorer.image.value), explorer.figure
    explorer.sliders[slider].value = value
    assert explorer.projection.revenue == pytest.approx(120_000 * factor)
    assert explorer.figure is not before_figure
    assert revenue_bars(explorer) == pytest.approx([120_000, 120_000 * factor])
    assert bytes(explorer.image.value) != before_image
    assert f"{factor - 1:+.0%}" in explorer.summary.value


def test_two_sliders_combine(explorer: ScenarioExplorer) -> None:
    explorer.sliders["leads_per_month"].value = 440
    explorer.sliders["deal_size"].value = 22_000
    expected = project(TODAY, Levers(lead_volume=0.1, deal_size=0.1)).revenue
    assert explorer.projection.revenue == pytest.approx(expected)


def test_reset_goes_back_to_today_with_one_redraw(explorer: ScenarioExplorer) -> None:
    explorer.sliders["mql_to_sql"].value = 0.6
    redraws = []
    original = explorer.update
    explorer.update = lambda: redraws.append(1) or original()  # count redraws
    explorer.reset_button.click()
    assert len(redraws) == 1
    assert explorer.projection.revenue == pytest.approx(120_000)
    assert explorer.sliders["mql_to_sql"].value == pytest.approx(0.4)


def test_nothing_can_stall_a_headless_kernel(explorer: ScenarioExplorer) -> None:
    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    found = list(walk(explorer.widget))
    assert not any(isinstance(w, widgets.Output) for w in found)  # no output capture
    assert all(not s.continuous_update for s in explorer.sliders.values())


def test_the_explorer_displays_as_its_widget(explorer: ScenarioExplorer) -> None:
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id


def test_a_baseline_outside_the_slider_range_still_fits() -> None:
    odd = Baseline(leads_per_month=3, lead_to_mql=1.0, mql_to_sql=1.0, sql_to_won=1.0,
                   deal_size=1, fast_contact_share=1.0)
    explorer = scenario_explorer(odd)
    for name, slider in explorer.sliders.items():
        assert slider.min <= slider.value <= slider.max, name
    assert explorer.projection.revenue == pytest.approx(3)


def test_the_explorer_also_carries_its_offline_html_version(explorer: ScenarioExplorer) -> None:
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data  # JupyterLab keeps the widget
    html = data["text/html"]
    assert html.startswith("<div class='ak-scn' id='ak-scn-") and "<script>" in html
    assert html.count("type='range'") == len(explorer.sliders)
    # the widget and the saved page open on the same summary sentence
    assert explorer.summary.value in html


def test_the_summary_follows_the_shared_formats(explorer: ScenarioExplorer) -> None:
    explorer.sliders["leads_per_month"].value = 500
    assert "<span data-ak='won'>7.5</span> won deals" in explorer.summary.value
    assert "<b data-ak='change'>+25%</b>" in explorer.summary.value
