"""One metrics layer: every KPI has one definition and one computation.

The same figure appears in the Identify, Plan, Execute and Recap reports, the
workbook and ``alignkit summary``; all of them take it from here.

**The population.** Hand-off KPIs are measured on marketing-sourced leads that
became marketing qualified (MQLs): those are the leads the service level
agreement is about. A lead counts as having reached a stage when it has that
stage's date or a later one (as :func:`alignkit.analysis.funnel.reached_stages` reads it).

==========================  =========================================================
KPI                         computed from the stored CRM leads as
==========================  =========================================================
``mql_acceptance_rate``     MQLs that reached SAL or later / MQLs
``mql_to_sql_rate``         MQLs that reached SQL or later / MQLs
``sql_win_rate``            MQLs won / MQLs that reached SQL
``untouched_mql_share``     MQLs with no first sales touch / MQLs
``first_touch_within_sla``  MQLs first touched within the SLA hours / MQLs
``mqls_delivered``          MQLs / months the export covers
==========================  =========================================================

**Baseline, target, latest** (:func:`kpi_records`): the baseline is the CRM
measure where the export allows it, else the baseline stored with the plan,
else the first recorded figure; the target is the one the plan agreed (for the
SLA's two sides: the MQLs a month the agreement needs, and the stored SLA
terms), else the playbook's; the latest is the last figure recorded on or
before the report date.

**What Execute and Recap track** (:func:`tracked_kpis`): exactly the KPIs the
agreed plan names, plus both sides of the SLA: marketing's MQLs a month against
its commitment, and sales' first contact within the agreed hours and its
follow-up attempts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from alignkit.catalog.kpis import kpi_definition
from alignkit.catalog.playbook import Playbook, load_playbook

__all__ = [
    "KPI_RECORD_COLUMNS",
    "SLA_KPIS",
    "FunnelMeasures",
    "kpi_records",
    "measure_funnel",
    "plan_start",
    "tracked_kpis",
    "tracked_series",
]

#: The two sides of the service level agreement, as tracked KPIs.
SLA_KPIS = {"mqls_delivered": "marketing", "first_touch_within_sla": "sales",
            "follow_up_attempts": "sales"}
#: Columns of :func:`kpi_records`.
KPI_RECORD_COLUMNS = ["id", "label", "unit", "higher_is_better", "side", "baseline",
                      "baseline_from", "target", "latest", "latest_on"]
_DAYS_PER_MONTH = 365.25 / 12
_SERIES_COLUMNS = ["kpi", "observed_on", "value", "target", "is_baseline"]
_STAGES = ("mql", "sal", "sql", "opportunity", "won")


@dataclass(frozen=True)
class FunnelMeasures:
    """What the stored CRM leads say, by the definitions of this module.

    ``counts`` holds the MQLs that reached each stage (``mql`` … ``won``) and
    ``leads`` the marketing-sourced leads; ``kpis`` the measurable KPIs;
    ``rates`` the conversion of each funnel step that at least ``min_entered``
    leads entered (``lead_to_mql``, ``mql_to_sal``, ``sal_to_sql``,
    ``sql_to_opportunity``, ``opportunity_to_won``).
    """

    months: float | None = None
    leads: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    kpis: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None

    @property
    def has_data(self) -> bool:
        """True when the store holds lead-level CRM data."""
        return self.months is not None


def _times(leads: pd.DataFrame, column: str) -> pd.Series:
    if column not in leads:
        return pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(leads[column], errors="coerce", utc=True, format="mixed")


def _reached(leads: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per stage from MQL on: reached it or a later one."""
    won = leads["outcome"].astype(str).eq("won") if "outcome" in leads else pd.Series(
        False, index=leads.index)
    later = won.to_numpy(bool)
    out = {"won": later}
    for stage in ("opportunity", "sql", "sal", "mql"):
        later = later | _times(leads, f"{stage}_at").notna().to_numpy()
        out[stage] = later
    return pd.DataFrame(out, index=leads.index)[list(_STAGES)]


def measure_funnel(leads: pd.DataFrame | None, *, sla_hours: float = 24,
                   min_entered: int = 20) -> FunnelMeasures:
    """Measure the hand-off KPIs and funnel rates of a leads frame (one row per lead).

    Parameters
    ----------
    leads
        As :func:`alignkit.store.funnel.load_leads` returns them; ``None`` or
        empty gives empty measures.
    sla_hours
        The agreed hours from MQL to first sales touch.
    min_entered
        A rate measured on fewer leads is left out of ``rates`` (the plan then
        keeps its planning assumption); KPIs need at least one MQL.
    """
    if leads is None or leads.empty or "mql_at" not in leads:
        return FunnelMeasures()
    created = _times(leads, "created_at")
    span = (created.max() - created.min()).days if created.notna().any() else 0
    months = max(1.0, span / _DAYS_PER_MONTH)
    source = leads["source"].astype(str) if "source" in leads else pd.Series(
        "marketing", index=leads.index)
    marketing = leads[source.eq("marketing").to_numpy()]
    mql_at = _times(marketing, "mql_at")
    mqls = marketing[mql_at.notna().to_numpy()]
    reached = _reached(mqls)
    counts = {s: int(reached[s].sum()) for s in _STAGES}
    kpis: dict[str, float] = {}
    n = counts["mql"]
    if n:
        kpis["mql_acceptance_rate"] = counts["sal"] / n
        kpis["mql_to_sql_rate"] = counts["sql"] / n
        kpis["mqls_delivered"] = n / months
        touched = _times(mqls, "first_touch_at")
        if touched.notna().any():
            hours = (touched - _times(mqls, "mql_at")).dt.total_seconds() / 3600
            kpis["untouched_mql_share"] = float(touched.isna().mean())
            kpis["first_touch_within_sla"] = float((hours <= sla_hours).mean())
    if counts["sql"]:
        kpis["sql_win_rate"] = counts["won"] / counts["sql"]
    steps = {"lead_to_mql": (len(marketing), n), "mql_to_sal": (n, counts["sal"]),
             "sal_to_sql": (counts["sal"], counts["sql"]),
             "sql_to_opportunity": (counts["sql"], counts["opportunity"]),
             "opportunity_to_won": (counts["opportunity"], counts["won"])}
    rates = {name: b / a for name, (a, b) in steps.items() if a >= min_entered and b > 0}
    return FunnelMeasures(months=months, leads=len(marketing), counts=counts,
                          kpis={k: float(v) for k, v in kpis.items()}, rates=rates,
                          first=created.min(), last=created.max())


def plan_start(actions: pd.DataFrame, playbook: Playbook | None = None) -> date | None:
    """The day a stored plan started: its earliest due date less that tactic's weeks to impact."""
    if actions is None or actions.empty:
        return None
    book = playbook or load_playbook()
    weeks = {t.id: t.weeks_to_impact for t in book.tactics}
    starts = [due.date() - timedelta(weeks=weeks.get(t, 6))
              for t, due in zip(actions["tactic"], actions["due"], strict=True) if pd.notna(due)]
    return min(starts) if starts else None


def tracked_kpis(actions: pd.DataFrame) -> list[str]:
    """The KPIs Execute and Recap track: the plan's (in action order), then the SLA's sides."""
    named = [str(k) for k in actions.sort_values("id")["kpi"].dropna()] if len(actions) else []
    return list(dict.fromkeys([*named, *SLA_KPIS]))


def _plan_figure(actions: pd.DataFrame, kpi: str, column: str) -> float:
    if actions is None or actions.empty:
        return np.nan
    values = actions.sort_values("id").loc[actions["kpi"] == kpi, column].dropna()
    return float(values.iloc[0]) if len(values) else np.nan


def kpi_records(actions: pd.DataFrame, observations: pd.DataFrame, *,
                funnel_kpis: dict[str, float], sla_targets: dict[str, float],
                as_of: date, baseline_on: date | None = None,
                playbook: Playbook | None = None) -> pd.DataFrame:
    """Baseline, target and latest figure of every tracked KPI (see the module notes).

    Parameters
    ----------
    actions
        The plan (stored, or a draft): ``id, kpi, baseline, target``.
    observations
        Recorded KPI figures: ``kpi, observed_on, value, target``.
    funnel_kpis
        :attr:`FunnelMeasures.kpis`.
    sla_targets
        Targets the SLA sets: ``mqls_delivered`` (MQLs a month),
        ``first_touch_within_sla`` and ``follow_up_attempts`` where agreed.
    as_of
        Figures recorded after this day are left out.
    baseline_on
        The day the baseline stands for (the plan's start): a KPI whose baseline
        comes from the CRM or the plan takes its latest figure only from what
        was recorded after that day, as :func:`tracked_series` does.

    Returns
    -------
    pandas.DataFrame
        :data:`KPI_RECORD_COLUMNS`, one row per :func:`tracked_kpis` entry.
        ``unit`` is ``share`` (0-1) or ``count``; ``baseline_from`` says where
        the baseline comes from (``crm``, ``plan``, ``recorded`` or ``none``).
    """
    book = playbook or load_playbook()
    known = {k.id: k for k in book.kpis}
    obs = observations
    if obs is not None and len(obs):
        obs = obs[pd.to_datetime(obs["observed_on"]).dt.date <= as_of].sort_values("observed_on")
    rows = []
    for kpi in tracked_kpis(actions):
        definition = kpi_definition(kpi)
        mine = obs[obs["kpi"] == kpi] if obs is not None and len(obs) else pd.DataFrame()
        baseline, origin = funnel_kpis.get(kpi, np.nan), "crm"
        if pd.isna(baseline):
            baseline, origin = _plan_figure(actions, kpi, "baseline"), "plan"
        if pd.isna(baseline) and len(mine):
            baseline, origin = float(mine["value"].iloc[0]), "recorded"
        if pd.isna(baseline):
            origin = "none"
        target = sla_targets.get(kpi, np.nan) if kpi in SLA_KPIS else np.nan
        if pd.isna(target):
            target = _plan_figure(actions, kpi, "target")
        if pd.isna(target) and len(mine) and mine["target"].notna().any():
            target = float(mine["target"].dropna().iloc[-1])
        if pd.isna(target) and kpi in known:
            target = known[kpi].target_for(None if pd.isna(baseline) else baseline)
        if origin in ("crm", "plan") and baseline_on is not None and len(mine):
            mine = mine[pd.to_datetime(mine["observed_on"]) > pd.Timestamp(baseline_on)]
        latest = float(mine["value"].iloc[-1]) if len(mine) else np.nan
        latest_on = pd.Timestamp(mine["observed_on"].iloc[-1]) if len(mine) else pd.NaT
        rows.append((kpi, definition.label, definition.unit, definition.higher_is_better,
                     SLA_KPIS.get(kpi, "plan"), baseline, origin, target, latest, latest_on))
    return pd.DataFrame(rows, columns=KPI_RECORD_COLUMNS)


def tracked_series(records: pd.DataFrame, observations: pd.DataFrame, *, baseline_on: date,
                   as_of: date) -> pd.DataFrame:
    """Each tracked KPI's figures over time, starting from its baseline, against its target.

    The baseline is the first point (dated ``baseline_on``; a KPI whose
    baseline is its first recorded figure starts there), followed by the
    figures recorded after it up to ``as_of``. Every point carries the KPI's
    one target, so charts and tables read the same figures as the summary.

    Returns
    -------
    pandas.DataFrame
        ``kpi, observed_on, value, target, is_baseline`` (``observed_on``
        datetime64; ``is_baseline`` marks each KPI's baseline point).
    """
    obs = observations if observations is not None else pd.DataFrame(
        columns=["kpi", "observed_on", "value", "target"])
    days = pd.to_datetime(obs["observed_on"])
    parts = []
    start = pd.Timestamp(baseline_on)
    for rec in records.itertuples(index=False):
        mine = obs[(obs["kpi"] == rec.id) & (days.dt.date <= as_of)].assign(
            observed_on=lambda f: pd.to_datetime(f["observed_on"]))
        mine = mine.assign(is_baseline=False)
        if rec.baseline_from in ("crm", "plan"):
            mine = pd.concat([pd.DataFrame({"kpi": [rec.id], "observed_on": [start],
                                            "value": [rec.baseline], "is_baseline": [True]}),
                              mine[mine["observed_on"] > start]], ignore_index=True)
        elif len(mine):
            mine.loc[mine.index[0], "is_baseline"] = True
        parts.append(mine.assign(target=rec.target)[_SERIES_COLUMNS])
    if not parts:
        return pd.DataFrame({"kpi": pd.Series(dtype=object),
                             "observed_on": pd.Series(dtype="datetime64[ns]"),
                             "value": pd.Series(dtype=float), "target": pd.Series(dtype=float),
                             "is_baseline": pd.Series(dtype=bool)})
    out = pd.concat(parts, ignore_index=True)
    out["observed_on"] = pd.to_datetime(out["observed_on"])
    return out.astype({"value": float, "target": float, "is_baseline": bool})
