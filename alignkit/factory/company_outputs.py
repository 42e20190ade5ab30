"""The per-company outputs of a batch: the steering deck and the executive one-pager.

A company-scope format (:mod:`alignkit.report.formats`) is built once per
company from its engagement over the batch's stages, in the batch's own
process, after the stage reports. Each output file lands beside the company's
reports (``<out>/<company>/deck.pptx``, ``summary.html``, ``summary.pdf``) and
gets a manifest entry whose ``stage`` is the file's stem (``deck``, ``summary``),
so the manifest and the index pages list it. A company whose output fails is
recorded as failed; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.exceptions import AlignkitError
from alignkit.factory.manifest import ManifestEntry
from alignkit.report.formats import CompanyContext, output_format
from alignkit.report.render import report_day, write_atomic
from alignkit.report.scrub import WORKSPACE
from alignkit.store.workspace import Workspace

__all__ = ["write_company_outputs"]


def write_company_outputs(ws: Workspace, out: Path, companies: Sequence[str], stages: Sequence[str],
                          formats: Sequence[str], base: dict[str, Any]) -> list[ManifestEntry]:
    """Build every company format of ``formats`` for each company; one manifest entry per file stem.

    ``base`` holds the batch's ``wave``, ``anonymity_min``, ``as_of`` and ``brand``.
    """
    chosen = [output_format(name) for name in dict.fromkeys(formats)]
    chosen = [fmt for fmt in chosen if fmt.scope == "company"]
    if not chosen:
        return []
    exporter = None
    if any(fmt.suffix == ".pdf" for fmt in chosen):
        from alignkit.report.html import ReportExporter

        exporter = ReportExporter()  # one printer for every company's PDF
    by_stem: dict[str, list[Any]] = {}
    for fmt in chosen:
        by_stem.setdefault(fmt.stem, []).append(fmt)
    try:
        return [_build(ws, out, slug, stem, fmts, stages, base, exporter)
                for slug in companies for stem, fmts in by_stem.items()]
    finally:
        if exporter is not None:
            exporter.close()


def _build(ws: Workspace, out: Path, slug: str, stem: str, fmts: list[Any], stages: Sequence[str],
           base: dict[str, Any], exporter: Any) -> ManifestEntry:
    started = time.perf_counter()
    parameters = {"company": slug, "wave": base.get("wave", "baseline"),
                  "stages": list(stages), "formats": [f.name for f in fmts],
                  "anonymity_min": base.get("anonymity_min"), "workspace": WORKSPACE}
    try:
        day = report_day(ws, slug, base.get("as_of", ""))
        parameters["as_of"] = day
        context = CompanyContext(ws, slug, tuple(stages), wave=base.get("wave", "baseline"),
                                 as_of=day, anonymity_min=base.get("anonymity_min", DEFAULT_THRESHOLD),
                                 brand=base.get("brand"), exporter=exporter)
        folder = out / slug
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for fmt in fmts:
            write_atomic(folder / fmt.file_name, fmt.build(context))
            files.append(fmt.file_name)
    except (AlignkitError, OSError, ValueError, KeyError) as err:
        return ManifestEntry(slug, stem, "failed", round(time.perf_counter() - started, 3),
                             parameters, "", error_name=type(err).__name__,
                             error_message=str(err).split("\n")[0])
    return ManifestEntry(slug, stem, "ok", round(time.perf_counter() - started, 3), parameters, "",
                         files=tuple(files), attempts=1)
