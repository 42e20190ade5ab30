"""Output formats, behind one registry: a new format is one new module here.

Each module of this package defines ``FORMAT``, an :class:`OutputFormat`: its
name (what ``--format`` takes), the suffix of the file it writes, and how it
makes that file. :func:`output_formats` finds them all.

A format has one of two scopes:

``report``
    Made from one stage report's rendered HTML page: ``export(exporter, page)``
    (``html``, ``pdf``). A batch writes ``<company>/<stage><suffix>``.
``company``
    Made from one company's engagement data over the stages of a cycle, not
    from any one page: ``build(context)`` with a :class:`CompanyContext`
    (``pptx``, the steering deck; ``onepager`` and ``onepager-pdf``, the
    executive summary). A batch writes ``<company>/<stem><suffix>`` once per company.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.exceptions import ReportError

__all__ = ["CompanyContext", "OutputFormat", "company_formats", "output_format", "output_formats",
           "report_formats"]

SCOPES = ("report", "company")


@dataclass(frozen=True)
class CompanyContext:
    """What a company-scope format is built from.

    ``workspace`` is a :class:`~alignkit.store.workspace.Workspace` (or its
    folder), ``stages`` the stages of the cycle to cover (in cycle order),
    ``as_of`` the day figures are read for (empty: the stored report date,
    else today), ``brand`` a :class:`~alignkit.report.branding.Brand` (``None``:
    the default), ``template`` an optional client PowerPoint template and
    ``exporter`` an optional :class:`~alignkit.report.html.ReportExporter` to
    print with (one is made when needed).
    """

    workspace: Any
    company: str
    stages: tuple[str, ...] = ("identify", "plan", "execute", "recap")
    wave: str = "baseline"
    followup_wave: str = "followup"
    as_of: str = ""
    anonymity_min: int = DEFAULT_THRESHOLD
    brand: Any = None
    template: Path | None = None
    exporter: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class OutputFormat:
    """One kind of file alignkit can write.

    ``scope`` is ``report`` (``export(exporter, page)`` gets the
    :class:`~alignkit.report.html.ReportExporter` and one report's HTML page) or
    ``company`` (``build(context)`` gets a :class:`CompanyContext`; the file is
    named ``stem + suffix``). Either returns the file's text or bytes.
    """

    name: str
    suffix: str
    description: str
    export: Callable[[Any, str], str | bytes] | None = None
    scope: str = "report"
    build: Callable[[CompanyContext], str | bytes] | None = None
    stem: str = ""

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ReportError(f"format {self.name}: scope must be one of {', '.join(SCOPES)}")
        if (self.scope == "report") != (self.export is not None) or (
                self.scope == "company") != (self.build is not None and bool(self.stem)):
            raise ReportError(f"format {self.name}: a report format needs export, a company "
                              "format needs build and stem")

    @property
    def file_name(self) -> str:
        """The file a company format writes in the company's folder (``stem + suffix``)."""
        return f"{self.stem}{self.suffix}"


@cache
def output_formats() -> dict[str, OutputFormat]:
    """Every format of this package by name: report formats first (html first), then company ones."""
    found: dict[str, OutputFormat] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "html", m.name)):
        fmt = getattr(importlib.import_module(f"{__name__}.{module.name}"), "FORMAT", None)
        if isinstance(fmt, OutputFormat):
            found[fmt.name] = fmt
    return dict(sorted(found.items(), key=lambda kv: kv[1].scope != "report"))


def output_format(name: str) -> OutputFormat:
    """The format called ``name``; :class:`ReportError` naming the choices otherwise."""
    formats = output_formats()
    if name not in formats:
        raise ReportError(f"unknown format {name!r}; choose from {', '.join(formats)}")
    return formats[name]


def report_formats(names: Sequence[str]) -> tuple[str, ...]:
    """Those of ``names`` made from one stage report's page, in the order given."""
    return tuple(n for n in names if output_format(n).scope == "report")


def company_formats(names: Sequence[str]) -> tuple[str, ...]:
    """Those of ``names`` built once per company from its engagement, in the order given."""
    return tuple(n for n in names if output_format(n).scope == "company")
