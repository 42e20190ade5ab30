"""The workspace's portfolio benchmark: one JSON file of published percentiles.

The file holds only what may be shown to any client (percentiles and a band of
the number of companies), never a company's own values.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from alignkit.store.files import PRIVATE_FILE, make_private_dir, tighten
from alignkit.store.workspace import Workspace

__all__ = ["BENCHMARK_NAME", "load_benchmark", "save_benchmark"]

BENCHMARK_NAME = "benchmark.json"


def save_benchmark(workspace: Workspace, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as the workspace's benchmark (replacing any earlier one at once)."""
    make_private_dir(workspace.root)
    path = workspace.root / BENCHMARK_NAME
    staged = path.with_name(f".{BENCHMARK_NAME}.tmp")
    staged.write_text(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False),
                      encoding="utf-8")
    tighten(staged, PRIVATE_FILE)
    os.replace(staged, path)
    return path


def load_benchmark(workspace: Workspace) -> dict[str, Any] | None:
    """The stored benchmark, or ``None`` if none was built."""
    path = workspace.root / BENCHMARK_NAME
    if not path.exists():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None
