"""The executive one-pager as a self-contained HTML page (see :mod:`alignkit.report.onepager`)."""

from __future__ import annotations

from alignkit.report.formats import CompanyContext, OutputFormat


def _build(context: CompanyContext) -> str:
    from alignkit.report.onepager import onepager_html

    return onepager_html(context)


FORMAT = OutputFormat("onepager", ".html", "executive one-pager, one per company",
                      scope="company", build=_build, stem="summary")
