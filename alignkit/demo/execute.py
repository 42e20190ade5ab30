"""Demo data for action progress and KPI observations over time."""

from __future__ import annotations

from alignkit.demo.survey import DemoCompany
from alignkit.store import Workspace


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add action progress and KPI observations over time for ``company`` (idempotent)."""
