"""Output formats of a report, behind one registry: a new format is one new module here.

Each module of this package defines ``FORMAT``, an :class:`OutputFormat`: its
name (what ``--format`` takes), the suffix of the file it writes, and how it
turns the rendered page into that file. :func:`output_formats` finds them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from alignkit.exceptions import ReportError

__all__ = ["OutputFormat", "output_format", "output_formats"]


@dataclass(frozen=True)
class OutputFormat:
    """One kind of file a report can be written as.

    ``export(exporter, page)`` gets the :class:`~alignkit.report.html.ReportExporter`
    and the report's HTML page and returns the file's text or bytes.
    """

    name: str
    suffix: str
    description: str
    export: Callable[[Any, str], str | bytes]


@cache
def output_formats() -> dict[str, OutputFormat]:
    """Every format of this package by name, in module order (html first)."""
    found: dict[str, OutputFormat] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "html", m.name)):
        fmt = getattr(importlib.import_module(f"{__name__}.{module.name}"), "FORMAT", None)
        if isinstance(fmt, OutputFormat):
            found[fmt.name] = fmt
    return found


def output_format(name: str) -> OutputFormat:
    """The format called ``name``; :class:`ReportError` naming the choices otherwise."""
    formats = output_formats()
    if name not in formats:
        raise ReportError(f"unknown format {name!r}; choose from {', '.join(formats)}")
    return formats[name]
