"""Test-session set-up shared by tests/ and the nbval run over notebooks/.

The stage notebooks read the workspace named by ``$ALIGNKIT_WORKSPACE`` when
their ``workspace`` parameter is empty, so nbval needs a workspace holding the
demo companies. One is built once per session in a temporary folder, as if
on a fixed day (``$ALIGNKIT_DEMO_TODAY``) and with that day stored as every demo
company's report date, so reports, snapshots and tests read the same figures
whatever day the suite runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")

_DEMO_DIR: str | None = None
#: The day the test suite's demo workspace is built and read for.
DEMO_TODAY = "2026-12-04"


def pytest_configure(config):  # noqa: ARG001 - pytest hook signature
    global _DEMO_DIR
    from alignkit.demo import build_demo_workspace
    from alignkit.engagement import save_settings

    os.environ.setdefault("ALIGNKIT_DEMO_TODAY", DEMO_TODAY)
    _DEMO_DIR = tempfile.mkdtemp(prefix="alignkit-nbval-")
    ws = build_demo_workspace(_DEMO_DIR)
    for company in ws.companies():
        save_settings(ws, company.slug, report_date=os.environ["ALIGNKIT_DEMO_TODAY"])
    os.environ["ALIGNKIT_WORKSPACE"] = _DEMO_DIR


def pytest_unconfigure(config):  # noqa: ARG001 - pytest hook signature
    if _DEMO_DIR:
        shutil.rmtree(_DEMO_DIR, ignore_errors=True)
