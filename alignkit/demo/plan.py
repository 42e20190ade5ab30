"""Demo data for the joint action plan."""

from __future__ import annotations

from alignkit.demo.survey import DemoCompany
from alignkit.store import Workspace


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add the joint action plan for ``company`` (idempotent)."""
