"""Maturity on the HBR 2006 levels: scores, levels, the data file and the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from alignkit.analysis.maturity import framework_score, group_maturity, levels_apart
from alignkit.analysis.wave import WaveData, score_wave
from alignkit.catalog.maturity import load_maturity_framework
from alignkit.cli.app import main
from alignkit.exceptions import InstrumentError
from alignkit.store.workspace import Company

K = 5


def survey(instrument, values: dict[str, float], n: int = 6) -> pd.DataFrame:
    rows = [(f"{team}{i}", team, item.id, float(value))
            for team, value in values.items() for i in range(n) for item in instrument.items]
    return pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])


def scored(instrument, answers: pd.DataFrame):
    people = answers.drop_duplicates("respondent")[["respondent", "team"]].assign(
        role="", comment="")
    return score_wave(WaveData(Company("acme", "Acme", None), "w1", answers, people,
                               instrument), anonymity_min=K)


def test_the_bundled_framework_has_four_described_levels():
    fw = load_maturity_framework()
    assert fw.framework == "HBR 2006" and (fw.scale_min, fw.scale_max) == (20, 100)
    assert [(lvl.name, lvl.min_score) for lvl in fw.levels] == [
        ("Undefined", 20), ("Defined", 40), ("Aligned", 60), ("Integrated", 80)]
    assert all(lvl.looks_like and lvl.next_step for lvl in fw.levels)


@pytest.mark.parametrize("score, name", [(20, "Undefined"), (39.9, "Undefined"),
                                         (40, "Defined"), (59.99999999999999, "Aligned"),
                                         (79.9, "Aligned"), (80, "Integrated"),
                                         (100, "Integrated")])
def test_levels_start_at_their_min_score(score, name):
    assert load_maturity_framework().level_of(score).name == name


@pytest.mark.parametrize("mean, score", [(1, 20), (2, 40), (3, 60), (4, 80), (5, 100)])
def test_score_is_twenty_times_the_mean(instrument, mean, score):
    assert framework_score(mean, instrument) == pytest.approx(score)


@pytest.mark.parametrize("value, score, name", [(3, 60, "Aligned"), (2, 40, "Defined")])
def test_a_survey_of_one_answer_is_on_its_level(instrument, value, score, name):
    scores = scored(instrument, survey(instrument, {"sales": value, "marketing": value}))
    out = scores.maturity.set_index("group")
    assert set(out.index) == {"overall", "sales", "marketing"}
    assert out["score"].tolist() == pytest.approx([score] * 3)
    assert (out["level_name"] == name).all() and (out["framework"] == "HBR 2006").all()


def test_the_score_uses_shown_dimension_means_only(instrument):
    dims = pd.DataFrame({"group": ["sales", "sales", "sales"], "dimension": ["a", "b", "c"],
                         "mean": [4.0, 2.0, np.nan], "suppressed": [False, False, False]})
    dims.loc[len(dims)] = ["sales", "d", 1.0, True]
    out = group_maturity(dims, instrument)
    assert out.loc[0, "score"] == pytest.approx(60) and out.loc[0, "level_name"] == "Aligned"


def test_levels_apart(instrument):
    scores = scored(instrument, survey(instrument, {"sales": 1, "marketing": 5}))
    assert levels_apart(scores.maturity) == 3  # Undefined and Integrated
    same = scored(instrument, survey(instrument, {"sales": 3, "marketing": 3}))
    assert levels_apart(same.maturity) == 0
    assert levels_apart(scores.maturity, between=("sales", "finance")) is None


def test_a_broken_framework_file_is_refused(tmp_path: Path):
    path = tmp_path / "fw.yaml"
    path.write_text("id: x\nframework: X\nsource: s\nscale: {min: 20, max: 100}\nlevels:\n"
                    "  - {level: 1, name: A, min_score: 30, looks_like: a, next_step: b}\n")
    with pytest.raises(InstrumentError, match="min_score"):
        load_maturity_framework(path)


def test_score_json_has_maturity_and_reliability(tmp_path: Path, write_survey, canonical_columns,
                                                  instrument):
    items = [i.id for i in instrument.items]
    rows = [{"respondent_id": f"{team[0]}{k}", "team": team, **{i: "3" for i in items}}
            for team in ("Sales", "Marketing") for k in range(6)]
    rows += [{"respondent_id": "L1", "team": "Leadership", **{i: "5" for i in items}}]
    source = write_survey(rows)
    root = str(tmp_path / "ws")
    runner = CliRunner()
    for args in (["company", "add", "acme", "--name", "Acme"],
                 ["import", "survey", str(source), "--company", "acme", "--wave", "w1"]):
        result = runner.invoke(main, [*args, "--workspace", root])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["score", "--company", "acme", "--wave", "w1", "--json",
                                  "--workspace", root])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    by_group = {r["group"]: r for r in out["index"]}
    assert set(by_group) == {"overall", "sales", "marketing"}  # the lone leader is left out
    for row in by_group.values():
        assert row["maturity"] == {"framework": "HBR 2006", "score_20_100": 60.0,
                                   "level": "Aligned"}
        assert row["index"] == pytest.approx(50.0) and row["level_name"]  # unchanged
    assert set(out["reliability"]) == set(instrument.dimension_names())
    for dim in out["reliability"].values():
        assert set(dim) == {"alpha", "n", "flag"}
        assert dim["n"] == 12 and dim["alpha"] is None  # all answers equal: no spread
