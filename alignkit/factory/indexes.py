"""Index pages of a batch's output: one per company, and the consultant's portfolio.

``<out>/<company>/index.html`` links that company's stage reports and names no
other company. ``<out>/index.html`` (the portfolio) is the only page that names
several companies; it is for the consultant, not for clients. Both are
self-contained HTML without scripts, rendered from ``templates/alignkit-index``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignkit.catalog.resources import templates_dir
from alignkit.catalog.stages import STAGES
from alignkit.factory.manifest import ManifestEntry, now_iso
from alignkit.report.branding import Brand
from alignkit.report.render import write_atomic

__all__ = ["IndexCompany", "write_indexes"]


@dataclass(frozen=True)
class IndexCompany:
    """A company as the index pages name it."""

    slug: str
    name: str


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "alignkit-index")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )


_OUTPUTS = {"deck": "Steering deck", "summary": "Executive summary"}  # per-company outputs


def _stage_row(stage: str, entry: ManifestEntry | None) -> dict[str, Any]:
    return {"stage": stage, "title": STAGES[stage].title if stage in STAGES else _OUTPUTS.get(stage, stage),
            "status": entry.status if entry else "missing",
            "files": list(entry.files) if entry else [],
            "rendered_at": (entry.rendered_at[:16].replace("T", " ") + " UTC") if entry else ""}


def write_indexes(
    out_dir: Path,
    companies: Sequence[IndexCompany],
    entries: dict[tuple[str, str], ManifestEntry],
    brand: Brand,
) -> list[Path]:
    """Write every company's ``index.html`` and the portfolio ``index.html``.

    Stages are listed in cycle order; a stage appears when any company has an
    entry for it.

    Returns
    -------
    list of Path
        The pages written, the portfolio last.
    """
    from alignkit import __version__
    env = _environment()
    stages = [s for s in STAGES if any(key[1] == s for key in entries)]
    stages += sorted({key[1] for key in entries} - set(STAGES))  # per-company outputs: deck, summary
    common = {"brand": brand, "version": __version__, "generated": now_iso()[:16].replace("T", " ")
              + " UTC"}
    written = []
    rows_by_company = []
    for company in companies:
        cells = {s: entries.get((company.slug, s)) for s in stages}
        if not any(cells.values()):
            continue
        rows = [_stage_row(s, cells[s]) for s in stages]
        folder = out_dir / company.slug
        folder.mkdir(parents=True, exist_ok=True)
        page = env.get_template("company.html.j2").render(company=company, rows=rows, **common)
        write_atomic(folder / "index.html", page)
        written.append(folder / "index.html")
        rows_by_company.append({"slug": company.slug, "name": company.name, "cells": cells})
    counts = {"companies": len(rows_by_company),
              "ok": sum(e.status in ("ok", "skipped") for e in entries.values()),
              "failed": sum(e.status == "failed" for e in entries.values())}
    page = env.get_template("portfolio.html.j2").render(
        companies=rows_by_company, stages=stages, counts=counts, **common)
    write_atomic(out_dir / "index.html", page)
    written.append(out_dir / "index.html")
    return written
