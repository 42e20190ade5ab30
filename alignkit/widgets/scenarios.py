"""The scenario explorer: sliders for the levers, a chart that follows them.

In JupyterLab an analyst moves a slider and the chart and summary redraw at
once against today's baseline. The chart is shown as an ``Image`` widget
holding a PNG, not through an ``Output`` widget: nothing is printed or
displayed from a callback, so a kernel running the notebook headless (papermill)
only opens the widgets' comms and never waits on output capture. Sliders
update when released (``continuous_update=False``), so dragging does not queue
a redraw for every pixel.

A saved report has no kernel, so the explorer also displays as a
self-contained HTML version (:func:`alignkit.widgets.scenario_page.explorer_html`):
its ``_repr_mimebundle_`` carries ``text/html`` next to the widget view.
JupyterLab shows the widget; the report exporter shows the HTML version for
cells tagged ``scenario-widget`` (:func:`alignkit.widgets.offline.prefer_offline_html`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from alignkit.charts.plan import scenario_chart
from alignkit.plan.scenarios import (
    Baseline,
    Levers,
    Projection,
    compare_scenarios,
    levers_from_values,
    project,
)
from alignkit.text.money import DEFAULT_CURRENCY
from alignkit.widgets.scenario_page import (
    explorer_html,
    slider_specs,
    summary_figures,
    summary_html,
    today_values,
)

__all__ = ["ScenarioExplorer", "scenario_explorer"]

_NOTE = ("Move a slider and the chart recomputes projected pipeline and revenue against today; "
         "\u201cBack to today\u201d puts every slider back.")


class ScenarioExplorer:
    """Five sliders (leads, MQL->SQL, SQL->won, speed to lead, deal size) and a chart.

    Parameters
    ----------
    baseline
        Today's funnel; the sliders start at its values.
    currency
        ISO code of the engagement's currency (``"EUR"``), as
        :func:`alignkit.text.money.format_money` takes it.
    dpi
        Resolution of the chart image (the chart is 10 inches wide).

    Attributes
    ----------
    sliders
        The ``FloatSlider`` of each lever, by name.
    figure
        The chart currently shown (a new Figure after every change).
    projection
        The projection currently shown.
    widget
        The ``VBox`` to display.
    """

    def __init__(self, baseline: Baseline, *, currency: str = DEFAULT_CURRENCY, dpi: int = 100) -> None:
        self.baseline = baseline
        self.currency = currency
        self.dpi = dpi
        self._quiet = False
        start = self._today()
        self.sliders: dict[str, widgets.FloatSlider] = {
            spec.name: widgets.FloatSlider(
                value=start[spec.name], min=spec.low, max=spec.high, step=spec.step,
                description=spec.description, readout_format=spec.readout,
                continuous_update=False, style={"description_width": "130px"},
                layout=widgets.Layout(width="460px"))
            for spec in slider_specs(baseline)
        }
        # no icon: a saved report has no icon font, and a missing glyph shows as a box
        self.reset_button = widgets.Button(description="Back to today")
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.figure: Figure | None = None
        self.projection: Projection = project(baseline)
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.reset_button.on_click(lambda _button: self.reset())
        self.widget = widgets.VBox([
            widgets.HTML(f"<p style='color:#6B7378;margin:0 0 6px'>{_NOTE}</p>"),
            widgets.GridBox(list(self.sliders.values()) + [self.reset_button],
                            layout=widgets.Layout(grid_template_columns="repeat(2, 480px)")),
            self.summary, self.image,
        ])
        self.update()

    @property
    def levers(self) -> Levers:
        """The levers the sliders currently set, relative to the baseline."""
        return levers_from_values(self.baseline,
                                  **{name: s.value for name, s in self.sliders.items()})

    def update(self) -> Projection:
        """Recompute the projection and redraw the chart and the summary."""
        comparison = compare_scenarios(self.baseline, {"Your scenario": self.levers})
        self.projection = project(self.baseline, self.levers)
        self.figure = scenario_chart(comparison, currency=self.currency,
                                     title="Your scenario against today")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()
        self.summary.value = summary_html(summary_figures(self.baseline, self.levers,
                                                          self.currency))
        return self.projection

    def reset(self) -> None:
        """Put every slider back to today's value (one redraw)."""
        with self._paused():
            for name, value in self._today().items():
                self.sliders[name].value = value
        self.update()

    def _today(self) -> dict[str, float]:
        return today_values(self.baseline)

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.update()

    @contextmanager
    def _paused(self) -> Iterator[None]:
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def offline_html(self) -> str:
        """The explorer as a self-contained HTML piece that recomputes in a saved page."""
        return explorer_html(self.baseline, currency=self.currency)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view for JupyterLab, and the offline HTML version for saved reports."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.offline_html()
        return bundle


def scenario_explorer(baseline: Baseline, *, currency: str = DEFAULT_CURRENCY) -> ScenarioExplorer:
    """Build the explorer for ``baseline``; display the result in a notebook cell."""
    return ScenarioExplorer(baseline, currency=currency)
