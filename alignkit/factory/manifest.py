"""``manifest.json``: what a batch rendered, skipped or failed, and why.

The manifest sits at the top of a batch's output folder. It lists every
company x stage ever rendered there (the latest run of each), with status
(``ok``, ``failed``, ``skipped``), duration, parameters, fingerprint, files and
the error's name and message. The next batch reads it to skip reports whose
fingerprint has not changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from alignkit.catalog.stages import STAGES
from alignkit.report.render import write_atomic
from alignkit.text.times import now_iso

__all__ = ["MANIFEST_NAME", "ManifestEntry", "load_manifest", "now_iso", "write_manifest"]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One company through one stage, as last seen by a batch."""

    company: str
    stage: str
    status: str
    seconds: float
    parameters: dict[str, Any]
    fingerprint: str
    files: tuple[str, ...] = ()
    error_name: str = ""
    error_message: str = ""
    attempts: int = 0
    executed_notebook: str = ""
    rendered_at: str = field(default_factory=now_iso)

    @property
    def key(self) -> tuple[str, str]:
        """``(company, stage)``."""
        return (self.company, self.stage)

    def skipped(self) -> ManifestEntry:
        """This entry as a report left unchanged by a later run."""
        return replace(self, status="skipped", seconds=0.0, attempts=0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["files"] = list(self.files)
        return data


def load_manifest(out_dir: Path) -> dict[tuple[str, str], ManifestEntry]:
    """Entries of an earlier batch in ``out_dir`` (empty when there is none or it is unreadable)."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        reports = data["reports"]
        entries = [ManifestEntry(**{**r, "files": tuple(r.get("files", ()))}) for r in reports]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {e.key: e for e in entries}


def write_manifest(out_dir: Path, entries: dict[tuple[str, str], ManifestEntry],
                   run: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically; ``run`` describes this batch (times, workers, counts)."""
    order = {name: i for i, name in enumerate(STAGES)}
    ordered = sorted(entries.values(), key=lambda e: (e.company, order.get(e.stage, 99), e.stage))
    payload = {"manifest_version": MANIFEST_VERSION, "run": run,
               "reports": [e.to_json() for e in ordered]}
    target = out_dir / MANIFEST_NAME
    write_atomic(target, json.dumps(payload, indent=2, ensure_ascii=False))
    return target
