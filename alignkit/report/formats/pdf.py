"""The A4 print of the page, made by the system Chromium (needs ``alignkit[pdf]``)."""

from __future__ import annotations

from alignkit.report.formats import OutputFormat

FORMAT = OutputFormat("pdf", ".pdf", "A4 print through the system Chromium",
                      lambda exporter, page: exporter.to_pdf(page))
