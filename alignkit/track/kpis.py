"""KPIs over time against their target: which reached it, which move, which stall.

The Execute stage tracks a few agreed figures (SLA compliance, joint meetings
held, hand-off leakage, MQL to SQL conversion …) month by month. The functions
here are pure: DataFrame in, DataFrame or text out. :func:`kpi_summary` reads
each KPI's trend against its latest target; :func:`kpi_findings` and
:func:`kpi_table` put it in words and in a table.

This is also the one module a notebook imports for KPIs, so it re-exports the
catalogue (:mod:`alignkit.catalog.kpis`) and the store and file import
(:mod:`alignkit.store.kpis`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.catalog.kpis import (
    HEADLINE_KPIS,
    KpiDefinition,
    format_kpi_value,
    kpi_catalogue,
    kpi_definition,
    kpi_id,
)
from alignkit.intake.kpis import KpiImport, import_kpis, read_kpi_file
from alignkit.store.kpis import KPI_COLUMNS, load_kpis, record_kpi
from alignkit.text.escaping import escape_markdown
from alignkit.text.tables import report_table

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
                "no_target": "no target set", "none": "no figure recorded yet"}


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


def kpi_summary(observations: pd.DataFrame, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """First and latest observation of each KPI against its (latest) target.

    Parameters
    ----------
    observations
        ``kpi, observed_on, value, target``; for a report, the series of
        :func:`alignkit.analysis.metrics.tracked_series`, whose first point is the baseline.
    records
        :func:`alignkit.analysis.metrics.kpi_records`: when given, the rows follow their
        order and a tracked KPI without any figure gets a row of its own
        (status ``none``), so every agreed KPI is listed.

    Returns
    -------
    pandas.DataFrame
        One row per KPI (catalogue order, then custom KPIs by name, unless
        ``records`` sets the order): :data:`SUMMARY_COLUMNS`. ``closed`` is the
        share of the distance to the target covered by the trend line;
        ``status`` is ``met``, ``improving``, ``stalled``, ``worsening``,
        ``single``, ``no_target`` or ``none`` (see :func:`_kpi_status`).
    """
    rows = []
    for kpi, obs in observations.sort_values("observed_on").groupby("kpi", sort=False):
        first, latest = obs.iloc[0], obs.iloc[-1]
        targets = obs["target"].dropna()
        target = float(targets.iloc[-1]) if len(targets) else np.nan
        definition = kpi_definition(str(kpi))
        closed, status = _kpi_status(obs, target, definition.higher_is_better)
        recorded = int((~obs["is_baseline"].astype(bool)).sum()) if "is_baseline" in obs else len(obs)
        if not recorded:  # only the baseline: nothing measured since
            rows.append((kpi, definition.label, len(obs), first["observed_on"], first["value"],
                         pd.NaT, np.nan, target, np.nan, np.nan, "none"))
            continue
        rows.append((kpi, definition.label, len(obs), first["observed_on"], first["value"],
                     latest["observed_on"], latest["value"], target,
                     latest["value"] - first["value"], closed, status))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    if records is not None:
        seen = set(out["kpi"])
        empty = [(r.id, r.label, 0, pd.NaT, np.nan, pd.NaT, np.nan, r.target, np.nan, np.nan,
                  "none") for r in records.itertuples(index=False) if r.id not in seen]
        if empty:
            out = pd.concat([out, pd.DataFrame(empty, columns=SUMMARY_COLUMNS)],
                            ignore_index=True) if len(out) else pd.DataFrame(
                empty, columns=SUMMARY_COLUMNS)
        order = {k: i for i, k in enumerate(records["id"])}
    else:
        order = {k: i for i, k in enumerate(kpi_catalogue())}
    out["order"] = out["kpi"].map(lambda k: order.get(k, len(order)))
    return out.sort_values(["order", "kpi"]).drop(columns="order").reset_index(drop=True)


def kpi_table(summary: pd.DataFrame) -> Styler:
    """Display table: KPI, baseline, latest, target and status, one row per KPI.

    The baseline is the summary's first figure (the series starts at the
    baseline); a KPI with nothing recorded after it shows no latest figure.
    """
    def when(kpi: str, value: float, stamp: object) -> str:
        text = format_kpi_value(kpi, value)
        return text if pd.isna(stamp) or pd.isna(value) else f"{text} ({stamp:%d %b %Y})"

    rows = [{"KPI": r.label, "Baseline": when(r.kpi, r.first, r.first_on),
             "Latest": when(r.kpi, r.latest, r.latest_on),
             "Target": format_kpi_value(r.kpi, r.target),
             "Status": STATUS_WORDS[r.status]} for r in summary.itertuples()]
    return report_table(pd.DataFrame(rows, columns=["KPI", "Baseline", "Latest", "Target",
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
        label = escape_markdown(r.label)
        latest, first = format_kpi_value(r.kpi, r.latest), format_kpi_value(r.kpi, r.first)
        target = format_kpi_value(r.kpi, r.target)
        began = "" if pd.isna(r.first_on) else f"{r.first_on:%B %Y}"  # NaT: nothing recorded
        lines.append({
            "met": f"- **{label}** reached its target: {latest} against {target} "
                   f"(from {first} in {began}).",
            "improving": f"- **{label}** is moving towards its target of {target} "
                         f"({first} → {latest}).",
            "stalled": f"- **{label}** has hardly moved ({first} → {latest}); the target is "
                       f"{target}.",
            "worsening": f"- **{label}** moved away from its target of {target} "
                         f"({first} → {latest}).",
            "single": f"- **{label}**: one observation so far ({latest}); the target is "
                      f"{target}.",
            "no_target": f"- **{label}**: {first} → {latest}; no target has been agreed.",
            "none": f"- **{label}**: no figure recorded yet"
                    + (f" since the baseline of {first}" if pd.notna(r.first) else "")
                    + f"; the target is {target}.",
        }[r.status])
    return "\n".join(lines)
