"""A demo workspace: three fictional clients taken through the whole cycle.

Each stage of the cycle adds its own demo data through one module with a
``populate(workspace, company)`` function, called in cycle order. Every
module is idempotent, so ``alignkit demo`` can run again on the same folder.
"""

from __future__ import annotations

from pathlib import Path

from alignkit.demo import execute, followup, funnel, plan
from alignkit.demo.survey import DEMO_COMPANIES, DemoCompany, write_demo_survey
from alignkit.intake.survey import import_survey
from alignkit.store.settings import save_settings
from alignkit.store.workspace import Workspace

__all__ = ["DEMO_COMPANIES", "DemoCompany", "build_demo_workspace", "write_demo_survey"]

#: Each demo company's currency (Bluepeak reports in US dollars, the others in euros).
DEMO_CURRENCIES = {"bluepeak-logistics": "USD"}
#: The stage modules, in cycle order, each with ``populate(workspace, company)``.
STAGE_DATA = (funnel, plan, execute, followup)


def build_demo_workspace(root: str | Path, *, wave: str = "baseline") -> Workspace:
    """Create (or refresh) the demo workspace with the three demo companies.

    Companies and files already present are left as they are, so the command
    can run again safely.
    """
    workspace = Workspace(root)
    known = {c.slug for c in workspace.companies()}
    for company in DEMO_COMPANIES:
        if company.slug not in known:
            workspace.add_company(company.slug, company.name, company.industry)
            save_settings(workspace, company.slug,
                          currency=DEMO_CURRENCIES.get(company.slug, "EUR"))
        survey = write_demo_survey(company, workspace.root / "inbox" / f"{company.slug}-{wave}.csv")
        import_survey(survey, company=company.slug, wave=wave, workspace=workspace)
        for stage in STAGE_DATA:
            stage.populate(workspace, company)
    return workspace
