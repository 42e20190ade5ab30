"""What every command group shares: the workspace and anonymity options, JSON output and the
group class that turns alignkit errors into one line.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD, MIN_THRESHOLD
from alignkit.exceptions import AlignkitError

__all__ = ["Group", "anonymity_option", "open_workspace", "print_json", "workspace_option"]

workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path),
    envvar="ALIGNKIT_WORKSPACE", default=None, show_envvar=True,
    help="Workspace folder holding alignkit.db, raw/ and reports/ [default: current folder].",
)
anonymity_option = click.option(
    "--anonymity-min", type=click.IntRange(min=MIN_THRESHOLD), default=DEFAULT_THRESHOLD,
    show_default=True, help=f"Smallest group shown in results (never below {MIN_THRESHOLD}).",
)


def open_workspace(path: Path | None) -> Any:
    """The workspace at ``path`` (``None``: ``$ALIGNKIT_WORKSPACE`` or the current folder)."""
    from alignkit.store.workspace import Workspace

    return Workspace(path)


def print_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON (dates and other objects as text)."""
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, default=str))


class Group(click.Group):
    """A click group that turns alignkit errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AlignkitError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(1)
        except OSError as err:  # e.g. a read-only or missing folder
            click.echo(f"error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), err=True)
            ctx.exit(1)
        except sqlite3.Error as err:  # the store names its own errors; this is the backstop
            click.echo(f"error: the workspace database: {err}", err=True)
            ctx.exit(1)
