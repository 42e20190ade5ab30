"""What each KPI is: its playbook id, the names a reader knows it by, its unit and good direction.

The KPIs themselves are data in the playbook (:func:`alignkit.catalog.playbook.load_playbook`);
this module puts the four headline KPIs of the Execute report first, resolves
the names people type, shows values in their unit and checks that a figure
fits the unit (a share is a fraction between 0 and 1).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignkit.catalog.playbook import load_playbook

__all__ = [
    "HEADLINE_KPIS",
    "KpiDefinition",
    "check_kpi_value",
    "format_kpi_value",
    "kpi_catalogue",
    "kpi_definition",
    "kpi_id",
]


@dataclass(frozen=True)
class KpiDefinition:
    """What a KPI measures and which way is good (from the playbook).

    ``unit`` is ``"share"`` (a fraction 0–1, shown as %) or ``"count"``.
    """

    id: str
    label: str
    unit: str
    higher_is_better: bool


#: The four KPIs every Execute report leads with, and the short names a reader knows them by.
HEADLINE_KPIS: dict[str, str] = {
    "first_touch_within_sla": "SLA compliance: MQLs contacted in time",
    "joint_meetings_held": "Joint pipeline meetings per month",
    "untouched_mql_share": "Hand-off leakage: MQLs never contacted",
    "mql_to_sql_rate": "MQL \u2192 SQL conversion",
}
_ALIASES = {"sla_compliance": "first_touch_within_sla", "sla": "first_touch_within_sla",
            "meetings_held": "joint_meetings_held", "meetings": "joint_meetings_held",
            "handoff_leakage": "untouched_mql_share", "hand_off_leakage": "untouched_mql_share",
            "leakage": "untouched_mql_share", "mql_to_sql": "mql_to_sql_rate",
            "mql_sql": "mql_to_sql_rate", "win_rate": "sql_win_rate"}
_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    text = str(text).replace("\u2192", " to ").replace("->", " to ").strip().lower()
    return _SLUG.sub("_", text).strip("_")


def kpi_catalogue() -> dict[str, KpiDefinition]:
    """Every KPI the playbook defines, the four headline KPIs first."""
    book = load_playbook()
    found = {k.id: KpiDefinition(k.id, HEADLINE_KPIS.get(k.id, k.name),
                                 "share" if k.unit == "percent" else "count",
                                 k.better == "higher") for k in book.kpis}
    first = [k for k in HEADLINE_KPIS if k in found]
    return {k: found[k] for k in [*first, *(k for k in found if k not in first)]}


def kpi_id(name: str) -> str:
    """The playbook id of a KPI given by id, playbook name, short name or alias.

    Raises
    ------
    ValueError
        For a name the playbook does not know (with the closest matches).

    Examples
    --------
    >>> kpi_id("SLA compliance"), kpi_id("MQL → SQL conversion"), kpi_id("hand-off leakage")
    ('first_touch_within_sla', 'mql_to_sql_rate', 'untouched_mql_share')
    """
    catalogue = kpi_catalogue()
    slug = _slug(name)
    names = {_slug(k.label): k.id for k in catalogue.values()}
    names |= {_slug(k.name): k.id for k in load_playbook().kpis}
    found = slug if slug in catalogue else names.get(slug) or _ALIASES.get(slug)
    if found:
        return found
    close = difflib.get_close_matches(slug, list(catalogue) + list(_ALIASES), n=2)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ValueError(f"{name!r} is not a KPI of the playbook; {hint}see `alignkit kpi catalogue`")


def kpi_definition(kpi: str) -> KpiDefinition:
    """The catalogue entry of a KPI id (a neutral entry for an id the playbook lost)."""
    return kpi_catalogue().get(kpi) or KpiDefinition(kpi, kpi.replace("_", " ").capitalize(),
                                                     "count", True)


def format_kpi_value(kpi: str, value: float | None) -> str:
    """A value as a reader expects it: ``82%`` or ``4``; ``–`` when missing."""
    if value is None or pd.isna(value):
        return "\u2013"
    if kpi_definition(kpi).unit == "share":
        return f"{value:.0%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def check_kpi_value(kpi: str, value: float, what: str) -> float:
    """``value`` as a float if it fits the KPI's unit.

    Parameters
    ----------
    kpi
        A playbook KPI id (see :func:`kpi_id`).
    value
        The figure; a share as a fraction (0.82 for 82 %).
    what
        ``"value"`` or ``"target"``, for the message.

    Raises
    ------
    ValueError
        If the figure is not finite, a share outside 0–1, or negative (the
        caller turns it into an error naming the file, row or command).
    """
    if not np.isfinite(value):
        raise ValueError(f"the {what} must be a number")
    unit = kpi_definition(kpi).unit
    if unit == "share" and not 0 <= value <= 1:
        raise ValueError(f"{kpi} is a share: give the {what} as a fraction between 0 and 1 "
                         f"(0.82 for 82%), not {value:g}")
    if value < 0:
        raise ValueError(f"the {what} of {kpi} cannot be negative ({value:g})")
    return float(value)
