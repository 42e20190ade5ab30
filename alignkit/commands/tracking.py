"""``alignkit`` commands for tracking."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the tracking commands to ``main``."""
