"""Report tables: :func:`report_table` shapes a display table for a client report.

(Reading the small tracking files lives in :mod:`alignkit.intake.cells`.)
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["report_table"]

#: Columns of a report table whose dates should never wrap.
_DATE_COLUMNS = ("Due", "Last update", "First", "Latest")


def report_table(frame: pd.DataFrame, name: str) -> Styler:
    """A display table for a client report: no index column, every cell left-aligned.

    ``name`` makes the table's HTML id (stable, so a report rendered twice is identical).
    Cells and headers are HTML-escaped: a ``Styler`` writes text into the page as it
    is, so an owner or a note typed as markup would otherwise run in the reader's browser.
    """
    cells = [{"selector": s, "props": "text-align: left; vertical-align: top;"}
             for s in ("th", "td")]
    if frame.empty:  # no rows: show nothing rather than a header over an empty table
        frame = pd.DataFrame()
    dates = [c for c in frame.columns if c in _DATE_COLUMNS]
    return (frame.style.hide(axis="index").set_uuid(name).set_table_styles(cells)
            .format(escape="html").format_index(escape="html", axis=1)
            .set_properties(subset=dates, **{"white-space": "nowrap"}))
