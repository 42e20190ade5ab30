"""Where alignkit's bundled files are: the stage notebooks and the report templates.

Both ship inside the package (``alignkit/notebooks`` and ``alignkit/templates``,
links to the top-level folders in a checkout, real folders in an installed
wheel) and are found through :mod:`importlib.resources`, so alignkit renders
reports from any installation, not only from its source tree.
``$ALIGNKIT_NOTEBOOKS`` and ``$ALIGNKIT_TEMPLATES`` point elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

__all__ = ["code_cell_sources", "notebooks_dir", "templates_dir"]


def _bundled(name: str) -> Path:
    return Path(str(resources.files("alignkit").joinpath(name)))


def notebooks_dir() -> Path:
    """The folder holding the stage notebooks (``$ALIGNKIT_NOTEBOOKS`` overrides)."""
    return Path(os.environ.get("ALIGNKIT_NOTEBOOKS") or _bundled("notebooks"))


def templates_dir() -> Path:
    """The folder holding the nbconvert templates (``$ALIGNKIT_TEMPLATES`` overrides)."""
    return Path(os.environ.get("ALIGNKIT_TEMPLATES") or _bundled("templates"))


def code_cell_sources(notebooks: Iterable[Path]) -> list[str]:
    """The source of every code cell of ``notebooks``, in order (read as JSON: no nbformat)."""
    return ["".join(cell.get("source", []))
            for path in notebooks
            for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            if cell.get("cell_type") == "code"]
