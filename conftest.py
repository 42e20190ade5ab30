"""Test-session set-up shared by tests/ and the nbval run over notebooks/.

The stage notebooks read the workspace named by ``$ALIGNKIT_WORKSPACE`` when
their ``workspace`` parameter is empty, so nbval needs a workspace holding the
demo companies. One is built once per session in a temporary folder, as if
on a fixed day (``$ALIGNKIT_DEMO_TODAY``) and with that day stored as every demo
company's report date, so reports, snapshots and tests read the same figures
whatever day the suite runs. It is built only when a collected test needs it
(a notebook, or a test module that reads ``$ALIGNKIT_WORKSPACE``), so the fast
tier (``make check``) starts at once.
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
    os.environ.setdefault("ALIGNKIT_DEMO_TODAY", DEMO_TODAY)


def _needs_demo(item, seen: dict) -> bool:
    path = item.path
    if path.suffix == ".ipynb":
        return True
    if path not in seen:
        seen[path] = path.suffix == ".py" and "ALIGNKIT_WORKSPACE" in path.read_text(
            encoding="utf-8")
    return seen[path]


#: Test modules that run kernels, browsers, subprocesses or whole batches: the slow tier.
SLOW_MODULES = {
    "test_batch", "test_batch_leftovers", "test_bench_intake", "test_bench_script",
    "test_browser", "test_fuzz", "test_injection", "test_install", "test_kernel",
    "test_kernel_supply", "test_report", "test_report_html", "test_store_processes",
}


def pytest_collection_modifyitems(session, config, items):  # noqa: ARG001 - hook signature
    """Mark the slow tier (``make check`` leaves it out) and build the demo if a test needs it."""
    import pytest

    seen: dict = {}
    needed = False
    for item in items:
        demo = _needs_demo(item, seen)
        needed = needed or demo
        if demo or item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    if needed and "not slow" not in (config.getoption("markexpr") or ""):
        _build_demo()


def _build_demo() -> None:
    global _DEMO_DIR
    from alignkit.demo import build_demo_workspace
    from alignkit.store.settings import save_settings

    _DEMO_DIR = tempfile.mkdtemp(prefix="alignkit-nbval-")
    ws = build_demo_workspace(_DEMO_DIR)
    for company in ws.companies():
        save_settings(ws, company.slug, report_date=os.environ["ALIGNKIT_DEMO_TODAY"])
    os.environ["ALIGNKIT_WORKSPACE"] = _DEMO_DIR


def pytest_unconfigure(config):  # noqa: ARG001 - pytest hook signature
    if _DEMO_DIR:
        shutil.rmtree(_DEMO_DIR, ignore_errors=True)
