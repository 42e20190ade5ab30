"""The CRM funnel, analysed: stage counts, conversion, leakage, sourced pipeline, speed to lead.

Pure functions: a leads frame (as :func:`alignkit.store.funnel.load_leads` returns
it) or a stage-counts frame (``period, stage, count``) goes in, a DataFrame comes
out.

Conventions
-----------
* A lead has **reached** a stage when it has that stage's date or has reached a
  later stage: CRMs let leads skip stages (a sales-sourced lead often enters at
  SQL), and a skipped stage was passed, not missed. ``won`` means outcome won.
* A stage is **tracked** when at least one lead has its date (``lead`` and
  ``won`` always are). Conversions into or out of an untracked stage are left
  empty rather than guessed.
* **Hand-off**: marketing hands a lead to sales at its MQL date; leads without
  one that sales sourced itself are sales' from their creation. Speed to lead
  counts the hours from hand-off to the first sales touch; leads never touched
  count as not contacted in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignkit.catalog.funnel_formats import FUNNEL_STAGES

__all__ = [
    "CONVERSION_COLUMNS",
    "STAGE_LABELS",
    "FunnelAnalysis",
    "analyse_funnel",
    "first_touch_delays",
    "funnel_waterfall",
    "leakage",
    "reached_stages",
    "sourced_pipeline",
    "speed_to_lead",
    "stage_conversion",
    "tracked_stages",
]

STAGE_DATES = {"mql": "mql_at", "sal": "sal_at", "sql": "sql_at", "opportunity": "opportunity_at"}
STAGE_LABELS = {"lead": "Leads", "mql": "Marketing qualified (MQL)",
                "sal": "Sales accepted (SAL)", "sql": "Sales qualified (SQL)",
                "opportunity": "Opportunities", "won": "Won"}
CONVERSION_COLUMNS = ["from_stage", "to_stage", "entered", "converted", "rate"]
SOURCES = ("marketing", "sales", "other")
WATERFALL_COLUMNS = ["stage", "label", "count", *SOURCES, "share_of_leads", "from_previous",
                     "tracked"]


def _is_counts(frame: pd.DataFrame) -> bool:
    return {"stage", "count"} <= set(frame.columns)


def _only_source(leads: pd.DataFrame, source: str | None) -> pd.DataFrame:
    if source is None:
        return leads
    if _is_counts(leads):
        raise ValueError("stage counts have no lead source; pass lead-level data to filter by it")
    return leads[leads["source"].astype(str) == source]


def reached_stages(leads: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per stage: has each lead reached it (or a later one)?"""
    reached = pd.DataFrame(index=leads.index)
    later = leads["outcome"].eq("won").fillna(False).astype(bool)
    reached["won"] = later
    for stage in reversed(FUNNEL_STAGES[1:-1]):
        later = later | leads[STAGE_DATES[stage]].notna()
        reached[stage] = later
    reached["lead"] = True
    return reached[list(FUNNEL_STAGES)]


def tracked_stages(frame: pd.DataFrame) -> tuple[str, ...]:
    """The stages the data records (see the module notes); empty for empty data."""
    if frame.empty:
        return ()
    if _is_counts(frame):
        present = set(frame["stage"].astype(str))
        return tuple(s for s in FUNNEL_STAGES if s in present)
    return tuple(s for s in FUNNEL_STAGES
                 if s in ("lead", "won") or frame[STAGE_DATES[s]].notna().any())


def _stage_counts(frame: pd.DataFrame) -> pd.Series:
    """Count per stage (``NA`` where untracked), in funnel order."""
    tracked = tracked_stages(frame)
    if _is_counts(frame):
        sums = frame.groupby(frame["stage"].astype(str))["count"].sum()
    else:
        sums = reached_stages(frame).sum()
    counts = pd.Series([int(sums[s]) if s in tracked else pd.NA for s in FUNNEL_STAGES],
                       index=list(FUNNEL_STAGES), dtype="Int64")
    return counts


def funnel_waterfall(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """How many leads reached each stage, lead -> MQL -> SAL -> SQL -> opportunity -> won.

    Parameters
    ----------
    frame
        Leads (one row per lead) or stage counts (``period, stage, count``;
        summed over periods).
    source
        Keep only leads of this source (``marketing``, ``sales``, ``other``).

    Returns
    -------
    pandas.DataFrame
        ``stage, label, count, marketing, sales, other, share_of_leads,
        from_previous, tracked``: ``marketing``/``sales``/``other`` split the
        count by lead source (``NA`` for stage counts); ``from_previous`` is the
        share of the previous tracked stage. Empty when there is no data.
    """
    frame = _only_source(frame, source)
    if frame.empty:
        return pd.DataFrame(columns=WATERFALL_COLUMNS)
    counts = _stage_counts(frame)
    tracked = counts.notna()
    values = counts.astype(float)
    previous = values.where(tracked).ffill().shift(1)
    total = values["lead"] if tracked["lead"] else np.nan
    out = pd.DataFrame({"stage": list(FUNNEL_STAGES),
                        "label": [STAGE_LABELS[s] for s in FUNNEL_STAGES],
                        "count": counts.reset_index(drop=True)})
    for source in SOURCES:
        out[source] = _source_counts(frame, source, tracked)
    out["share_of_leads"] = (values / total).to_numpy()
    out["from_previous"] = (values / previous.replace(0, np.nan)).to_numpy()
    out["tracked"] = tracked.to_numpy()
    return out


def _source_counts(frame: pd.DataFrame, source: str, tracked: pd.Series) -> pd.array:
    if _is_counts(frame):
        return pd.array([pd.NA] * len(FUNNEL_STAGES), dtype="Int64")
    reached = reached_stages(frame[frame["source"].astype(str) == source]).sum()
    return pd.array([int(reached[s]) if tracked[s] else pd.NA for s in FUNNEL_STAGES],
                    dtype="Int64")


def stage_conversion(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Conversion between consecutive stages.

    Returns
    -------
    pandas.DataFrame
        Exactly ``from_stage, to_stage, entered, converted, rate`` with one row
        each for lead->mql, mql->sal, sal->sql, sql->opportunity,
        opportunity->won. ``entered``/``converted`` are ``NA`` and ``rate`` NaN
        where a stage is untracked or nobody entered.
    """
    frame = _only_source(frame, source)
    counts = (_stage_counts(frame) if not frame.empty else
              pd.Series(pd.NA, index=list(FUNNEL_STAGES), dtype="Int64"))
    rows = []
    for a, b in zip(FUNNEL_STAGES[:-1], FUNNEL_STAGES[1:], strict=True):
        known = pd.notna(counts[a]) and pd.notna(counts[b])
        entered, converted = (counts[a], counts[b]) if known else (pd.NA, pd.NA)
        rate = float(converted) / float(entered) if known and entered > 0 else np.nan
        rows.append((a, b, entered, converted, rate))
    out = pd.DataFrame(rows, columns=CONVERSION_COLUMNS)
    return out.astype({"entered": "Int64", "converted": "Int64", "rate": float})


def leakage(leads: pd.DataFrame) -> pd.DataFrame:
    """Where marketing's hand-offs leak: MQLs sales never accepted or never touched.

    The base is every lead with an MQL date. "Never accepted" means it never
    reached SAL or any later stage; "never touched" means no first sales touch
    is recorded (``NA`` when the export has no first-touch dates at all).

    Returns
    -------
    pandas.DataFrame
        ``leak, label, count, base, share`` with rows ``not_accepted`` and
        ``not_touched``; empty for empty input.
    """
    columns = ["leak", "label", "count", "base", "share"]
    if leads.empty or _is_counts(leads):
        return pd.DataFrame(columns=columns)
    mqls = leads["mql_at"].notna()
    reached = reached_stages(leads)
    base = int(mqls.sum())
    not_accepted = int((mqls & ~reached["sal"]).sum())
    touch_known = bool(leads["first_touch_at"].notna().any())
    not_touched = int((mqls & leads["first_touch_at"].isna()).sum()) if touch_known else pd.NA
    out = pd.DataFrame({
        "leak": ["not_accepted", "not_touched"],
        "label": ["MQLs never accepted by sales", "MQLs never touched by sales"],
        "count": pd.array([not_accepted, not_touched], dtype="Int64"),
        "base": [base, base],
    })
    out["share"] = [c / base if base and pd.notna(c) else np.nan for c in out["count"]]
    return out


def sourced_pipeline(leads: pd.DataFrame) -> pd.DataFrame:
    """Marketing- vs sales-sourced leads: volume, pipeline, wins and win rate.

    Returns
    -------
    pandas.DataFrame
        One row per source present (marketing, sales, other): ``source, leads,
        opportunities, pipeline_amount`` (amounts of leads that reached
        opportunity), ``won, lost, won_amount, closed, win_rate`` (won over
        closed; NaN when nothing closed). If the export records no lost deal
        at all, lost deals cannot be told from open ones: ``closed`` is then
        every opportunity and ``attrs["win_rate_of"]`` says ``"opportunities"``
        instead of ``"closed"``.
    """
    columns = ["source", "leads", "opportunities", "pipeline_amount", "won", "lost",
               "won_amount", "closed", "win_rate"]
    if leads.empty or _is_counts(leads):
        return pd.DataFrame(columns=columns)
    frame = leads.assign(source=leads["source"].astype(str),
                         opportunity=reached_stages(leads)["opportunity"],
                         amount=leads["amount"].fillna(0.0))
    lost_known = bool(frame["outcome"].eq("lost").any())
    rows = []
    for source in [s for s in SOURCES if (frame["source"] == s).any()]:
        part = frame[frame["source"] == source]
        won, lost = int(part["outcome"].eq("won").sum()), int(part["outcome"].eq("lost").sum())
        closed = won + lost if lost_known else int(part["opportunity"].sum())
        rows.append((source, len(part), int(part["opportunity"].sum()),
                     float(part.loc[part["opportunity"], "amount"].sum()), won, lost,
                     float(part.loc[part["outcome"].eq("won"), "amount"].sum()), closed,
                     won / closed if closed else np.nan))
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["win_rate_of"] = "closed" if lost_known else "opportunities"
    return out


def first_touch_delays(leads: pd.DataFrame) -> pd.DataFrame:
    """Hours from hand-off to the first sales touch, one row per lead sales owns.

    Returns
    -------
    pandas.DataFrame
        ``lead, source, owner_team, handoff, start_at, hours``: ``handoff`` is
        true for leads marketing handed over (an MQL date), false for leads
        sales sourced itself; ``hours`` is NaN for a lead never touched and 0
        for one touched before its hand-off.
    """
    columns = ["lead", "source", "owner_team", "handoff", "start_at", "hours"]
    if leads.empty or _is_counts(leads):
        return pd.DataFrame(columns=columns)
    owned = leads["mql_at"].notna() | (leads["source"].astype(str) == "sales")
    part = leads[owned]
    start = part["mql_at"].fillna(part["created_at"])
    hours = ((part["first_touch_at"] - start).dt.total_seconds() / 3600).clip(lower=0)
    return pd.DataFrame({"lead": part["lead"], "source": part["source"].astype(str),
                         "owner_team": part["owner_team"],
                         "handoff": part["mql_at"].notna(), "start_at": start,
                         "hours": hours.astype(float)}).reset_index(drop=True)


def _speed_row(breakdown: str, group: str, hours: pd.Series, sla_hours: float) -> dict:
    touched = hours.dropna()
    within_1h, within_sla = int((touched <= 1).sum()), int((touched <= sla_hours).sum())
    n = len(hours)
    return {"breakdown": breakdown, "group": group, "leads": n, "touched": len(touched),
            "median_hours": float(touched.median()) if len(touched) else np.nan,
            "within_1h": within_1h, "share_within_1h": within_1h / n if n else np.nan,
            "within_sla": within_sla, "share_within_sla": within_sla / n if n else np.nan}


def speed_to_lead(leads: pd.DataFrame, *, sla_hours: float = 24.0) -> pd.DataFrame:
    """Share of leads contacted within one hour and within the SLA.

    Parameters
    ----------
    leads
        Lead-level data.
    sla_hours
        The follow-up time sales has committed to.

    Returns
    -------
    pandas.DataFrame
        ``breakdown, group, leads, touched, median_hours, within_1h,
        share_within_1h, within_sla, share_within_sla``: one ``all`` row, one
        row per source, and one per owner team (largest first) counting only
        the MQLs marketing handed to that team, since leads a team sourced
        itself are contacted at once by construction. Untouched leads count in
        ``leads`` but never as within; ``median_hours`` is over touched leads.
        ``attrs["sla_hours"]`` holds the SLA.
    """
    delays = first_touch_delays(leads)
    rows = []
    if len(delays):
        rows.append(_speed_row("all", "all", delays["hours"], sla_hours))
        for source in [s for s in SOURCES if (delays["source"] == s).any()]:
            rows.append(_speed_row("source", source, delays.loc[delays["source"] == source,
                                                                "hours"], sla_hours))
        handed = delays[delays["handoff"].astype(bool)]
        teams = handed.dropna(subset=["owner_team"]).groupby("owner_team")["hours"]
        for team in teams.size().sort_values(ascending=False, kind="stable").index:
            rows.append(_speed_row("owner_team", str(team), teams.get_group(team), sla_hours))
    out = pd.DataFrame(rows, columns=["breakdown", "group", "leads", "touched", "median_hours",
                                      "within_1h", "share_within_1h", "within_sla",
                                      "share_within_sla"])
    out.attrs["sla_hours"] = sla_hours
    return out


@dataclass(frozen=True)
class FunnelAnalysis:
    """Everything the Identify report shows about a company's funnel.

    ``basis`` is ``"leads"`` (lead-level data), ``"counts"`` (only stage
    counts: leakage, sourced pipeline and speed to lead are empty) or
    ``"none"`` (no funnel data at all: every frame is empty).
    """

    basis: str
    waterfall: pd.DataFrame
    conversion: pd.DataFrame
    leakage: pd.DataFrame
    sourced: pd.DataFrame
    speed: pd.DataFrame
    delays: pd.DataFrame
    sla_hours: float
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    periods: tuple[str, ...]


def _marketing(leads: pd.DataFrame) -> pd.DataFrame:
    """Marketing-sourced leads: the hand-offs the SLA is about (all leads if no source is known)."""
    if leads.empty or "source" not in leads:
        return leads
    return leads[leads["source"].astype(str) == "marketing"]


def analyse_funnel(leads: pd.DataFrame, counts: pd.DataFrame | None = None, *,
                   sla_hours: float = 24.0) -> FunnelAnalysis:
    """Run every funnel analysis, from lead-level data when there is any, else from counts.

    The waterfall, conversion and speed cover every lead; leakage covers
    marketing-sourced MQLs, the population of :mod:`alignkit.analysis.metrics`, so it
    states the same hand-off figures as the KPIs.
    """
    if sla_hours <= 0:
        raise ValueError(f"sla_hours must be positive, not {sla_hours}")
    counts = counts if counts is not None else pd.DataFrame(columns=["period", "stage", "count"])
    if not leads.empty:
        basis, frame = "leads", leads
        first, last = leads["created_at"].min(), leads["created_at"].max()
        periods = tuple(sorted(set(leads["period"].dropna())))
    else:
        basis, frame = ("counts" if not counts.empty else "none"), counts
        first = last = None
        periods = tuple(sorted(set(counts["period"].astype(str))))
    return FunnelAnalysis(
        basis=basis, waterfall=funnel_waterfall(frame), conversion=stage_conversion(frame),
        leakage=leakage(_marketing(leads)), sourced=sourced_pipeline(leads),
        speed=speed_to_lead(leads, sla_hours=sla_hours), delays=first_touch_delays(leads),
        sla_hours=float(sla_hours), first=first, last=last, periods=periods,
    )
