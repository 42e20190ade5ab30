"""Demo data for the CRM funnel: a lead export per demo company, as its CRM writes it.

Each company gets a lead-level export simulated from a small model (lead volume,
share sourced by marketing, stage conversion, how often and how fast sales
follows up) that matches its survey story, written in the shape of the CRM it
uses, and imported through :func:`alignkit.intake.crm.import_funnel`:

* Northwind Software (HubSpot): the teams disagree on the SLA and the hand-off,
  so first touches are slow and many MQLs are never accepted.
* Bluepeak Logistics (Salesforce, US dates): poorly aligned everywhere; heavy
  leakage, slow follow-up, low win rates.
* Corvid Health (Salesforce, day-first dates): well aligned; fast follow-up and
  little leakage.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from alignkit.demo.calendar import demo_calendar
from alignkit.demo.survey import DemoCompany
from alignkit.intake.crm import import_funnel
from alignkit.store.workspace import Workspace

__all__ = ["FUNNEL_PROFILES", "FunnelProfile", "populate", "simulate_leads", "write_crm_export"]


@dataclass(frozen=True)
class FunnelProfile:
    """How one demo company's leads move through its funnel."""

    crm: str  # hubspot, salesforce-us or salesforce-eu
    start: str  # first day of the export, YYYY-MM-DD ("": counted back from today)
    months: int
    leads: int
    marketing_share: float
    mql_rate: float  # marketing leads that become MQLs
    touch_rate: float  # MQLs sales ever contacts
    accept_rate: float  # MQLs sales accepts (only touched ones)
    touch_median_hours: float
    touch_spread: float  # sigma of the log-normal follow-up time
    sql_rate: float  # accepted -> SQL
    opportunity_rate: float  # SQL -> opportunity
    win_marketing: float
    win_sales: float
    deal_size: float
    teams: dict[str, tuple[str, ...]]
    seed: int


FUNNEL_PROFILES: dict[str, FunnelProfile] = {
    "northwind-software": FunnelProfile(
        crm="hubspot", start="", months=9, leads=1300, marketing_share=0.72,
        mql_rate=0.52, touch_rate=0.8, accept_rate=0.55, touch_median_hours=30,
        touch_spread=1.3, sql_rate=0.62, opportunity_rate=0.55, win_marketing=0.22,
        win_sales=0.31, deal_size=18000,
        teams={"Inside Sales": ("Priya Nair", "Jonas Weber", "Ava Lindgren", "Marco Silva"),
               "Field Sales": ("Elena Rossi", "Tom Becker", "Nora Quinn")}, seed=101),
    "bluepeak-logistics": FunnelProfile(
        crm="salesforce-us", start="", months=12, leads=820, marketing_share=0.62,
        mql_rate=0.5, touch_rate=0.62, accept_rate=0.42, touch_median_hours=52,
        touch_spread=1.4, sql_rate=0.55, opportunity_rate=0.5, win_marketing=0.17,
        win_sales=0.26, deal_size=9000,
        teams={"Sales Development Rep": ("Mina Yusuf", "Dale Hart", "Ivy Chen"),
               "Account Executive": ("Rafael Costa", "Gwen Ford", "Omar Haddad")}, seed=202),
    "corvid-health": FunnelProfile(
        crm="salesforce-eu", start="", months=6, leads=420, marketing_share=0.68,
        mql_rate=0.5, touch_rate=0.97, accept_rate=0.88, touch_median_hours=0.7,
        touch_spread=1.1, sql_rate=0.72, opportunity_rate=0.6, win_marketing=0.34,
        win_sales=0.36, deal_size=42000,
        teams={"Inside Sales": ("Leah Brooks", "Samir Patel", "Hanna Berg"),
               "Key Accounts": ("Colm Doyle", "Ines Duarte", "Paul Meyer")}, seed=303),
}

_MARKETING_SOURCES = {"hubspot": ("Organic Search", "Paid Search", "Email Marketing",
                                  "Paid Social", "Referrals", "Direct Traffic"),
                      "salesforce": ("Web", "Trade Show", "Webinar", "Advertisement",
                                     "Purchased List", "Phone Inquiry")}
_SALES_SOURCES = {"hubspot": ("Offline Sources",), "salesforce": ("Cold Call", "Outbound")}
_OTHER_SOURCES = {"hubspot": ("Other Campaigns",), "salesforce": ("Partner Referral",
                                                                   "Employee Referral")}
_OTHER_SHARE = 0.05


def _business_time(rng: np.random.Generator, days: np.ndarray, start: datetime) -> pd.Series:
    """Moments on working days, mostly in office hours."""
    moments = pd.to_datetime(start) + pd.to_timedelta(np.floor(days), unit="D")
    weekend = moments.dayofweek.to_numpy() >= 5
    moments = moments + pd.to_timedelta(np.where(weekend, 7 - moments.dayofweek, 0), unit="D")
    hours = np.clip(rng.normal(11.5, 2.6, len(days)), 7.5, 19.5)
    return pd.Series(moments + pd.to_timedelta(hours, unit="h")).dt.floor("min")


def _after(start: pd.Series, mean_days: float, rng: np.random.Generator) -> pd.Series:
    return (start + pd.to_timedelta(rng.exponential(mean_days * 24, len(start)) + 0.2,
                                    unit="h")).dt.floor("min")


def simulate_leads(profile: FunnelProfile) -> pd.DataFrame:
    """Simulated leads with stage dates, outcome, first touch, owner and amount."""
    rng = np.random.default_rng(profile.seed)
    first = profile.start or demo_calendar().crm_start(profile.months).isoformat()
    n, start = profile.leads, datetime.fromisoformat(first)
    export_at = pd.Timestamp(start) + pd.DateOffset(days=round(profile.months * 30.4) + 10)
    created = _business_time(rng, np.sort(rng.uniform(0, profile.months * 30.4, n)), start)
    roll = rng.random(n)
    source = np.where(roll < profile.marketing_share, "marketing",
                      np.where(roll < 1 - _OTHER_SHARE, "sales", "other"))
    sales = pd.Series(source == "sales")
    mql = pd.Series((source != "sales") & (rng.random(n) < profile.mql_rate))
    mql_at = _after(created, 4, rng).where(mql)
    delay = np.exp(np.log(profile.touch_median_hours) + profile.touch_spread * rng.normal(size=n))
    sales_delay = np.exp(np.log(0.3) + 0.8 * rng.normal(size=n))
    touched = (mql & (rng.random(n) < profile.touch_rate)) | sales
    start_at = mql_at.fillna(created)
    touch_at = (start_at + pd.to_timedelta(np.where(sales, sales_delay, delay), unit="h")
                ).dt.floor("min").where(touched)
    accepted = mql & touched & (rng.random(n) < profile.accept_rate / profile.touch_rate)
    sal_at = _after(touch_at, 0.2, rng).where(accepted)
    sql = (accepted & (rng.random(n) < profile.sql_rate)) | (sales & (rng.random(n) < 0.45))
    sql_at = _after(sal_at.fillna(touch_at), 3, rng).where(sql)
    opportunity = sql & (rng.random(n) < profile.opportunity_rate)
    opportunity_at = _after(sql_at, 7, rng).where(opportunity)
    closed_at = _after(opportunity_at, 35, rng).where(opportunity)
    win = np.where(sales, profile.win_sales, profile.win_marketing)
    outcome = pd.Series(np.where(rng.random(n) < win, "won", "lost")).where(
        closed_at.notna() & (closed_at <= export_at))
    frame = pd.DataFrame({
        "created_at": created, "source": source, "mql_at": mql_at, "sal_at": sal_at,
        "sql_at": sql_at, "opportunity_at": opportunity_at, "closed_at": closed_at,
        "outcome": outcome, "first_touch_at": touch_at,
        "amount": (np.round(profile.deal_size * rng.lognormal(-0.12, 0.5, n), -2)),
    })
    return _cut_at_export(frame, export_at, rng, profile)


def _cut_at_export(frame: pd.DataFrame, export_at: pd.Timestamp, rng: np.random.Generator,
                   profile: FunnelProfile) -> pd.DataFrame:
    """Forget what had not happened by the export date; assign owners and amounts."""
    later = pd.Series(False, index=frame.index)
    for column in ("mql_at", "sal_at", "sql_at", "opportunity_at"):
        later = later | (frame[column] > export_at)
        frame[column] = frame[column].where(~later)
    frame["first_touch_at"] = frame["first_touch_at"].where(frame["first_touch_at"] <= export_at)
    frame["closed_at"] = frame["closed_at"].where(frame["outcome"].notna())
    frame["amount"] = frame["amount"].where(frame["opportunity_at"].notna())
    owned = frame["mql_at"].notna() | (frame["source"] == "sales")
    team_names = list(profile.teams)
    team = rng.choice(team_names, size=len(frame), p=[0.6, 0.4])
    frame["owner_team"] = pd.Series(team).where(owned)
    frame["owner"] = [str(rng.choice(profile.teams[t])) if own else None
                      for t, own in zip(team, owned, strict=True)]
    return frame


_FIRST = ("Alex", "Sam", "Maria", "Jin", "Olivia", "Noah", "Fatima", "Lukas", "Chloe", "Ravi",
          "Emma", "Diego", "Sofia", "Kwame", "Hana", "Pieter", "Grace", "Mateo", "Leila", "Owen")
_LAST = ("Keller", "Novak", "Santos", "Kim", "Andersen", "Dubois", "Okafor", "Brennan",
         "Moreau", "Iyer", "Fischer", "Larsen", "Costa", "Walsh", "Sato", "Varga", "Hughes")


def _when(value: pd.Timestamp, crm: str, *, time: bool = True) -> str:
    if pd.isna(value):
        return ""
    if crm == "hubspot":
        return value.strftime("%Y-%m-%d %H:%M")
    if crm == "salesforce-eu":
        return value.strftime("%d/%m/%Y %H:%M" if time else "%d/%m/%Y")
    day = f"{value.month}/{value.day}/{value.year}"
    hour = value.hour % 12 or 12
    return f"{day}, {hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}" if time else day


def _hubspot_row(i: int, lead: pd.Series, rng: np.random.Generator) -> dict[str, str]:
    crm, first, last = "hubspot", str(rng.choice(_FIRST)), str(rng.choice(_LAST))
    stage = ("Customer" if lead["outcome"] == "won" else "Opportunity"
             if pd.notna(lead["opportunity_at"]) else "Sales Qualified Lead"
             if pd.notna(lead["sql_at"]) else "Marketing Qualified Lead"
             if pd.notna(lead["mql_at"]) else "Lead")
    return {
        "Record ID": str(48210000 + i * 7), "First Name": first, "Last Name": last,
        "Email": f"{first}.{last}{i}@example.com".lower(), "Create Date": _when(
            lead["created_at"], crm), "Original Source": lead["raw_source"],
        "Lifecycle Stage": stage, "Became a Marketing Qualified Lead Date": _when(
            lead["mql_at"], crm),
        'Date entered "Sales Accepted Lead (Lifecycle Stage Pipeline)"': _when(lead["sal_at"], crm),
        "Became a Sales Qualified Lead Date": _when(lead["sql_at"], crm),
        "Became an Opportunity Date": _when(lead["opportunity_at"], crm),
        "Became a Customer Date": _when(lead["closed_at"] if lead["outcome"] == "won" else None,
                                        crm),
        "Closed Lost Date": _when(lead["closed_at"] if lead["outcome"] == "lost" else None, crm),
        "Recent Deal Amount": "" if pd.isna(lead["amount"]) else f"{lead['amount']:.0f}",
        "First outreach date": _when(lead["first_touch_at"], crm),
        "Contact owner": lead["owner"] or "", "HubSpot Team": lead["owner_team"] or "",
    }


_OPEN_STAGES = ("Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review")


def _salesforce_row(i: int, lead: pd.Series, rng: np.random.Generator, crm: str) -> dict[str, str]:
    has_opp = pd.notna(lead["opportunity_at"])
    stage = ("Closed Won" if lead["outcome"] == "won" else "Closed Lost"
             if lead["outcome"] == "lost" else str(rng.choice(_OPEN_STAGES)) if has_opp else "")
    close = lead["closed_at"] if pd.notna(lead["closed_at"]) else (
        lead["opportunity_at"] + timedelta(days=int(rng.integers(20, 90))) if has_opp else None)
    status = ("Closed - Converted" if has_opp else "Working - Contacted"
              if pd.notna(lead["first_touch_at"]) else "Open - Not Contacted")
    currency = "USD" if crm == "salesforce-us" else "EUR"
    return {
        "Lead ID": f"00Q5e0000{i:06d}AB", "First Name": str(rng.choice(_FIRST)),
        "Last Name": str(rng.choice(_LAST)), "Company / Account": f"Account {i:04d}",
        "Lead Source": lead["raw_source"], "Lead Status": status,
        "Created Date": _when(lead["created_at"], crm), "MQL Date": _when(lead["mql_at"], crm),
        "SAL Date": _when(lead["sal_at"], crm), "SQL Date": _when(lead["sql_at"], crm),
        "Converted Date": _when(lead["opportunity_at"], crm, time=False),
        "First Activity Date": _when(lead["first_touch_at"], crm), "Stage": stage,
        "Close Date": _when(close, crm, time=False),
        "Opportunity Amount": "" if pd.isna(lead["amount"]) else
        f"{currency} {lead['amount']:,.2f}",
        "Owner Full Name": lead["owner"] or "", "Owner Role": lead["owner_team"] or "",
    }


def write_crm_export(company: DemoCompany, path: Path) -> Path:
    """Write ``company``'s simulated leads as its CRM exports them (CSV)."""
    profile = FUNNEL_PROFILES[company.slug]
    leads = simulate_leads(profile)
    rng = np.random.default_rng(profile.seed + 1)
    family = "hubspot" if profile.crm == "hubspot" else "salesforce"
    pools = {"marketing": _MARKETING_SOURCES[family], "sales": _SALES_SOURCES[family],
             "other": _OTHER_SOURCES[family]}
    leads["raw_source"] = [str(rng.choice(pools[s])) for s in leads["source"]]
    rows = [(_hubspot_row(i, lead, rng) if family == "hubspot" else
             _salesforce_row(i, lead, rng, profile.crm)) for i, lead in leads.iterrows()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
        if family == "salesforce":  # report exports end with this footer
            fh.write('\r\n"Confidential Information - Do Not Distribute"\r\n'
                     '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\r\n')
    return path


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Write and import the CRM lead export of ``company`` (idempotent)."""
    if company.slug not in FUNNEL_PROFILES:
        return
    path = workspace.root / "inbox" / f"{company.slug}-crm-leads.csv"
    write_crm_export(company, path)
    import_funnel(path, company=company.slug, workspace=workspace)
