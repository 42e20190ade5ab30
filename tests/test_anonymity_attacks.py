"""Attacks on published figures: each test plays a reader who subtracts what alignkit publishes.

A reader of a report, of ``alignkit score --json`` or of an export knows who is in
which team and may know who left a question blank. The tests here give that reader
every published figure (with its ``n``) and check that no combination of them
yields a hidden group's or a single person's answers. The strongest check,
:func:`isolated`, needs no attack recipe at all: every published mean is a linear
function of the answers, so a linear combination of figures depends on a set T of
people only if the rank of the figures' coefficient matrix drops when T's answers
are removed from it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignkit.analysis.wave import WaveData, WaveScores, load_wave, score_wave
from alignkit.catalog.instrument import OUTCOME_DIMENSION, Instrument
from alignkit.exceptions import AlignkitError
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Company, Workspace
from alignkit.track.recap import compare_waves

K = 5
TEAMS = ("sales", "marketing", "leadership", "other")


# -- made-up surveys ----------------------------------------------------------------------
@dataclasses.dataclass
class Person:
    respondent: str
    team: str
    answers: dict[str, float]  # item -> 1..5, NaN for N/A
    comment: str = ""


def make_people(instrument: Instrument, teams: dict[str, int], *, seed: int = 1,
                prefix: str = "p", na_rate: float = 0.0) -> list[Person]:
    """Random 1-5 answers; ``na_rate`` of the items answered N/A at random."""
    rng = np.random.default_rng(seed)
    out = []
    for team, size in teams.items():
        for k in range(size):
            values = {item.id: float(rng.integers(1, 6)) for item in instrument.items}
            for item in values:
                if rng.random() < na_rate:
                    values[item] = np.nan
            out.append(Person(f"{prefix}-{team}-{k}", team, values,
                              f"{team.upper()}-SAYS-{prefix}-{k}"))
    return out


def skip(person: Person, instrument: Instrument, dimension: str,
         items: Iterable[int] | None = None) -> None:
    """``person`` answers N/A to a dimension (or to the given item positions of it)."""
    dim = next(d for d in instrument.dimensions if d.id == dimension)
    for pos, item in enumerate(dim.items):
        if items is None or pos in set(items):
            person.answers[item.id] = np.nan


def as_wave(people: list[Person], instrument: Instrument, wave: str = "baseline") -> WaveData:
    rows = [(p.respondent, p.team, item, value) for p in people
            for item, value in p.answers.items()]
    answers = pd.DataFrame(rows, columns=["respondent", "team", "item", "value"])
    answers = answers.astype({"respondent": "category", "team": "category", "item": "category"})
    respondents = pd.DataFrame([(p.respondent, p.team, "", p.comment) for p in people],
                               columns=["respondent", "team", "role", "comment"])
    return WaveData(Company("acme", "Acme Corp", None), wave, answers, respondents, instrument)


def survey_rows(people: list[Person]) -> list[dict[str, str]]:
    rows = []
    for p in people:
        row = {"respondent_id": p.respondent, "team": p.team.title(), "comment": p.comment}
        row |= {item: ("N/A" if np.isnan(v) else str(int(v))) for item, v in p.answers.items()}
        rows.append(row)
    return rows


# -- the auditor ---------------------------------------------------------------------------
def _published(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame[~frame["suppressed"].astype(bool)] if "suppressed" in frame else frame
    value = "index" if "index" in shown else "mean"
    return shown[shown[value].notna()]


class Figures:
    """The published figures of one or more renders as rows of linear functionals.

    Columns are the (respondent, item) answers of the raw wave. ``values`` rows hold
    the means, ``shares`` rows the favourable shares (a separate unknown per answer:
    "is it favourable"). Each row is checked against the published value, so the
    model of what a figure adds up is known to be right.
    """

    def __init__(self, raw: pd.DataFrame, instrument: Instrument) -> None:
        self.instrument = instrument
        self.raw = raw.dropna(subset=["value"]).assign(
            respondent=lambda f: f["respondent"].astype(str), item=lambda f: f["item"].astype(str))
        self.raw["dimension"] = self.raw["item"].map(instrument.items_frame().set_index("item")
                                                     ["dimension"])
        self.col = {key: n for n, key in enumerate(zip(self.raw["respondent"], self.raw["item"],
                                                       strict=True))}
        self.values: list[np.ndarray] = []
        self.shares: list[np.ndarray] = []

    def _members(self, frame: pd.DataFrame, group: str) -> pd.DataFrame:
        answered = frame.dropna(subset=["value"]).assign(
            respondent=lambda f: f["respondent"].astype(str), item=lambda f: f["item"].astype(str),
            team=lambda f: f["team"].astype(str))
        answered["dimension"] = answered["item"].map(
            self.instrument.items_frame().set_index("item")["dimension"])
        return answered if group == "overall" else answered[answered["team"] == group]

    def _row(self, cells: pd.DataFrame, weight: pd.Series) -> np.ndarray:
        row = np.zeros(len(self.col))
        for (who, item), w in zip(zip(cells["respondent"], cells["item"], strict=True), weight,
                                  strict=True):
            row[self.col[(who, item)]] += w
        return row

    def add(self, scores: WaveScores, frame: pd.DataFrame) -> None:
        """Add one render's figures; ``frame`` holds the answers its figures were built from."""
        dims = _published(scores.dimensions)
        for rec in dims.itertuples(index=False):
            cells = self._members(frame, str(rec.group))
            cells = cells[cells["dimension"] == rec.dimension]
            per_person = cells.groupby("respondent")["value"].transform("size")
            assert cells["respondent"].nunique() == rec.n, rec
            assert cells.groupby("respondent")["value"].mean().mean() == pytest.approx(rec.mean)
            fav = cells["value"] >= self.instrument.favourable_min
            assert fav.mean() == pytest.approx(rec.favourable)
            self.values.append(self._row(cells, 1 / per_person))
            self.shares.append(self._fav_row(cells))
        for rec in _published(scores.items).itertuples(index=False):
            cells = self._members(frame, str(rec.group))
            cells = cells[cells["item"] == rec.item]
            assert len(cells) == rec.n and cells["value"].mean() == pytest.approx(rec.mean), rec
            self.values.append(self._row(cells, pd.Series(1.0, index=cells.index)))
            self.shares.append(self._fav_row(cells))
        for rec in _published(scores.index).itertuples(index=False):
            own = dims[dims["group"].astype(str) == str(rec.group)]
            derived = (own["mean"].mean() - 1) / 4 * 100
            if derived == pytest.approx(rec.index):
                continue  # a combination of published dimension means: nothing new
            cells = self._members(frame, str(rec.group))
            cells = cells[cells["dimension"] != OUTCOME_DIMENSION]
            c = cells.groupby(["respondent", "dimension"])["value"].transform("size")
            a = cells.groupby("respondent")["dimension"].transform("nunique")
            assert cells["respondent"].nunique() == rec.n
            self.values.append(self._row(cells, 1 / (a * c)))
        gaps = scores.gaps
        if len(gaps):  # the two sides of a gap are the published dimension means
            side = dims.set_index(["dimension", dims["group"].astype(str)])["mean"]
            a, b = gaps.attrs["a"], gaps.attrs["b"]
            for rec in gaps.itertuples(index=False):
                assert side[(rec.dimension, a)] == pytest.approx(rec.a_mean)
                assert side[(rec.dimension, b)] == pytest.approx(rec.b_mean)

    def _fav_row(self, cells: pd.DataFrame) -> np.ndarray:
        return self._row(cells, pd.Series(1.0, index=cells.index))

    def isolated(self, people: Iterable[str]) -> bool:
        """Can some combination of the figures be computed from these people's answers alone?

        Such a combination exists exactly when the figures' row space holds a vector that
        is zero outside these people's answers, i.e. when a basis of the null space,
        restricted to their answers, has less than full rank. The figures of different
        dimensions share no answers unless a row (a person-level index) ties them, so
        the check runs on each independent block of answers.
        """
        people = set(people)
        for null, owners in self._null_spaces():
            mine = np.array([who in people for who in owners])
            if mine.any() and np.linalg.matrix_rank(null[mine], tol=1e-9) < mine.sum():
                return True
        return False

    def _null_spaces(self) -> list[tuple[np.ndarray, list[str]]]:
        if getattr(self, "_cache", None) is None:
            owners = [who for who, _ in self.col]
            dims = self.raw["dimension"].to_numpy()
            self._cache = []
            for rows in (self.values, self.shares):
                if not rows:
                    continue
                q = np.vstack(rows)
                touched = [set(dims[np.flatnonzero(r)]) for r in q]
                blocks: list[set[str]] = []
                for found in touched:  # merge dimensions tied by one row
                    joined = [b for b in blocks if b & found]
                    merged = set(found).union(*joined)
                    blocks = [b for b in blocks if not b & found] + [merged]
                for block in blocks:
                    cols = np.flatnonzero(np.isin(dims, list(block)))
                    part = q[:, cols]
                    part = part[np.abs(part).sum(axis=1) > 0]
                    _, sv, vt = np.linalg.svd(part)
                    rank = int((sv > 1e-9 * max(sv.max(), 1)).sum())
                    self._cache.append((vt[rank:].T, [owners[c] for c in cols]))
        return self._cache


def figures_of(*renders: tuple[WaveData, WaveScores]) -> Figures:
    figures = Figures(renders[0][0].answers, renders[0][0].instrument)
    for data, scores in renders:
        figures.add(scores, getattr(scores, "answers", data.answers))
    return figures


def small_sets(data: WaveData, instrument: Instrument, k: int = K, seed: int = 3
               ) -> list[set[str]]:
    """Sets of fewer than k people a reader would aim at.

    Each person; each small team; per team and dimension, the people who skipped it
    wholly or in part; every k - 1 of a team's people who skipped anything (when
    they are few; else a sample); and random sets of k - 1 people.
    """
    from itertools import combinations

    answers = data.answers.assign(respondent=data.answers["respondent"].astype(str),
                                  team=data.answers["team"].astype(str),
                                  item=data.answers["item"].astype(str))
    answers["dimension"] = answers["item"].map(instrument.items_frame().set_index("item")
                                               ["dimension"])
    people = answers.drop_duplicates("respondent")
    out = [{p} for p in people["respondent"]]
    rng = np.random.default_rng(seed)
    for _, part in answers.groupby("team"):
        members = sorted(set(part["respondent"]))
        if len(members) < k:
            out.append(set(members))
        missing = part[part["value"].isna()]
        for _, skipped in missing.groupby("dimension"):
            who = set(skipped["respondent"])
            if len(who) < k:
                out.append(who)
        irregular = sorted(set(missing["respondent"]))
        if len(irregular) < k:
            out.append(set(irregular))
        elif len(irregular) <= 7:
            out += [set(c) for c in combinations(irregular, k - 1)]
        else:
            out += [set(rng.choice(irregular, k - 1, replace=False)) for _ in range(6)]
        out += [set(rng.choice(members, min(k - 1, len(members)), replace=False))
                for _ in range(2)]
    everyone = list(people["respondent"])
    out += [set(rng.choice(everyone, k - 1, replace=False)) for _ in range(4)]
    return [t for t in out if t]


def leaks(figures: Figures, data: WaveData) -> list[set[str]]:
    return [t for t in small_sets(data, figures.instrument) if figures.isolated(t)]


# -- attack 1: subtraction across groups and dimensions -------------------------------------
def _leader_index_from(payload: dict, dimensions: int) -> float | None:
    """The reader's recipe for the first attack of the brief, on ``score --json``.

    The overall and visible-team figures give the hidden people's summed index and,
    per dimension, their summed dimension means. One hidden person skipped a whole
    dimension, so their index divides by one dimension fewer: two equations, and the
    sum of that person's dimension means falls out.
    """
    index = {r["group"]: r for r in payload["index"]}
    teams = [g for g in index if g != "overall"]
    hidden = index["overall"]["n"] - sum(index[g]["n"] for g in teams)
    if hidden <= 0:
        return None
    people_means = (index["overall"]["index"] * index["overall"]["n"]
                    - sum(index[g]["index"] * index[g]["n"] for g in teams)) / 25 + hidden
    dims: dict[str, dict[str, dict]] = {}
    for row in payload["dimensions"]:
        dims.setdefault(row["dimension"], {})[row["group"]] = row
    total = 0.0
    for rows in dims.values():
        if "overall" not in rows:
            return None
        total += rows["overall"]["mean"] * rows["overall"]["n"] - sum(
            rows[g]["mean"] * rows[g]["n"] for g in teams if g in rows)
    d = dimensions
    own = (people_means - total / d) / (1 / (d - 1) - 1 / d)
    return (own / (d - 1) - 1) / 4 * 100


def _seven_four_two_one(instrument: Instrument) -> tuple[list[Person], Person]:
    people = make_people(instrument, {"sales": 7, "marketing": 4, "leadership": 2, "other": 1},
                         seed=11)
    leader = next(p for p in people if p.team == "leadership")
    skip(leader, instrument, "sla")
    return people, leader


def _true_index(person: Person, instrument: Instrument) -> float:
    means = [np.nanmean([person.answers[i.id] for i in d.items]) for d in instrument.dimensions
             if not np.isnan([person.answers[i.id] for i in d.items]).all()]
    return (np.mean(means) - 1) / 4 * 100


def test_subtraction_across_dimensions_recovers_no_leader(instrument):
    """7 sales, 4 marketing, 2 leadership, 1 other: a leader's N/A must not expose them."""
    people, leader = _seven_four_two_one(instrument)
    data = as_wave(people, instrument)
    payload = json.loads(json.dumps(score_wave(data, anonymity_min=K).to_json()))
    guess = _leader_index_from(payload, len(instrument.dimensions))
    assert guess is None or abs(guess - _true_index(leader, instrument)) > 1.0

    # Stronger: what is published does not depend on the hidden people's answers at all.
    hidden = {p.respondent for p in people if p.team != "sales"}
    others = make_people(instrument, {"sales": 7, "marketing": 4, "leadership": 2, "other": 1},
                         seed=99)
    swapped = [dataclasses.replace(p, answers=q.answers) if p.respondent in hidden else p
               for p, q in zip(people, others, strict=True)]
    again = json.loads(json.dumps(score_wave(as_wave(swapped, instrument),
                                             anonymity_min=K).to_json()))
    assert again == payload


SCENARIOS: dict[str, Callable[[Instrument], list[Person]]] = {}


def scenario(fn: Callable[[Instrument], list[Person]]) -> Callable[[Instrument], list[Person]]:
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def brief_7_4_2_1(instrument):
    return _seven_four_two_one(instrument)[0]


@scenario
def pooled_leader_skips_a_dimension(instrument):
    people = make_people(instrument, {"sales": 8, "marketing": 6, "leadership": 3, "other": 2},
                         seed=12)
    skip(next(p for p in people if p.team == "leadership"), instrument, "handoff")
    return people


@scenario
def one_partial_answerer(instrument):
    # One salesperson skips one process item: their process mean differs from the item view.
    people = make_people(instrument, {"sales": 7, "marketing": 9}, seed=13)
    skip(people[0], instrument, "process", items=[2])
    return people


@scenario
def whole_dimensions_skipped(instrument):
    people = make_people(instrument, {"sales": 9, "marketing": 8, "leadership": 5}, seed=14)
    for k, dim in enumerate(["sla", "sla", "content", "tools", "tools", "tools"]):
        skip(people[3 * k], instrument, dim)
    return people


@scenario
def item_rarely_answered(instrument):
    # Most people skip one data item: few answer the whole dimension.
    people = make_people(instrument, {"sales": 8, "marketing": 7}, seed=15)
    for p in people[:12]:
        skip(p, instrument, "data", items=[3])
    return people


@scenario
def random_na_demo_like(instrument):
    return make_people(instrument, {"sales": 12, "marketing": 9, "leadership": 6, "other": 5},
                       seed=16, na_rate=0.05)


@scenario
def small_company_overall_only(instrument):
    people = make_people(instrument, {"sales": 3, "marketing": 3, "leadership": 1}, seed=17,
                         na_rate=0.05)
    skip(people[0], instrument, "content")
    return people


@scenario
def pool_with_partial_and_skipping_members(instrument):
    people = make_people(instrument, {"sales": 14, "marketing": 11, "leadership": 4,
                                      "other": 3}, seed=18, na_rate=0.08)
    for p in people[-7:-4]:
        skip(p, instrument, "incentives")
    return people


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_published_figure_set_isolates_anyone(instrument, name):
    data = as_wave(SCENARIOS[name](instrument), instrument)
    scores = score_wave(data, anonymity_min=K)
    assert leaks(figures_of((data, scores)), data) == []


# -- attack 2: the late respondent ------------------------------------------------------------
@pytest.fixture
def reported_wave(workspace: Workspace, write_survey, instrument):
    """A wave of 10 sales and 10 marketing people, imported and scored (so published)."""
    people = make_people(instrument, {"sales": 10, "marketing": 10}, seed=21, prefix="first")
    path = write_survey(survey_rows(people), name="first.csv")
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    score_wave(load_wave("acme", "baseline", workspace=workspace), anonymity_min=K)
    return workspace


def test_one_late_respondent_is_held(reported_wave, write_survey, instrument):
    before = score_wave(load_wave("acme", "baseline", workspace=reported_wave),
                        anonymity_min=K).to_json()
    late = make_people(instrument, {"sales": 1}, seed=22, prefix="late")
    path = write_survey(survey_rows(late), name="late.csv")
    with pytest.raises(AlignkitError, match="reopen"):
        import_survey(path, company="acme", wave="baseline", workspace=reported_wave)
    assert len(reported_wave.respondents("acme", "baseline")) == 20
    after = score_wave(load_wave("acme", "baseline", workspace=reported_wave),
                       anonymity_min=K).to_json()
    assert after == before


def test_late_import_uneven_across_teams_is_held(reported_wave, write_survey, instrument):
    # Five people in all, but marketing's figures would move by one person.
    late = make_people(instrument, {"sales": 4, "marketing": 1}, seed=23, prefix="late")
    path = write_survey(survey_rows(late), name="late.csv")
    with pytest.raises(AlignkitError, match="marketing"):
        import_survey(path, company="acme", wave="baseline", workspace=reported_wave)


def test_reopen_imports_with_a_warning(reported_wave, write_survey, instrument):
    late = make_people(instrument, {"sales": 1}, seed=24, prefix="late")
    path = write_survey(survey_rows(late), name="late.csv")
    result = import_survey(path, company="acme", wave="baseline", workspace=reported_wave,
                           reopen=True)
    assert result.imported and "re-opened" in result.message
    scores = score_wave(load_wave("acme", "baseline", workspace=reported_wave), anonymity_min=K)
    assert int(scores.sizes.set_index("group").loc["sales", "n"]) == 11


def test_a_safe_late_batch_is_accepted_and_isolates_no_one(reported_wave, write_survey,
                                                             instrument):
    first = load_wave("acme", "baseline", workspace=reported_wave)
    first_scores = score_wave(first, anonymity_min=K)
    late = make_people(instrument, {"sales": 5, "marketing": 6}, seed=25, prefix="late")
    path = write_survey(survey_rows(late), name="late.csv")
    assert import_survey(path, company="acme", wave="baseline", workspace=reported_wave).imported
    second = load_wave("acme", "baseline", workspace=reported_wave)
    second_scores = score_wave(second, anonymity_min=K)
    # Both renders together: the figures may reveal the batch of 11, never fewer than K.
    figures = Figures(second.answers, instrument)
    figures.add(first_scores, getattr(first_scores, "answers", first.answers))
    figures.add(second_scores, getattr(second_scores, "answers", second.answers))
    assert leaks(figures, second) == []


def _late_partial(instrument):
    base = make_people(instrument, {"sales": 12, "marketing": 10}, seed=51, prefix="a")
    for p in base[:5]:
        skip(p, instrument, "goals", items=[1])
    late = make_people(instrument, {"sales": 10}, seed=52, prefix="b")
    for p in late[:5]:
        skip(p, instrument, "goals", items=[0, 2])
    return base, late


def _late_new_group(instrument):
    return (make_people(instrument, {"sales": 10, "marketing": 10, "leadership": 2}, seed=53,
                        prefix="a"),
            make_people(instrument, {"leadership": 3}, seed=54, prefix="b"))


def _late_skipping(instrument):
    base = make_people(instrument, {"sales": 10, "marketing": 10}, seed=55, prefix="a")
    skip(base[12], instrument, "sla")
    late = make_people(instrument, {"sales": 5, "marketing": 5}, seed=56, prefix="b")
    for p in late[5:]:
        skip(p, instrument, "tools")
    return base, late


@pytest.mark.parametrize("case", [_late_partial, _late_new_group, _late_skipping],
                         ids=lambda f: f.__name__.strip("_"))
def test_accepted_late_batches_isolate_no_one(instrument, case):
    """Rule 7 lets these batches through; both renders together still single no one out."""
    from alignkit.analysis.disclosure import plan_disclosure, republication_problems

    base, late = case(instrument)
    first, second = as_wave(base, instrument), as_wave(base + late, instrument)
    assert republication_problems(plan_disclosure(first.answers, instrument, K),
                                  plan_disclosure(second.answers, instrument, K)) == []
    figures = Figures(second.answers, instrument)
    for data in (first, second):
        scores = score_wave(data, anonymity_min=K)
        figures.add(scores, scores.answers)
    assert leaks(figures, second) == []


def test_without_rule_7_the_late_respondent_is_read_off():
    """The auditor itself: two renders around one late respondent do expose that person."""
    from alignkit.catalog.instrument import load_instrument

    instrument = load_instrument()
    base = make_people(instrument, {"sales": 10, "marketing": 10}, seed=57, prefix="a")
    late = make_people(instrument, {"sales": 1}, seed=58, prefix="b")
    first, second = as_wave(base, instrument), as_wave(base + late, instrument)
    figures = Figures(second.answers, instrument)
    for data in (first, second):
        scores = score_wave(data, anonymity_min=K)
        figures.add(scores, scores.answers)
    assert figures.isolated({late[0].respondent})


def test_a_new_threshold_cannot_redraw_a_published_wave(workspace, write_survey, instrument):
    # At 5, three leaders and two others are one pool; at 3 or 4 the leaders would stand
    # alone and the pool's published figure minus theirs would give the two others.
    people = make_people(instrument, {"sales": 8, "marketing": 8, "leadership": 3, "other": 2},
                         seed=26)
    import_survey(write_survey(survey_rows(people)), company="acme", wave="baseline",
                  workspace=workspace)
    data = load_wave("acme", "baseline", workspace=workspace)
    first = score_wave(data, anonymity_min=K).to_json()
    for other in (3, 6):
        with pytest.raises(AlignkitError, match="anonymity-min 5"):
            score_wave(data, anonymity_min=other)
    assert score_wave(data, anonymity_min=K).to_json() == first  # the same again
    # A threshold that redraws nothing is allowed: the figures are the same ones.
    again = score_wave(data, anonymity_min=4).to_json()
    assert {k: v for k, v in again.items() if k != "anonymity_min"} == {
        k: v for k, v in first.items() if k != "anonymity_min"}


def test_rendering_twice_gives_the_same_figures(instrument):
    data = as_wave(SCENARIOS["random_na_demo_like"](instrument), instrument)
    one, two = score_wave(data, anonymity_min=K), score_wave(data, anonymity_min=K)
    assert one.to_json() == two.to_json()
    pd.testing.assert_frame_equal(one.comments, two.comments)


# -- attack 3: the core view is kept; small groups are pooled or left out ----------------------
def test_a_small_third_group_never_hides_sales_or_marketing(instrument):
    people = make_people(instrument, {"sales": 6, "marketing": 6, "leadership": 2}, seed=31)
    data = as_wave(people, instrument)
    scores = score_wave(data, anonymity_min=K)
    payload = scores.to_json()
    assert {r["group"] for r in payload["index"]} == {"overall", "sales", "marketing"}
    assert {r["n"] for r in payload["index"]} == {12, 6}  # the two leaders are in no figure
    assert len(scores.gaps) == len(instrument.dimensions)
    assert payload["left_out"]["respondents"] == 2
    assert "leadership" in payload["left_out"]["reason"]
    leaders = {p.respondent for p in people if p.team == "leadership"}
    assert not leaders & set(scores.answers["respondent"].astype(str))

    from alignkit.charts import identify_text as narrative
    text = narrative.key_findings(scores)
    assert "cannot be compared" not in text
    table = narrative.participation_table(scores)
    assert "2" in " ".join(table.astype(str).to_numpy().ravel())
    assert "left out" in " ".join(table.astype(str).to_numpy().ravel()).lower()


def test_small_groups_are_pooled_when_the_pool_is_large_enough(instrument):
    people = make_people(instrument, {"sales": 8, "marketing": 7, "leadership": 3, "other": 2},
                         seed=32)
    scores = score_wave(as_wave(people, instrument), anonymity_min=K)
    payload = scores.to_json()
    groups = {r["group"]: r["n"] for r in payload["index"]}
    assert groups == {"overall": 20, "sales": 8, "marketing": 7, "leadership & other": 5}
    assert payload["left_out"]["respondents"] == 0
    # a pool's figures are shown, but not its members' comments: free text of one of
    # three leaders can give its author away
    assert set(scores.comments["team"]) == {"sales", "marketing"}
    assert not scores.comments["comment"].str.contains("LEADERSHIP|OTHER").any()


def test_comments_of_people_left_out_are_never_shown(instrument):
    people = make_people(instrument, {"sales": 6, "marketing": 6, "leadership": 2, "other": 1},
                         seed=33)
    scores = score_wave(as_wave(people, instrument), anonymity_min=K)
    text = "\n".join(scores.comments["comment"])
    assert "LEADERSHIP-SAYS" not in text and "OTHER-SAYS" not in text
    assert set(scores.comments["team"]) == {"sales", "marketing"}


# -- attack 4: across waves -----------------------------------------------------------------------
def test_recap_does_not_depend_on_people_left_out(instrument):
    teams = {"sales": 8, "marketing": 7, "leadership": 2}
    base = make_people(instrument, teams, seed=41, prefix="b")
    follow = make_people(instrument, teams, seed=42, prefix="f")
    swap = make_people(instrument, teams, seed=43, prefix="x")

    def recap(followup: list[Person]):
        return compare_waves(as_wave(base, instrument),
                             as_wave(followup, instrument, wave="followup"), anonymity_min=K)

    one = recap(follow)
    two = recap([dataclasses.replace(p, answers=q.answers) if p.team == "leadership" else p
                 for p, q in zip(follow, swap, strict=True)])
    for name in ("changes", "gaps", "process", "index"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name), obj=name)


# -- the command line -------------------------------------------------------------------------------
def test_score_json_of_the_brief_publishes_only_sales(workspace, write_survey, instrument,
                                                      tmp_path: Path):
    from click.testing import CliRunner

    from alignkit.cli.app import main

    people, _ = _seven_four_two_one(instrument)
    path = write_survey(survey_rows(people))
    import_survey(path, company="acme", wave="baseline", workspace=workspace)
    run = CliRunner().invoke(main, ["score", "--company", "acme", "--json", "--workspace",
                                    str(workspace.root)])
    assert run.exit_code == 0, run.output
    payload = json.loads(run.output)
    assert {r["group"] for r in payload["index"]} == {"overall", "sales"}
    assert payload["left_out"]["respondents"] == 7
