"""Key drivers of the outcome statement: general dominance, the pool, the CLI and the bench."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from alignkit.analysis.drivers import (
    MIN_COMPANY,
    driver_frame,
    general_dominance,
    key_drivers,
    load_drivers,
)
from alignkit.catalog.instrument import Instrument
from alignkit.cli.app import main
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace

PLANTED = ("incentives", "handoff")
BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench_drivers.py"
LINE = re.compile(r"bench-drivers: top two agree in \d+% of (\d+) half-samples "
                  r"\(planted found first in \d+%\)")


def simulated_rows(instrument: Instrument, people: int, seed: int) -> list[dict[str, object]]:
    """Survey rows whose outcome answer depends on the two planted dimensions only."""
    rng = np.random.default_rng(seed)
    dims = list(instrument.dimension_names())
    level = np.clip(3 + 0.4 * rng.normal(size=(people, 1))
                    + 0.8 * rng.normal(size=(people, len(dims))), 1, 5)
    a, b = (dims.index(d) for d in PLANTED)
    outcome = np.clip(np.rint(3 + 0.8 * (level[:, a] - 3) + 0.6 * (level[:, b] - 3)
                              + 0.4 * rng.normal(size=people)), 1, 5)
    rows = []
    for p in range(people):
        row: dict[str, object] = {"respondent_id": f"r{seed}-{p}",
                                  "team": ("Sales", "Marketing")[p % 2],
                                  instrument.outcome.id: int(outcome[p])}
        for d, dim in enumerate(instrument.dimensions):
            for item in dim.items:
                row[item.id] = int(np.clip(np.rint(level[p, d] + 0.3 * rng.normal()), 1, 5))
        rows.append(row)
    return rows


def long_answers(instrument: Instrument, rows: list[dict[str, object]]) -> pd.DataFrame:
    ids = [i.id for i in instrument.items]
    frame = pd.DataFrame(rows).melt(id_vars=["respondent_id", "team"], value_vars=ids,
                                    var_name="item", value_name="value")
    return frame.rename(columns={"respondent_id": "respondent"}).astype({"value": float})


def add_company(ws: Workspace, write: Callable[..., Path], instrument: Instrument, slug: str,
                people: int, seed: int) -> None:
    ws.add_company(slug)
    path = write(simulated_rows(instrument, people, seed), name=f"{slug}.csv")
    import_survey(path, company=slug, wave="baseline", workspace=ws)


def test_planted_drivers_come_out_first_and_importances_sum_to_r2(
        instrument: Instrument) -> None:
    frame = driver_frame(long_answers(instrument, simulated_rows(instrument, 150, 3)), instrument)
    assert len(frame) == 150 and list(frame.columns)[-1] == "outcome"
    view = key_drivers(frame, instrument, resamples=30)
    assert set(view.table["dimension"].head(2)) == set(PLANTED)
    assert view.table["importance"].sum() == pytest.approx(view.r2, abs=1e-9)
    assert 0 < view.r2 < 1
    assert (view.table["ci_low"] <= view.table["ci_high"]).all()
    top = view.table.iloc[0]
    assert top["quadrant"] == ("focus area" if top["score"] < 3.5 else "strength")
    assert set(view.table["quadrant"]) <= {"focus area", "strength", "maintain", "lower priority"}


def _lstsq_r2(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - residual.var() / y.var()


def test_general_dominance_matches_the_full_regression() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(80, 4))
    y = x @ np.array([1.0, 0.5, 0.0, 0.2]) + rng.normal(size=80)
    weights, r2 = general_dominance(x, y)
    assert r2 == pytest.approx(_lstsq_r2(x, y))
    assert weights.sum() == pytest.approx(r2) and int(np.argmax(weights)) == 0


def test_every_subset_r2_of_the_sweep_matches_its_own_regression() -> None:
    from alignkit.analysis.drivers import _correlations, _subset_r2

    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 5)) + rng.normal(size=(60, 1))  # correlated predictors
    y = x @ np.array([0.8, 0.0, -0.4, 0.3, 0.0]) + rng.normal(size=60)
    r2 = _subset_r2(_correlations(x[None], y[None]))[0]
    for mask in range(1, 2 ** 5):
        cols = [i for i in range(5) if mask >> i & 1]
        assert r2[mask] == pytest.approx(_lstsq_r2(x[:, cols], y), abs=1e-7), cols
    assert r2[0] == 0


def test_samples_swept_together_give_each_sample_its_own_r2() -> None:
    from alignkit.analysis.drivers import _correlations, _subset_r2

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(7, 40, 6)), rng.normal(size=(7, 40))
    together = _subset_r2(_correlations(x, y))
    assert together.shape == (7, 2 ** 6)
    for b in range(7):
        alone = _subset_r2(_correlations(x[b:b + 1], y[b:b + 1]))[0]
        assert np.array_equal(together[b], alone)
        mask = 0b101101
        cols = [i for i in range(6) if mask >> i & 1]
        assert together[b, mask] == pytest.approx(_lstsq_r2(x[b][:, cols], y[b]), abs=1e-7)


def test_weights_are_the_mean_gain_per_size_and_the_bootstrap_is_per_sample() -> None:
    from itertools import combinations

    from alignkit.analysis.drivers import _intervals

    rng = np.random.default_rng(12)
    x = rng.normal(size=(50, 4))
    x[:, 3] = x[:, 2]  # two identical columns stay solvable
    y = x[:, 0] + 0.5 * x[:, 2] + rng.normal(size=50)
    weights, _ = general_dominance(x, y)
    for i in range(4):
        others = [j for j in range(4) if j != i]
        per_size = [np.mean([_lstsq_r2(x[:, [*t, i]], y) - (_lstsq_r2(x[:, list(t)], y) if t else 0)
                             for t in combinations(others, k)]) for k in range(4)]
        assert weights[i] == pytest.approx(np.mean(per_size), abs=1e-6)
    # the samples are swept several at a time; each gives what it gives alone
    draws = [general_dominance(x[at], y[at])[0]
             for at in np.random.default_rng(3).integers(0, 50, size=(23, 50))]
    assert _intervals(x, y, 23, 3) == pytest.approx(np.percentile(draws, [2.5, 97.5], axis=0))


def test_a_wave_is_read_once_per_process_until_an_import_changes_it(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import alignkit.analysis.drivers as drivers

    import_survey(write_survey(simulated_rows(instrument, 40, 1), name="a.csv"),
                  company="acme", wave="baseline", workspace=workspace)
    reads = []
    real = drivers._published
    monkeypatch.setattr(drivers, "_published", lambda *a: reads.append(a[1]) or real(*a))
    first = load_drivers("acme", "baseline", workspace=workspace, resamples=0)
    again = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    assert reads == ["acme"] and first.n == again.n == 40  # the plan's and the report's call
    pd.testing.assert_series_equal(first.table.set_index("dimension")["score"],
                                   again.table.set_index("dimension")["score"])

    import_survey(write_survey(simulated_rows(instrument, 10, 2), name="b.csv"),
                  company="acme", wave="baseline", workspace=workspace)
    grown = load_drivers("acme", "baseline", workspace=workspace, resamples=0)
    assert reads == ["acme", "acme"] and grown.n == 50  # a new import: read again


def test_too_few_answers_give_the_reason_not_numbers(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument) -> None:
    path = write_survey(simulated_rows(instrument, 12, 1))
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    view = load_drivers("acme", "baseline", workspace=workspace)
    assert not view.available and view.r2 is None and view.table.empty
    assert "12 usable answers" in view.reason and str(MIN_COMPANY) in view.reason
    assert view.to_json()["dimensions"] == []


@pytest.mark.parametrize(("others", "people", "source"), [
    (4, 35, "portfolio"),   # 5 companies, 20 + 140 = 160 answers
    (3, 50, None),          # 4 companies, 170 answers
    (4, 30, None),          # 5 companies, 140 answers
])
def test_the_pool_needs_five_companies_and_150_answers(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument,
        others: int, people: int, source: str | None) -> None:
    path = write_survey(simulated_rows(instrument, 20, 0), name="acme.csv")
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    for i in range(others):
        add_company(workspace, write_survey, instrument, f"peer-{i}", people, seed=10 + i)
    view = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    assert view.source == source
    if source:
        assert view.n == 20 + others * people and view.companies == 5
    else:
        assert "portfolio pool" in view.reason


def test_the_pool_is_worked_out_once_kept_and_made_again_when_a_survey_changes(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import alignkit.analysis.drivers as drivers

    path = write_survey(simulated_rows(instrument, 20, 0), name="acme.csv")
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    for i in range(6):  # too small for a view of their own: each one's Identify reads the pool
        add_company(workspace, write_survey, instrument, f"peer-{i}", 25, seed=10 + i)
    first = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    assert first.source == "portfolio" and first.n == 20 + 6 * 25
    assert list((workspace.root / ".cache").rglob("*.json"))

    calls = []
    real = drivers.general_dominance
    monkeypatch.setattr(drivers, "general_dominance",
                        lambda x, y: calls.append(len(y)) or real(x, y))
    again = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    peer = load_drivers("peer-0", "baseline", workspace=workspace, resamples=5)
    assert calls == []  # the same pool: read from the cache, for acme and its peer alike
    pd.testing.assert_frame_equal(again.table, first.table)
    assert (again.n, again.r2, again.companies) == (first.n, first.r2, first.companies)
    assert peer.n == first.n and peer.table["importance"].tolist() == pytest.approx(
        first.table.set_index("dimension").loc[peer.table["dimension"], "importance"].tolist())

    # a new survey in the portfolio gives a new pool; the old cached one is not read
    add_company(workspace, write_survey, instrument, "peer-new", 25, seed=99)
    grown = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    assert calls and grown.n == first.n + 25 and grown.companies == 8
    # and what the cache gives is what a fresh computation gives
    for stale in (workspace.root / ".cache").rglob("*.json"):
        stale.unlink()
    fresh = load_drivers("acme", "baseline", workspace=workspace, resamples=5)
    pd.testing.assert_frame_equal(fresh.table, grown.table)


def test_cli_json_has_the_keys(workspace: Workspace, write_survey: Callable[..., Path],
                               instrument: Instrument) -> None:
    path = write_survey(simulated_rows(instrument, 40, 2))
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    done = CliRunner().invoke(main, ["drivers", "--company", "acme", "--wave", "baseline",
                                     "--resamples", "10", "--json", "-w", str(workspace.root)])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.output)
    assert {"n", "r2", "source", "method"} <= set(payload)
    assert payload["source"] == "company" and payload["n"] == 40
    assert len(payload["dimensions"]) == len(instrument.dimensions)
    for row in payload["dimensions"]:
        assert {"importance", "ci_low", "ci_high", "score", "quadrant"} <= set(row)
    text = CliRunner().invoke(main, ["drivers", "--company", "acme", "--resamples", "0",
                                     "-w", str(workspace.root)])
    assert text.exit_code == 0 and "general dominance" in text.output


def test_the_bench_prints_its_line() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--halves", "5"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and LINE.fullmatch(lines[0]), done.stdout
    assert LINE.fullmatch(lines[0]).group(1) == "5"


def test_planted_drivers_lead_the_cli_and_the_plan_end_to_end(
        workspace: Workspace, write_survey: Callable[..., Path], instrument: Instrument) -> None:
    """A survey imported as a consultant would: `drivers` puts the planted two first, and
    `plan build` gives its first action to one of them (they move the outcome)."""
    path = write_survey(simulated_rows(instrument, 120, 4))
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    done = CliRunner().invoke(main, ["drivers", "--company", "acme", "--resamples", "0",
                                     "--json", "-w", str(workspace.root)])
    assert done.exit_code == 0, done.output
    top = [row["dimension"] for row in json.loads(done.output)["dimensions"][:2]]
    assert set(top) == set(PLANTED)
    built = CliRunner().invoke(main, ["plan", "build", "--company", "acme", "--start",
                                      "2026-03-02", "--json", "-w", str(workspace.root)])
    assert built.exit_code == 0, built.output
    actions = json.loads(built.output)["actions"]
    assert actions[0]["dimension"] in PLANTED
