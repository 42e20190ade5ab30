"""``alignkit`` commands for plan."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the plan commands to ``main``."""
