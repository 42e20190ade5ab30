"""The rendered Identify page: the benchmark appears from six clients and never names
another, not from four; the comments of a team of eight appear nowhere.

Renders reports with a kernel: slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from alignkit.catalog.instrument import Instrument
from alignkit.cli.app import main
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace

pytestmark = pytest.mark.slow

OWN = ("acme", "Acme Corp")
OTHERS = [("zephyrine-widgets", "Zephyrine Widgets"), ("quokka-freight", "Quokka Freight"),
          ("marlowe-dental", "Marlowe Dental"), ("bellweather-labs", "Bellweather Labs"),
          ("orchid-insurance", "Orchid Insurance")]
SALES_WORDS = "The hand-off from marketing is slow and the leads go cold"
SMALL_TEAM_WORDS = "Nobody reads the quarterly campaign brief we send, honestly"


def _rows(instrument: Instrument, seed: int, *, comments: bool) -> list[dict[str, object]]:
    """12 sales and 8 marketing people; each company's level differs by its seed."""
    rng = np.random.default_rng(seed)
    base = 2.2 + 0.3 * (seed % 7)
    rows = []
    for k in range(20):
        team = "sales" if k < 12 else "marketing"
        row: dict[str, object] = {"respondent_id": f"p{seed}-{k}", "team": team}
        for item in instrument.items:
            row[item.id] = int(np.clip(np.rint(base + rng.normal(0, 0.8)), 1, 5))
        if comments:
            row["comment"] = SALES_WORDS if team == "sales" else SMALL_TEAM_WORDS
        rows.append(row)
    return rows


def _add(ws: Workspace, write: Callable[..., Path], instrument: Instrument, slug: str,
         name: str, seed: int) -> None:
    ws.add_company(slug, name)
    path = write(_rows(instrument, seed, comments=slug == OWN[0]), name=f"{slug}.csv")
    import_survey(path, company=slug, wave="baseline", workspace=ws)


def _run(ws: Workspace, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(ws.root)])


def _section(page: str) -> str:
    """The benchmark section of a rendered Identify page."""
    start = page.index("Where you stand among the clients")
    return page[start:page.index("From lead to customer", start)]


def _identify(ws: Workspace) -> str:
    result = _run(ws, "report", "--company", OWN[0], "--stage", "identify")
    assert result.exit_code == 0, result.output
    return (ws.root / "reports" / OWN[0] / "identify.html").read_text(encoding="utf-8")


def test_the_benchmark_shows_from_six_clients_without_naming_any(
        tmp_path: Path, instrument: Instrument, write_survey: Callable[..., Path]) -> None:
    ws = Workspace(tmp_path / "ws")
    _add(ws, write_survey, instrument, *OWN, seed=1)
    for seed, (slug, name) in enumerate(OTHERS[:3], start=2):
        _add(ws, write_survey, instrument, slug, name, seed)
    four = _run(ws, "benchmark", "build")
    assert four.exit_code != 0 and "at least 5 companies" in four.output
    page = _identify(ws)
    assert "No portfolio benchmark in this report" in page
    assert "data:image/svg" not in _section(page)  # no chart either

    for seed, (slug, name) in enumerate(OTHERS[3:], start=5):
        _add(ws, write_survey, instrument, slug, name, seed)
    six = _run(ws, "benchmark", "build")
    assert six.exit_code == 0, six.output
    page = _identify(ws)
    assert "5–9 clients" in _section(page) and "data:image/svg" in _section(page)
    lowered = page.lower()
    for slug, name in OTHERS:
        assert name.lower() not in lowered and slug not in lowered
        assert name.split()[0].lower() not in lowered

    # The comments: the sales team of 12 is quoted, the marketing team of 8 nowhere.
    assert "hand-off from marketing is slow" in page
    assert "quarterly campaign brief" not in page
    out = _run(ws, "comments", "--company", OWN[0], "--wave", "baseline", "--json")
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["comments_used"] == 12 and "quarterly campaign brief" not in out.output
