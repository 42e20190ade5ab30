"""The ``alignkit`` command line: the click app (:mod:`alignkit.cli.app`) and one module per
command group (shared options in :mod:`alignkit.cli.options`).

``main`` is looked up on first use, so importing one command module stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from alignkit.cli.app import main

        return main
    raise AttributeError(f"module 'alignkit.cli' has no attribute {name!r}")
