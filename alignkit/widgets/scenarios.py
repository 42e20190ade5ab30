"""The scenario explorer: sliders for the levers, a chart that follows them.

In JupyterLab an analyst moves a slider and the chart and summary redraw at
once against today's baseline. The chart is shown as an ``Image`` widget
holding a PNG, not through an ``Output`` widget: nothing is printed or
displayed from a callback, so a kernel running the notebook headless (papermill)
only opens the widgets' comms and never waits on output capture. Sliders
update when released (``continuous_update=False``), so dragging does not queue
a redraw for every pixel.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from alignkit.text.escaping import escape_html
from alignkit.text.money import DEFAULT_CURRENCY, format_money

__all__ = ["ScenarioExplorer", "scenario_explorer"]

_NOTE = ("Move a slider and the chart recomputes projected pipeline and revenue against today. "
         "In a saved report the controls show the settings the report was made with.")


@dataclass(frozen=True)
class _SliderSpec:
    name: str
    description: str
    low: float
    high: float
    step: float
    readout: str


def _specs(baseline: Baseline) -> list[_SliderSpec]:
    leads, deal = baseline.leads_per_month, baseline.deal_size
    return [
        _SliderSpec("leads_per_month", "Leads a month", round(leads * 0.5), round(leads * 2),
                    max(1.0, round(leads / 100)), ",.0f"),
        _SliderSpec("mql_to_sql", "MQL\u2192SQL", 0.01, 1.0, 0.005, ".1%"),
        _SliderSpec("sql_to_won", "SQL\u2192won", 0.01, 1.0, 0.005, ".1%"),
        _SliderSpec("fast_contact_share", "Reached in 1 hour", 0.0, 1.0, 0.05, ".0%"),
        _SliderSpec("deal_size", "Average deal", round(deal * 0.5), round(deal * 2),
                    max(1.0, round(deal / 100)), ",.0f"),
    ]


class ScenarioExplorer:
    """Five sliders (leads, MQL->SQL, SQL->won, speed to lead, deal size) and a chart.

    Parameters
    ----------
    baseline
        Today's funnel; the sliders start at its values.
    currency
        Prefix of amounts in the chart (e.g. ``"€"``).
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
                value=start[spec.name], min=min(spec.low, start[spec.name]),
                max=max(spec.high, start[spec.name]), step=spec.step,
                description=spec.description, readout_format=spec.readout,
                continuous_update=False, style={"description_width": "130px"},
                layout=widgets.Layout(width="460px"))
            for spec in _specs(baseline)
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
        change = comparison["revenue_change_pct"].iloc[-1]
        self.summary.value = (
            f"<p style='margin:8px 0'><b>Your scenario:</b> {self.projection.won:.1f} won deals "
            f"and {escape_html(format_money(self.projection.revenue, self.currency))} of revenue "
            "a month "
            f"(<b>{change:+.0%}</b> against today).</p>")
        return self.projection

    def reset(self) -> None:
        """Put every slider back to today's value (one redraw)."""
        with self._paused():
            for name, value in self._today().items():
                self.sliders[name].value = value
        self.update()

    def _today(self) -> dict[str, float]:
        b = self.baseline
        return {"leads_per_month": b.leads_per_month, "mql_to_sql": b.mql_to_sql,
                "sql_to_won": b.sql_to_won, "fast_contact_share": b.fast_contact_share,
                "deal_size": b.deal_size}

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

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def scenario_explorer(baseline: Baseline, *, currency: str = DEFAULT_CURRENCY) -> ScenarioExplorer:
    """Build the explorer for ``baseline``; display the result in a notebook cell."""
    return ScenarioExplorer(baseline, currency=currency)
