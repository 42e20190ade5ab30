"""How alignkit writes the moment something happened: UTC, ISO 8601, to the second."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["now_iso"]


def now_iso() -> str:
    """The current UTC time, to the second: ``2024-05-01T09:30:00+00:00``."""
    return datetime.now(UTC).isoformat(timespec="seconds")
