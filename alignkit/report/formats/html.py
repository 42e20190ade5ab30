"""The self-contained HTML page: charts, tables and the widget script embedded, no code shown."""

from __future__ import annotations

from alignkit.report.formats import OutputFormat

FORMAT = OutputFormat("html", ".html", "self-contained page for any browser, offline",
                      lambda exporter, page: page)
