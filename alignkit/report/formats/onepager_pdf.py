"""The executive one-pager printed on one A4 page by the system Chromium (needs ``alignkit[pdf]``)."""

from __future__ import annotations

from alignkit.report.formats import CompanyContext, OutputFormat


def _build(context: CompanyContext) -> bytes:
    from alignkit.report.onepager import onepager_pdf

    return onepager_pdf(context)


FORMAT = OutputFormat("onepager-pdf", ".pdf", "executive one-pager printed on one A4 page",
                      scope="company", build=_build, stem="summary")
