"""Results worth keeping between reports: small JSON files under ``<workspace>/.cache``.

A cached result is named by a key that the caller derives from everything the
result depends on, so a stale file is never read: a changed input gives a new
key. Files are private (``0600``), written whole (a temp file, then an atomic
rename, so concurrent report kernels never read half a file) and only the most
recent few of each kind are kept.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from alignkit.store.files import PRIVATE_FILE, make_private_dir, tighten
from alignkit.store.workspace import Workspace

__all__ = ["CACHE_DIR", "load_cached", "save_cached"]

CACHE_DIR = ".cache"
_KEEP = 64  # newest files kept per kind
_NAME = re.compile(r"^[a-z0-9-]+$")


def _path(workspace: Workspace, kind: str, key: str) -> Path:
    if not (_NAME.match(kind) and _NAME.match(key)):
        raise ValueError(f"cache kind and key are lower-case words and digits: {kind!r}, {key!r}")
    return workspace.root / CACHE_DIR / kind / f"{key}.json"


def load_cached(workspace: Workspace, kind: str, key: str) -> dict[str, Any] | None:
    """The stored result of ``kind`` under ``key``, or ``None`` (missing or unreadable)."""
    try:
        payload = json.loads(_path(workspace, kind, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def save_cached(workspace: Workspace, kind: str, key: str, payload: dict[str, Any]) -> Path | None:
    """Store ``payload`` under ``key``; ``None`` when the workspace cannot be written (read-only).

    Floats round-trip exactly through JSON, so a cached result reads back equal
    to the one computed.
    """
    path = _path(workspace, kind, key)
    try:
        make_private_dir(path.parent, within=workspace.root)
        fd, staged = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, allow_nan=True)
        tighten(Path(staged), PRIVATE_FILE)
        os.replace(staged, path)
        _prune(path.parent)
    except OSError:
        return None
    return path


def _prune(folder: Path) -> None:
    """Keep the newest :data:`_KEEP` results of one kind."""
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[_KEEP:]:
        old.unlink(missing_ok=True)
