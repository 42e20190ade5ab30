"""Shared fixtures for the alignkit test suite.

Keep this file small: fixtures used by several test modules only.

* ``instrument``        – the bundled survey instrument.
* ``canonical_columns`` – header of the canonical response template.
* ``workspace``         – an empty workspace with company ``acme`` ("Acme Corp").
* ``write_survey``      – write rows as a canonical CSV into ``tmp_path``.
* ``data_dir``          – ``tests/data`` (small hand-written fixture files).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.store.workspace import Workspace

DATA_DIR = Path(__file__).parent / "data"


# -- instrument ---------------------------------------------------------------
@pytest.fixture
def instrument() -> Instrument:
    return load_instrument()


@pytest.fixture
def canonical_columns(instrument: Instrument) -> list[str]:
    """``respondent_id, team, role, <item ids in instrument order>, comment``."""
    return ["respondent_id", "team", "role", *[i.id for i in instrument.items], "comment"]


# -- files and workspaces -----------------------------------------------------
@pytest.fixture
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.add_company("acme", "Acme Corp")
    return ws


@pytest.fixture
def write_survey(
    tmp_path: Path, canonical_columns: list[str]
) -> Callable[..., Path]:
    """Return ``write(rows, name="survey.csv", columns=None) -> Path``.

    ``rows`` are mappings from column header to cell; cells not given are left
    blank. ``columns`` defaults to the canonical template header. The file is
    UTF-8 CSV written with :mod:`csv` (so commas, quotes and newlines in cells
    are quoted properly).
    """

    def write(
        rows: Iterable[Mapping[str, object]],
        name: str = "survey.csv",
        columns: list[str] | None = None,
    ) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns or canonical_columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write
