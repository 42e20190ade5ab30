"""``alignkit`` commands for batch."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the batch commands to ``main``."""
