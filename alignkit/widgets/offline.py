"""Which representation of a widget a saved report shows.

An ipywidgets view in a saved page can draw its controls but cannot run the
Python behind them. Outputs that also carry a self-contained ``text/html``
version (the scenario explorer does) are better shown as that version in a
report. :func:`prefer_offline_html` makes that choice for the cells tagged
``scenario-widget``; nothing else in the notebook changes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OFFLINE_TAG", "WIDGET_VIEW", "prefer_offline_html"]

#: Tag of the notebook cells whose widget output has an offline HTML version.
OFFLINE_TAG = "scenario-widget"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _outputs(notebook: Any) -> list[Any]:
    return [output for cell in notebook.cells if cell.get("cell_type") == "code"
            for output in cell.get("outputs", [])]


def prefer_offline_html(notebook: Any, tag: str = OFFLINE_TAG) -> int:
    """Drop the widget view from tagged cells' outputs that have ``text/html``; in place.

    When no widget view is left anywhere in the notebook, its saved widget
    state goes too, so the page does not carry the widget library for
    nothing. Returns how many outputs now show their HTML version.
    """
    switched = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code" or tag not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]
                switched += 1
    if switched and not any(WIDGET_VIEW in o.get("data", {}) for o in _outputs(notebook)):
        notebook.metadata.pop("widgets", None)
    return switched
