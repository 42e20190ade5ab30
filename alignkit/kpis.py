"""KPIs over time against their target: which reached it, which move, which stall.

The Execute stage tracks a few agreed figures (SLA compliance, joint meetings
held, hand-off leakage, MQL to SQL conversion …) month by month. The functions
here are pure: DataFrame in, DataFrame or text out. :func:`kpi_summary` reads
each KPI's trend against its latest target; :func:`kpi_findings` and
:func:`kpi_table` put it in words and in a table.

This is also the one module a notebook imports for KPIs, so it re-exports the
catalogue (:mod:`alignkit.kpi_definitions`) and the store and file import
(:mod:`alignkit.kpi_store`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.kpi_definitions import (
    HEADLINE_KPIS,
    KpiDefinition,
    format_kpi_value,
    kpi_catalogue,
    kpi_definition,
    kpi_id,
)
from alignkit.kpi_store import (
    KPI_COLUMNS,
    KpiImport,
    import_kpis,
    load_kpis,
    read_kpi_file,
    record_kpi,
)
from alignkit.tables import report_table

__all__ = [
    "HEADLINE_KPIS",
    "KPI_COLUMNS",
    "STATUS_WORDS",
    "SUMMARY_COLUMNS",
    "format_kpi_value",
    "import_kpis",
    "kpi_catalogue",
    "kpi_definition",
    "kpi_findings",
    "kpi_id",
    "kpi_summary",
    "kpi_table",
    "KpiDefinition",
    "KpiImport",
    "load_kpis",
    "read_kpi_file",
    "record_kpi",
]


# -- analysis -----------------------------------------------------------------------------
SUMMARY_COLUMNS = ["kpi", "label", "n", "first_on", "first", "latest_on", "latest", "target",
                   "change", "closed", "status"]
STATUS_WORDS = {"met": "target met", "improving": "improving", "stalled": "stalled",
                "worsening": "moving away from target", "single": "one observation so far",
                "no_target": "no target set"}


def _trend_share(obs: pd.DataFrame, target: float) -> float:
    """Share of the distance to target covered by the least-squares trend line.

    The line through all observations is read at the first and the latest
    day, so one unusually good or bad month does not decide the verdict.
    """
    days = (obs["observed_on"] - obs["observed_on"].iloc[0]).dt.days.to_numpy(float)
    values = obs["value"].to_numpy(float)
    slope, intercept = np.polyfit(days, values, 1)
    start, end = intercept, intercept + slope * days[-1]
    distance = target - start
    return float((end - start) / distance) if distance else 0.0


def _kpi_status(obs: pd.DataFrame, target: float, higher: bool) -> tuple[float, str]:
    """``met`` when the latest figure is at or beyond target; otherwise the trend decides.

    ``improving`` when the trend line covers at least a fifth of the distance
    from its start to the target and the latest figure is better than the
    first, ``worsening`` when both point a fifth the wrong way, else
    ``stalled``; ``single`` with one observation only.
    """
    latest = float(obs["value"].iloc[-1])
    if np.isnan(target):
        return np.nan, "no_target"
    if (latest >= target) if higher else (latest <= target):
        return 1.0, "met"
    if len(obs) < 2 or obs["observed_on"].nunique() < 2:
        return np.nan, "single"
    share = _trend_share(obs, target)
    better = (latest > obs["value"].iloc[0]) == higher and latest != obs["value"].iloc[0]
    worse = (latest < obs["value"].iloc[0]) == higher and latest != obs["value"].iloc[0]
    if share >= 0.2 and better:
        return share, "improving"
    return share, "worsening" if share <= -0.2 and worse else "stalled"


def kpi_summary(observations: pd.DataFrame) -> pd.DataFrame:
    """First and latest observation of each KPI against its (latest) target.

    Returns
    -------
    pandas.DataFrame
        One row per KPI (catalogue order, then custom KPIs by name):
        :data:`SUMMARY_COLUMNS`. ``closed`` is the share of the distance to
        the target covered by the trend line; ``status`` is ``met``,
        ``improving``, ``stalled``, ``worsening``, ``single`` or ``no_target``
        (see :func:`_kpi_status`).
    """
    rows = []
    for kpi, obs in observations.sort_values("observed_on").groupby("kpi", sort=False):
        first, latest = obs.iloc[0], obs.iloc[-1]
        targets = obs["target"].dropna()
        target = float(targets.iloc[-1]) if len(targets) else np.nan
        definition = kpi_definition(str(kpi))
        closed, status = _kpi_status(obs, target, definition.higher_is_better)
        rows.append((kpi, definition.label, len(obs), first["observed_on"], first["value"],
                     latest["observed_on"], latest["value"], target,
                     latest["value"] - first["value"], closed, status))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    order = {k: i for i, k in enumerate(kpi_catalogue())}
    out["order"] = out["kpi"].map(lambda k: order.get(k, len(order)))
    return out.sort_values(["order", "kpi"]).drop(columns="order").reset_index(drop=True)


def kpi_table(summary: pd.DataFrame) -> Styler:
    """Display table: KPI, first, latest, target and status, one row per KPI."""
    rows = [{"KPI": r.label,
             "First": f"{format_kpi_value(r.kpi, r.first)} ({r.first_on:%b %Y})",
             "Latest": f"{format_kpi_value(r.kpi, r.latest)} ({r.latest_on:%b %Y})",
             "Target": format_kpi_value(r.kpi, r.target),
             "Status": STATUS_WORDS[r.status]} for r in summary.itertuples()]
    return report_table(pd.DataFrame(rows, columns=["KPI", "First", "Latest", "Target",
                                                    "Status"]), "kpis")


def kpi_findings(summary: pd.DataFrame, *, say_if_empty: bool = True) -> str:
    """Bullet points on the KPIs: which reached target, which move, which stall.

    Without observations: one sentence, or nothing if ``say_if_empty`` is false
    (when a chart already says so).
    """
    if summary.empty:
        return "No KPI figures have been recorded yet." if say_if_empty else ""
    lines = []
    for r in summary.itertuples():
        latest, first = format_kpi_value(r.kpi, r.latest), format_kpi_value(r.kpi, r.first)
        target = format_kpi_value(r.kpi, r.target)
        lines.append({
            "met": f"- **{r.label}** reached its target: {latest} against {target} "
                   f"(from {first} in {r.first_on:%B %Y}).",
            "improving": f"- **{r.label}** is moving towards its target of {target} "
                         f"({first} → {latest}).",
            "stalled": f"- **{r.label}** has hardly moved ({first} → {latest}); the target is "
                       f"{target}.",
            "worsening": f"- **{r.label}** moved away from its target of {target} "
                         f"({first} → {latest}).",
            "single": f"- **{r.label}**: one observation so far ({latest}); the target is "
                      f"{target}.",
            "no_target": f"- **{r.label}**: {first} → {latest}; no target has been agreed.",
        }[r.status])
    return "\n".join(lines)
