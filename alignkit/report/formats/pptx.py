"""The editable steering deck: native PowerPoint charts and tables (see :mod:`alignkit.report.deck`)."""

from __future__ import annotations

from alignkit.report.formats import CompanyContext, OutputFormat


def _build(context: CompanyContext) -> bytes:
    from alignkit.report.deck import build_deck

    return build_deck(context)


FORMAT = OutputFormat("pptx", ".pptx", "editable PowerPoint steering deck, one per company",
                      scope="company", build=_build, stem="deck")
