"""Portfolio benchmarks: percentiles among clients, published without exposing any one of them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from alignkit.analysis.benchmarks import (
    INDEX,
    PERCENTILES,
    BenchmarkError,
    build_benchmark,
    company_position,
    company_values,
    count_band,
    pool_workspace,
)
from alignkit.catalog.instrument import Instrument
from alignkit.cli.app import main
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace

# Company i has i of its 12 respondents answering 5 and the rest 2: mean 2 + i/4.
CLIENTS = [(f"client-{w}", f"{w.title()} Holdings", i)
           for i, w in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
                                  "golf"], start=1)]


def _survey(path: Path, instrument: Instrument, high: int, *, copies: int = 1) -> Path:
    items = list(instrument.items_frame()["item"])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["respondent_id", "team", *items])
        writer.writeheader()
        for copy in range(copies):
            for n in range(12):
                writer.writerow({"respondent_id": f"R{copy}-{n}",
                                 "team": "Sales" if n % 2 else "Marketing",
                                 **dict.fromkeys(items, 5 if n < high else 2)})
    return path


def _portfolio(root: Path, instrument: Instrument, clients: list[tuple[str, str, int]],
               copies: dict[str, int] | None = None) -> Workspace:
    ws = Workspace(root)
    for slug, name, high in clients:
        ws.add_company(slug, name)
        csv_path = _survey(root.parent / f"{root.name}-{slug}.csv", instrument, high,
                           copies=(copies or {}).get(slug, 1))
        import_survey(csv_path, company=slug, wave="baseline", workspace=ws)
    return ws


def _cli(ws: Workspace, *args: str) -> object:
    return CliRunner().invoke(main, ["benchmark", *args, "--workspace", str(ws.root)])


def test_four_companies_publish_nothing(tmp_path: Path, instrument: Instrument) -> None:
    ws = _portfolio(tmp_path / "ws", instrument, CLIENTS[:4])
    with pytest.raises(BenchmarkError, match="at least 5 companies"):
        build_benchmark(pool_workspace(ws, instrument=instrument), instrument)
    result = _cli(ws, "build")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: no benchmark")
    assert not (ws.root / "benchmark.json").exists()
    shown = _cli(ws, "show", "--company", "client-alpha", "--json")
    assert shown.exit_code == 1 and "benchmark build" in shown.output


def test_min_companies_is_never_below_five(tmp_path: Path, instrument: Instrument) -> None:
    with pytest.raises(BenchmarkError, match="at least 5"):
        build_benchmark([{INDEX: 50.0}] * 9, instrument, min_companies=4)
    refused = _cli(Workspace(tmp_path / "ws"), "build", "--min-companies", "3")
    assert refused.exit_code == 1
    assert refused.output == "error: a benchmark needs at least 5 companies per figure; 3 is too few\n"
    assert "least: 5]" in _cli(Workspace(tmp_path / "ws"), "build", "--help").output


def test_six_companies_publish_percentiles(tmp_path: Path, instrument: Instrument) -> None:
    ws = _portfolio(tmp_path / "ws", instrument, CLIENTS[:6])
    built = _cli(ws, "build")
    assert built.exit_code == 0, built.output
    stored = json.loads((ws.root / "benchmark.json").read_text(encoding="utf-8"))
    assert stored["companies"] == "5–9" and not stored["withheld"]
    assert [f["figure"] for f in stored["figures"]] == [INDEX, *instrument.dimension_names()]
    first = next(iter(instrument.dimension_names()))
    dim = next(f for f in stored["figures"] if f["figure"] == first)
    # means 2.25 … 3.5; each percentile is a company's value at that rank, on a 0.1 grid; the
    # 90th would be the top company's own 3.5 with six companies, so it is withheld (null)
    assert [dim[f"p{p}"] for p in PERCENTILES[:3]] == pytest.approx([2.5, 2.8, 3.2])
    assert dim["p90"] is None
    assert not {"mean", "n", "count"} & set(dim)

    shown = _cli(ws, "show", "--company", "client-alpha", "--json")
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.output)
    row = next(f for f in payload["figures"] if f["figure"] == first)
    assert row["value"] == pytest.approx(2.25) and row["position"] == "below the 25th percentile"
    top = json.loads(_cli(ws, "show", "--company", "client-foxtrot", "--json").output)
    assert next(f for f in top["figures"] if f["figure"] == first)["position"] == (
        "above the 75th percentile")


def test_one_company_never_sees_another(tmp_path: Path, instrument: Instrument) -> None:
    ws = _portfolio(tmp_path / "ws", instrument, CLIENTS[:6])
    assert _cli(ws, "build").exit_code == 0
    for slug, _, _ in CLIENTS[:6]:
        for args in (("--json",), ()):
            out = _cli(ws, "show", "--company", slug, *args).output
            others = [(s, n) for s, n, _ in CLIENTS if s != slug]
            for other_slug, other_name in others:
                assert other_slug not in out and other_name not in out
                assert other_name.split()[0] not in out


def test_removing_a_company_between_points_changes_nothing(instrument: Instrument) -> None:
    values = [2 + i / 4 for i in range(1, 7)]  # 2.25 … 3.5
    pooled = [dict.fromkeys([INDEX, *instrument.dimension_names()], v) for v in values]
    full = build_benchmark(pooled, instrument)
    points = full.figures.iloc[1][[f"p{p}" for p in PERCENTILES]].tolist()
    inside = next(i for i, v in enumerate(values) if points[1] < v < points[2])
    without = build_benchmark(pooled[:inside] + pooled[inside + 1:], instrument)
    assert full.figures.equals(without.figures) and full.companies == without.companies
    # Its exact value moves nothing either, so no build can be solved for it.
    moved = [dict(p) for p in pooled]
    moved[inside] = {k: v + 0.04 for k, v in moved[inside].items()}
    assert build_benchmark(moved, instrument).figures.equals(full.figures)


def test_published_figures_are_other_companies_values(instrument: Instrument) -> None:
    rng = np.random.default_rng(7)
    values = list(rng.uniform(1.5, 4.5, size=12))
    dim = list(instrument.dimension_names())[0]
    for gone in range(len(values)):
        rest = values[:gone] + values[gone + 1:]
        figures = build_benchmark([{INDEX: 50.0, dim: v} for v in rest], instrument).figures
        published = figures[figures["figure"] == dim].iloc[0]
        snapped = {round(round(v / 0.1) * 0.1, 4) for v in rest}
        assert {published[f"p{p}"] for p in PERCENTILES} <= snapped


@pytest.mark.parametrize(("n", "band"), [(5, "5–9"), (9, "5–9"), (10, "10–24"), (24, "10–24"),
                                         (25, "25+"), (80, "25+")])
def test_count_is_banded(n: int, band: str) -> None:
    assert count_band(n) == band


def test_a_dimension_few_companies_report_is_withheld(instrument: Instrument) -> None:
    dims = list(instrument.dimension_names())
    pooled = [{INDEX: 40.0 + i, dims[0]: 3.0 + i / 10} for i in range(6)]
    pooled += [{INDEX: 60.0, dims[1]: 3.0}]  # one company alone reports dims[1]
    result = build_benchmark(pooled, instrument)
    assert dims[1] in result.withheld and dims[1] not in set(result.figures["figure"])
    assert dims[0] in set(result.figures["figure"])


def test_each_company_weighs_the_same(tmp_path: Path, instrument: Instrument) -> None:
    once = _portfolio(tmp_path / "once", instrument, CLIENTS[:6])
    twice = _portfolio(tmp_path / "twice", instrument, CLIENTS[:6], copies={"client-alpha": 4})
    a = build_benchmark(pool_workspace(once, instrument=instrument), instrument)
    b = build_benchmark(pool_workspace(twice, instrument=instrument), instrument)
    assert a.to_json() == b.to_json()
    # A company's headcount never counts: the figures are those of one value per company.
    values = [company_values(slug, workspace=twice)[INDEX] for slug, _, _ in CLIENTS[:6]]
    expected = build_benchmark([{INDEX: v} for v in values], instrument).figures.iloc[0]
    assert a.figures.iloc[0].equals(expected)


@pytest.mark.parametrize("n", [5, 6, 9, 10, 12, 30])
def test_no_published_point_is_the_lowest_or_highest_clients_own_value(
        instrument: Instrument, n: int) -> None:
    """The attack: read the top (or bottom) client's score straight off a published point."""
    values = [30.0 + 40.0 * k / (n - 1) for k in range(n)]  # distinct, spread on the grid
    figures = build_benchmark([{INDEX: v} for v in values], instrument).figures
    points = [float(figures.iloc[0][f"p{p}"]) for p in PERCENTILES]
    assert all(round(min(values)) != round(x) != round(max(values)) for x in points
               if np.isfinite(x))
    assert np.isfinite(points[3]) == (n >= 10)  # the 90th appears from ten clients on


def test_position_words(instrument: Instrument) -> None:
    pooled = [{INDEX: float(v)} for v in (20, 40, 50, 60, 70, 80, 85, 88, 90, 95)]
    result = build_benchmark(pooled, instrument)
    points = [float(result.figures.iloc[0][f"p{p}"]) for p in PERCENTILES]
    words = company_position(result, {INDEX: (points[1] + points[2]) / 2})["position"].iloc[0]
    assert words == "between the median and the 75th percentile"
    assert company_position(result, {INDEX: 99.0})["position"].iloc[0] == (
        "above the 90th percentile")
    assert company_position(result, {})["position"].iloc[0] == ""
