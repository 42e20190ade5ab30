"""The demo's dates, counted back from the day ``alignkit demo`` runs.

The CRM export ends a week before the plan starts, the plan started seven
weeks ago (so some actions are done, some in progress and one is overdue on
the day the reports are read), and the follow-up survey is taken in the last
week. A demo built on another day shows the same story on other dates.

``$ALIGNKIT_DEMO_TODAY`` (``YYYY-MM-DD``) builds the demo as if on that day;
the test suite uses it so that its snapshots do not change from day to day.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DemoCalendar", "demo_calendar"]

#: How long the demo plans have been running on the day the demo is built.
PLAN_AGE = timedelta(weeks=7)


@dataclass(frozen=True)
class DemoCalendar:
    """Key days of the demo engagement."""

    today: date
    plan_start: date  # a Monday
    crm_end: date  # the last day the CRM export covers

    def crm_start(self, months: int) -> date:
        """First day of a CRM export whose ``months`` of leads (and ten days after) end at
        :attr:`crm_end`."""
        return self.crm_end - timedelta(days=round(months * 30.4) + 10)


def demo_calendar(today: date | None = None) -> DemoCalendar:
    """The demo's dates for a demo built on ``today``.

    Default: ``$ALIGNKIT_DEMO_TODAY`` when set, else the system date.
    """
    pinned = os.environ.get("ALIGNKIT_DEMO_TODAY", "").strip()
    day = today or (date.fromisoformat(pinned) if pinned else date.today())
    start = day - PLAN_AGE
    start -= timedelta(days=start.weekday())
    return DemoCalendar(today=day, plan_start=start, crm_end=start - timedelta(days=7))
