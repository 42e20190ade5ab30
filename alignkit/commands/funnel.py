"""``alignkit`` commands for funnel."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the funnel commands to ``main``."""
