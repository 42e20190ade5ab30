"""CLI commands beyond the core ones in :mod:`alignkit.cli.app`, one module per area.

Each module exposes ``register(main)``, which adds its commands to the
``alignkit`` group (or to one of its sub-groups, such as ``import``).
"""

from __future__ import annotations

import importlib

import click

MODULES = ("engagement", "funnel", "plan", "tracking", "batch", "benchmark", "drivers", "comments",
           "deck")


def register_all(main: click.Group) -> None:
    """Add every area's commands to ``main``."""
    for name in MODULES:
        importlib.import_module(f"alignkit.cli.{name}").register(main)
