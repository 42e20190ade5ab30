"""Test-session set-up shared by tests/ and the nbval run over notebooks/.

The stage notebooks read the workspace named by ``$ALIGNKIT_WORKSPACE`` when
their ``workspace`` parameter is empty, so nbval needs a workspace holding the
demo companies. One is built once per session in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")

_DEMO_DIR: str | None = None


def pytest_configure(config):  # noqa: ARG001 - pytest hook signature
    global _DEMO_DIR
    from alignkit.demo import build_demo_workspace

    _DEMO_DIR = tempfile.mkdtemp(prefix="alignkit-nbval-")
    build_demo_workspace(_DEMO_DIR)
    os.environ["ALIGNKIT_WORKSPACE"] = _DEMO_DIR


def pytest_unconfigure(config):  # noqa: ARG001 - pytest hook signature
    if _DEMO_DIR:
        shutil.rmtree(_DEMO_DIR, ignore_errors=True)
