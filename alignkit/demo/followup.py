"""Demo data for the second survey wave."""

from __future__ import annotations

from alignkit.demo.survey import DemoCompany
from alignkit.store import Workspace


def populate(workspace: Workspace, company: DemoCompany) -> None:
    """Add the second survey wave for ``company`` (idempotent)."""
