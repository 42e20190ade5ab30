"""Demo data for the CRM funnel (leads with stage dates, first touch, owner)."""

from __future__ import annotations

from alignkit.demo.survey import DemoCompany
from alignkit.store import Workspace


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add the CRM funnel (leads with stage dates, first touch, owner) for ``company`` (idempotent)."""
