"""What a workspace keeps of an imported survey file: everything but who answered it.

An import reads e-mail, name and network-address columns only to spot
repeated submissions and to make each respondent's key, which the store
keeps as a pseudonym. After that they serve no purpose, and a copy of them
in ``raw/`` would undo the pseudonyms. So the raw copy of a file with such
columns is the file without them: every other column of every row (header
rows included) exactly as read, written as UTF-8 CSV. A file without them
is kept byte for byte, and ``alignkit import survey --keep-raw`` keeps any
file unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

__all__ = ["redacted_copy"]


def redacted_copy(path: str | Path, drop: Iterable[int]) -> bytes | None:
    """The file at ``path`` as CSV without the columns ``drop`` (0-based positions).

    Returns ``None`` when there is nothing to drop: the file is then kept
    unchanged. Cells that were not valid UTF-8 keep their bytes.
    """
    dropped = set(drop)
    if not dropped:
        return None
    from alignkit.intake.table import read_raw

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for record in read_raw(path).records:
        writer.writerow([cell for k, cell in enumerate(record) if k not in dropped])
    return buffer.getvalue().encode("utf-8", "surrogateescape")
