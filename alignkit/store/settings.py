"""Engagement settings: the figures a consultant agrees with one client, stored once.

Every output of an engagement (the four stage reports, the workbook,
``plan export``, ``plan sla``, ``funnel show``, ``summary`` and the scenario
explorer) reads the same settings, so they cannot disagree about the revenue
goal, the currency or the terms of the service level agreement. A command may
override a setting for one run; :func:`override` says which ones it changed.

Settings not stored fall back to the defaults of :class:`EngagementSettings`
(the revenue goal, marketing share and average deal then come from the CRM
data or planning assumptions, see :func:`alignkit.plan.sla.choose_goal`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from alignkit.exceptions import StoreError
from alignkit.store.db import company_id
from alignkit.store.workspace import Workspace
from alignkit.text.money import DEFAULT_CURRENCY, format_money, valid_currency

__all__ = ["PERIODS", "EngagementSettings", "load_settings", "override", "save_settings",
           "settings_lines", "with_report_date"]

#: The periods a revenue goal can be stated for, with their length in months.
PERIODS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class EngagementSettings:
    """What the consultant and the client agreed for one engagement.

    Attributes
    ----------
    revenue_goal
        New revenue to win per ``period``; ``None``: from the CRM data or an assumption.
    period
        ``month``, ``quarter`` or ``year``.
    currency
        ISO 4217 code every amount is written in.
    avg_deal
        Average won deal, used when the CRM data gives none (or to override it).
    marketing_share
        Share of the goal marketing-sourced deals bring (0-1); ``None``: from the CRM data.
    sla_hours, attempts, follow_up_days
        What sales commits to for every MQL: first contact within hours, number of
        attempts, and the days they are spread over.
    report_date
        The day every "as of" figure of a report is read for; ``None``: the day it is rendered.
    """

    revenue_goal: float | None = None
    period: str = "year"
    currency: str = DEFAULT_CURRENCY
    avg_deal: float | None = None
    marketing_share: float | None = None
    sla_hours: float = 24.0
    attempts: int = 6
    follow_up_days: int = 14
    report_date: date | None = None

    def __post_init__(self) -> None:
        for name in fields(self):
            object.__setattr__(self, name.name, _checked(name.name, getattr(self, name.name)))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (dates as ``YYYY-MM-DD``)."""
        out = asdict(self)
        out["report_date"] = self.report_date.isoformat() if self.report_date else None
        return out

    def as_of(self, today: date | None = None) -> date:
        """The report date, or ``today`` (default: the system date) when none is stored."""
        return self.report_date or today or date.today()


def _float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name.replace('_', ' ')} must be a number, not {value!r}") from None


def _positive(name: str, value: Any) -> float:
    number = _float(name, value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name.replace('_', ' ')} must be a positive number, not {value!r}")
    return number


def _checked(name: str, value: Any) -> Any:
    """``value`` converted to the type of setting ``name``; ``ValueError`` with a reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if name in ("revenue_goal", "avg_deal", "marketing_share", "report_date"):
            return None
        return getattr(EngagementSettings, name)
    if name in ("revenue_goal", "avg_deal", "sla_hours"):
        return _positive(name, value)
    if name == "marketing_share":
        share = _float(name, value)
        if not 0 <= share <= 1:
            raise ValueError(f"marketing share is a fraction between 0 and 1 (0.6 for 60%), "
                             f"not {value!r}")
        return share
    if name in ("attempts", "follow_up_days"):
        number = _float(name, value)
        if not number.is_integer() or number < 1:
            raise ValueError(f"{name.replace('_', ' ')} must be a whole number of at least 1, "
                             f"not {value!r}")
        return int(number)
    if name == "period":
        if str(value) not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {value!r}")
        return str(value)
    if name == "currency":
        return valid_currency(value)
    if name == "report_date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"report date must be a day as YYYY-MM-DD, not {value!r}") from None
    raise ValueError(f"unknown engagement setting {name!r}")


def _build(values: dict[str, Any], where: str) -> EngagementSettings:
    try:
        return EngagementSettings(**values)
    except ValueError as err:
        raise StoreError(f"{where}: {err}") from None


def load_settings(workspace: Workspace, company: str) -> EngagementSettings:
    """The stored settings of ``company`` (defaults for what was never set)."""
    workspace.company(company)
    with workspace.connect() as con:
        rows = con.execute(
            "SELECT s.key, s.value FROM engagement_settings s JOIN companies c "
            "ON c.id = s.company_id WHERE c.slug = ?", (company,)).fetchall()
    known = {f.name for f in fields(EngagementSettings)}
    return _build({k: v for k, v in rows if k in known},
                  f"engagement settings of '{company}' in {workspace.db_path.name}")


def save_settings(workspace: Workspace, company: str, **changes: Any) -> EngagementSettings:
    """Store changed settings (``None`` leaves one as it is, ``""`` resets it); returns all.

    Raises
    ------
    StoreError
        For an unknown setting or a value that does not fit (nothing is stored then).
    """
    current = load_settings(workspace, company)
    given = {k: v for k, v in changes.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in fields(EngagementSettings)})
    if unknown:
        raise StoreError(f"unknown engagement setting(s): {', '.join(unknown)}")
    updated = _build({**asdict(current), **given}, f"company '{company}'")
    stored = updated.to_json()
    with workspace.connect() as con:
        cid = company_id(con, company)
        for key in given:
            if stored[key] is None or (isinstance(given[key], str) and not given[key].strip()):
                con.execute("DELETE FROM engagement_settings WHERE company_id = ? AND key = ?",
                            (cid, key))
            else:
                con.execute("INSERT INTO engagement_settings VALUES (?, ?, ?) ON CONFLICT "
                            "(company_id, key) DO UPDATE SET value = excluded.value",
                            (cid, key, str(stored[key])))
    return updated


def override(settings: EngagementSettings, **flags: Any) -> tuple[EngagementSettings, list[str]]:
    """``settings`` with the non-``None`` ``flags`` applied for one run, and a note per change.

    The notes say what a command used instead of the stored value, e.g.
    ``revenue goal 1200000 for this run only (stored: not set)``.
    """
    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return settings, []
    changed = _build({**asdict(settings), **given}, "option")
    notes = []
    for key in given:
        before, after = getattr(settings, key), getattr(changed, key)
        if before != after:
            notes.append(f"{key.replace('_', ' ')} {_shown(after)} for this run only "
                         f"(stored: {_shown(before)})")
    return changed, notes


def _shown(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, float):
        return f"{value:g}" if value < 1e6 else f"{value:,.0f}"
    return str(value)


def settings_lines(settings: EngagementSettings) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for ``company show``; unset figures say where they come from."""
    money = settings.currency
    return [
        ("Revenue goal", f"{format_money(settings.revenue_goal, money)} per {settings.period}"
         if settings.revenue_goal else f"not set (CRM revenue + 20%, or an assumption) "
                                       f"per {settings.period}"),
        ("Currency", settings.currency),
        ("Average deal", format_money(settings.avg_deal, money) if settings.avg_deal
         else "not set (measured in the CRM data, or an assumption)"),
        ("Marketing-sourced share", f"{settings.marketing_share:.0%}"
         if settings.marketing_share is not None else "not set (measured, or 50%)"),
        ("SLA: first contact within", f"{settings.sla_hours:g} hours"),
        ("SLA: follow-up attempts", f"{settings.attempts} over {settings.follow_up_days} days"),
        ("Report date", settings.report_date.isoformat() if settings.report_date
         else "not set (the day a report is rendered)"),
    ]


def with_report_date(settings: EngagementSettings, as_of: date | str | None) -> EngagementSettings:
    """``settings`` read as of ``as_of`` when one is given (a date or ``YYYY-MM-DD``)."""
    if as_of in (None, ""):
        return settings
    return _build({**asdict(settings), "report_date": as_of}, "as-of date")

