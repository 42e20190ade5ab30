"""Machine paths out of what a failed report leaves next to the client's reports.

A failed report keeps its executed notebook (``<stage>.failed.ipynb``) so
the consultant can see which cell failed and why. As executed it names the
machine it ran on: the workspace folder in its parameters, the Python
installation, temporary folders and the user's home in every traceback.
Report folders travel (shared drives, archives, e-mail), so the kept
notebook says ``<workspace>`` for the workspace and keeps only the last part
of any other absolute path (``…/wave.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["WORKSPACE", "scrub_notebook", "scrub_text"]

WORKSPACE = "<workspace>"

# An absolute path starts a text, follows a space, quote, bracket, '=' or a colour
# code, and has at least one folder: the folders go, the last part stays.
_POSIX = re.compile(r"(^|[\s'\"(\[{=,;]|\x1b\[[0-9;]*m)(/(?:[^/\s'\"<>:\\\x1b]+/)+)")
_WINDOWS = re.compile(r"(^|[\s'\"(\[{=,;]|\x1b\[[0-9;]*m)([A-Za-z]:(?:\\\\?[^\\\s'\"<>:]+)+\\\\?)"
                      r"(?=[^\\\s'\"<>:]+)")
_BINARY = ("image/png", "image/jpeg", "image/gif", "application/pdf")


def _spellings(folders: Iterable[Path]) -> list[str]:
    found = set()
    for folder in folders:
        for form in (str(folder), str(folder.resolve())):
            found.update({form, form.replace("\\", "\\\\")})
    return sorted(found, key=len, reverse=True)  # the longest first: no partial matches


def scrub_text(text: str, workspace: Path | None = None) -> str:
    """``text`` with the workspace as ``<workspace>`` and other absolute paths shortened.

    Examples
    --------
    >>> scrub_text('File /home/ana/venv/lib/pandas/core/frame.py:12, in f()')
    'File …/frame.py:12, in f()'
    >>> scrub_text('workspace = "/srv/clients/acme"', Path("/srv/clients/acme"))
    'workspace = "<workspace>"'
    >>> scrub_text("see https://example.com/a/b and 2024/05/06 and and/or")
    'see https://example.com/a/b and 2024/05/06 and and/or'
    """
    for spelling in _spellings([workspace] if workspace is not None else []):
        text = text.replace(spelling, WORKSPACE)
    text = _POSIX.sub(lambda m: f"{m.group(1)}…/", text)
    return _WINDOWS.sub(lambda m: f"{m.group(1)}…\\", text)


def scrub_notebook(notebook: Any, workspace: Path | None = None) -> Any:
    """Scrub every text of a notebook (sources, outputs, tracebacks, metadata) in place.

    Images and other binary outputs are left as they are.
    """
    def clean(value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            return value if key in _BINARY else scrub_text(value, workspace)
        if isinstance(value, list):
            return [clean(item, key) for item in value]
        if isinstance(value, dict):
            for name in list(value):
                value[name] = clean(value[name], name)
        return value

    return clean(notebook)
