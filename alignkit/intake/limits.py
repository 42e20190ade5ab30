"""How big an intake file may be, and the one way to allow more: environment variables.

Every file alignkit imports (survey exports, CRM funnel exports, KPI and action
update files, mapping files) is checked against these limits before it is
parsed, so that a huge or hostile file is refused in a moment instead of
filling the memory:

========================  =======================  ==========================
limit                     default                  environment variable
========================  =======================  ==========================
file size                 200 MB                   ``ALIGNKIT_MAX_FILE_MB``
workbook, unpacked        500 MB                   ``ALIGNKIT_MAX_XLSX_MB``
rows (header included)    200,000                  ``ALIGNKIT_MAX_ROWS``
columns                   1,000                    ``ALIGNKIT_MAX_COLUMNS``
cells                     20,000,000               ``ALIGNKIT_MAX_CELLS``
========================  =======================  ==========================

An ``.xlsx`` file is a zip archive: a few megabytes can unpack to gigabytes,
so the unpacked size of its members is summed before a workbook is opened. A
text file under the size limit can still hold tens of millions of tiny cells,
each a Python object once read: the cell limit bounds the memory a file takes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alignkit.exceptions import IntakeError

__all__ = ["LIMITS", "Limit", "limit_error"]


@dataclass(frozen=True)
class Limit:
    """One limit: what it counts, its default and the variable that raises it."""

    what: str  # "the <what> limit"
    counted: str  # "has more <counted> than …"
    default: int
    variable: str
    unit: str = ""
    scale: int = 1

    def value(self, path: Path | None = None) -> int:
        """The limit in force: the environment variable if set, else the default (in units).

        ``path`` is the file being checked, named if the variable is not a number.
        """
        text = os.environ.get(self.variable, "").strip().replace("_", "")
        if not text:
            return self.default
        if not text.isdigit() or int(text) < 1:
            raise IntakeError(f"the environment variable {self.variable}={text!r} is not a "
                              f"whole number above 0; set it to e.g. {self.default * 2}",
                              file=path)
        return int(text)

    def allowed(self, path: Path | None = None) -> int:
        """The limit in counted units (bytes for sizes)."""
        return self.value(path) * self.scale

    def shown(self) -> str:
        return f"{self.value():,}{self.unit}"


LIMITS = {
    "file": Limit("file size", "bytes", 200, "ALIGNKIT_MAX_FILE_MB", " MB", 1024 * 1024),
    "xlsx": Limit("unpacked workbook size", "bytes", 500, "ALIGNKIT_MAX_XLSX_MB", " MB",
                  1024 * 1024),
    "rows": Limit("row", "rows", 200_000, "ALIGNKIT_MAX_ROWS"),
    "columns": Limit("column", "columns", 1_000, "ALIGNKIT_MAX_COLUMNS"),
    "cells": Limit("cell", "cells", 20_000_000, "ALIGNKIT_MAX_CELLS"),
}


def limit_error(name: str, found: str | None, path: Path, *, row: int | None = None,
                advice: str = "split the file") -> IntakeError:
    """The one-line refusal of a file over a limit, saying how to raise the limit.

    ``found`` says what the file holds ("the file is 250 MB"); ``None`` when
    reading stopped at the limit, so only "more than" is known.
    """
    limit = LIMITS[name]
    over = (f"{found}, more than the {limit.what} limit of {limit.shown()}" if found else
            f"has more {limit.counted} than the {limit.what} limit of {limit.shown()}")
    return IntakeError(
        f"{over}; {advice}, or raise the limit with the environment variable {limit.variable} "
        f"(e.g. {limit.variable}={limit.value() * 2})",
        file=path, row=row,
    )
