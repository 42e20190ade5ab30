"""Disclosure control: which answers a wave may publish, and in which figures.

Hiding a small group's column is not enough: a reader who knows who is in which
team can subtract published figures from each other. alignkit therefore decides
*which answers* may be published before any figure is computed, and computes
every figure (overall, per team, per dimension, per item, favourability, index,
gaps, comments, recap) from those answers only. Each rule below names the attack
it stops; ``k`` is the anonymity threshold (:mod:`alignkit.analysis.anonymity`).

1. **Groups of at least k, pooled when small.** Sales and marketing are shown
   whenever each has k respondents, whatever the other teams' sizes. The other
   teams below k are pooled into one group (e.g. ``leadership & other``) when
   the pool reaches k. *Stops:* hiding sales or marketing to protect a small
   third team, which cost the report its core comparison.
2. **Left out means left out of everything.** A team that is neither k strong
   nor part of a pool of k (a small sales or marketing team too) is left out of
   every figure, the overall figures included, and of the comments; the report
   says how many answers were left out and why. (When no team reaches k even so,
   but the wave does, only the overall figures are published.) *Stops:* overall
   minus the visible teams, which gives the hidden teams' figures.
3. **A dimension cell counts the people who answered it, and needs k of them.**
   A group's figure for a dimension uses its members who answered at least one of
   the dimension's items; with fewer than k, the cell is hidden and its answers
   are removed from every total (so the overall cell cannot be subtracted
   either). *Stops:* a hidden cell recovered as overall minus the shown cells.
4. **Partial answerers never stand out.** A dimension mean averages each
   person's own mean, while item means average answers; when a few people
   answered only some items, the two disagree by exactly those people's answers.
   So within a group and dimension, the people who answered only part of it are
   either none, or at least k (with at least k who answered all of it too);
   otherwise those few are left out of that dimension. When fewer than k answered
   the whole dimension, its item figures are not shown (for the overall group
   too), only the dimension mean. *Stops:* dimension mean minus item means.
5. **Summary figures are made of published cells.** The alignment index of a
   group is the mean of its shown dimension means, rescaled; favourability is the
   share of favourable answers among the same answers; a gap sets two shown
   dimension means side by side. None adds a new sum of anyone's answers.
   *Stops:* the index of a person who skipped a dimension weighing their other
   dimensions differently, which let overall and team figures over 14 dimensions
   be solved for one leader's index (to within 0.05 points).
6. **Comments need a team of k.** Free text can give its author away where a mean
   cannot, so a comment is shown only when its author's own team has k
   respondents (a pool's members' comments are not shown, nor anybody's left
   out), labelled with that team and in an order unrelated to import order.
   *Stops:* a quote read as "one of our three leaders".
7. **A published wave changes only in safe steps.** Once a wave's figures have
   left alignkit (``score``, a report, an export), new figures of the wave must
   keep every earlier respondent in the same group (so another threshold is
   refused wherever it would redraw a group or a cell), and each figure may grow
   only by a batch that could be published on its own: 0 or at least k new
   people per group and dimension, under the partial-answer rule, with item
   figures shown or not as before. An import that breaks this is held unless the
   wave is re-opened on purpose (:mod:`alignkit.analysis.publications`). *Stops:* the
   late respondent, read off as the difference between two reports; a pool
   redrawn by a new threshold or a late import.

Across waves nothing can be subtracted, as two waves hold different answers; the
recap compares them using each wave's publishable answers only, so people left out
of a wave stay out of its recap. What a reader can still learn: the figures of a
pool of at least k, of a batch of at least k late respondents, and confidence
intervals and tests computed over the same published respondents.
``tests/test_anonymity_attacks.py`` checks the rules without an attack recipe:
every published mean is a linear function of the answers, and no set of fewer
than k people may have a combination of figures that depends on their answers
alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alignkit.analysis.anonymity import check_threshold
from alignkit.catalog.instrument import Instrument

__all__ = [
    "CORE_TEAMS",
    "Block",
    "Disclosure",
    "plan_disclosure",
    "published_answers",
    "republication_problems",
]

OVERALL = "overall"
CORE_TEAMS = ("sales", "marketing")
ALL_TEAMS = "all teams"  # the one group when no team is large enough alone or pooled
SHOWN, MEAN_ONLY, HIDDEN = "shown", "mean only", "hidden"


@dataclass(frozen=True)
class Block:
    """What one group publishes about one dimension (or the outcome item).

    ``status`` is ``"shown"`` (dimension and item figures), ``"mean only"``
    (dimension figures, no item figures) or ``"hidden"``. ``members`` are the
    people whose answers count; ``complete`` those of them who answered every
    item; ``left_out`` how many who answered are not counted.
    """

    status: str
    members: frozenset[str] = frozenset()
    complete: frozenset[str] = frozenset()
    left_out: int = 0


@dataclass(frozen=True)
class Disclosure:
    """Which answers of a wave may be published (see the module's rules).

    Attributes
    ----------
    threshold
        The anonymity threshold k.
    group_of
        Published group of each respondent whose answers may be published.
    pools
        Published group -> the teams it holds, in instrument order.
    team_sizes
        Respondents per team in the wave (teams without any are absent).
    left_out
        Team -> respondents left out of every figure (rule 2).
    blocks
        ``(group, dimension) -> Block`` for every published group and ``overall``.
    respondents
        Everyone in the wave, published or left out.
    """

    threshold: int
    group_of: Mapping[str, str]
    pools: Mapping[str, tuple[str, ...]]
    team_sizes: Mapping[str, int]
    left_out: Mapping[str, int]
    blocks: Mapping[tuple[str, str], Block] = field(default_factory=dict)
    respondents: frozenset[str] = frozenset()

    @property
    def groups(self) -> list[str]:
        """Published groups (overall excluded), in the order of :attr:`pools`."""
        return list(self.pools)

    @property
    def hidden_teams(self) -> frozenset[str]:
        """Teams not shown as a group of their own (left out, or inside a pool)."""
        own = {g for g, teams in self.pools.items() if teams == (g,)}
        return frozenset(t for t in self.team_sizes if t not in own)

    @property
    def commenters(self) -> dict[str, str]:
        """Respondent -> team, for those whose comments may be shown (rule 6)."""
        return {r: g for r, g in self.group_of.items() if self.pools[g] == (g,)}

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())

    def left_out_reason(self) -> str:
        """Why answers are left out, in one sentence (empty when none are)."""
        if not self.left_out:
            return ""
        teams = " and ".join(self.left_out)
        n = self.left_out_total
        return (f"The answers of {n} respondent{'s' * (n != 1)} ({teams}) are left out of "
                f"every figure, the overall ones included: "
                f"{'that team has' if len(self.left_out) == 1 else 'these teams have'} fewer "
                f"than {self.threshold} respondents, even together with the other small teams.")


# -- deciding ----------------------------------------------------------------------------
def _pools(sizes: Mapping[str, int], order: Iterable[str], k: int,
           core: tuple[str, ...]) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """Rules 1 and 2: the published groups and the teams left out."""
    present = [t for t in order if sizes.get(t, 0) > 0]
    pools = {t: (t,) for t in present if sizes[t] >= k}
    small = [t for t in present if sizes[t] < k and t not in core]
    left_out = {t: sizes[t] for t in present if sizes[t] < k and t in core}
    if sum(sizes[t] for t in small) >= k and len(small) > 1:
        pools[" & ".join(small)] = tuple(small)
    else:
        left_out |= {t: sizes[t] for t in small}
    if not pools and sum(sizes[t] for t in present) >= k:
        return {ALL_TEAMS: tuple(present)}, {}  # the overall figures only
    ordered = {g: pools[g] for g in sorted(pools, key=lambda g: present.index(pools[g][0]))}
    return ordered, {t: left_out[t] for t in present if t in left_out}


def _block(answered: pd.Series, items: int, k: int) -> Block:
    """Rules 3 and 4 for one group and dimension; ``answered``: items answered per person."""
    return _decide(answered.index.to_numpy(object), answered.to_numpy(), items, k)


def _decide(people: np.ndarray, answered: np.ndarray, items: int, k: int) -> Block:
    """:func:`_block` for ``people`` (names) and the items each answered."""
    everyone = frozenset(people.tolist())
    complete = frozenset(people[answered == items].tolist())
    partial = len(everyone) - len(complete)
    if len(complete) >= k:
        if 0 < partial < k:
            return Block(SHOWN, complete, complete, left_out=partial)
        return Block(SHOWN, everyone, complete)
    if len(everyone) >= k:
        return Block(MEAN_ONLY, everyone, complete)
    return Block(HIDDEN, left_out=len(everyone))


def _text_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column's values read as text, and those texts (``str()`` of each value)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, labels = column.cat.codes.to_numpy(np.int64), column.cat.categories
    else:
        codes, labels = pd.factorize(column)
    texts = np.append(pd.Index(labels).astype(str).to_numpy(object), "nan")  # -1: missing
    merged, unique = pd.factorize(texts)  # labels that read alike are one
    return merged[codes], np.asarray(unique, dtype=object)


@dataclass(frozen=True)
class _People:
    """Who gave each answer, and to which dimension, as codes.

    People are numbered in the order of their first answer; ``dimension`` indexes
    ``dimensions`` (-1: an item outside the instrument).
    """

    person: np.ndarray
    names: np.ndarray
    teams: np.ndarray
    dimension: np.ndarray
    dimensions: list[str]

    @classmethod
    def of(cls, answers: pd.DataFrame, instrument: Instrument) -> _People:
        codes, names = _text_codes(answers["respondent"])
        person, seen = pd.factorize(codes)
        # People are numbered as they first appear: a first answer has a number above all before.
        first = np.flatnonzero(np.diff(np.maximum.accumulate(person), prepend=-1) > 0)
        team, teams = _text_codes(answers["team"])
        items = instrument.items_frame()
        dimensions = list(items["dimension"].value_counts().index)
        of_item = np.append(pd.Index(dimensions).get_indexer(items["dimension"]), -1)
        item, texts = _text_codes(answers["item"])
        dimension = of_item[pd.Index(items["item"]).get_indexer(texts)][item]
        return cls(person, names[seen], teams[team[first]], dimension, dimensions)

    def answered(self, values: pd.Series) -> np.ndarray:
        """Items answered (N/A not counted) per person (rows) and dimension (columns)."""
        given = values.notna().to_numpy() & (self.dimension >= 0)
        size = (len(self.names), len(self.dimensions))
        cells = self.person[given] * size[1] + self.dimension[given]
        return np.bincount(cells, minlength=size[0] * size[1]).reshape(size)


def _blocks(people: _People, answered: np.ndarray, group: np.ndarray, groups: list[str],
            per_dim: Mapping[str, int], k: int) -> dict[tuple[str, str], Block]:
    """Rules 3 and 4 for every group (``group``: index per person, -1 left out) and dimension.

    In the order the groups and dimensions first appear among people sorted by
    name, each person's dimensions by name.
    """
    rank = np.empty(len(people.names), dtype=np.int64)
    rank[np.argsort(people.names, kind="stable")] = np.arange(len(people.names))
    found = []
    for g, name in enumerate(groups):
        for d, dim in enumerate(people.dimensions):
            here = (group == g) & (answered[:, d] > 0)
            if here.any():
                found.append((int(rank[here].min()), dim, name, d, here))
    found.sort(key=lambda cell: cell[:2])
    return {(name, dim): _decide(people.names[here], answered[here, d], per_dim[dim], k)
            for _, dim, name, d, here in found}


def plan_disclosure(answers: pd.DataFrame, instrument: Instrument, threshold: int, *,
                    core: tuple[str, ...] = CORE_TEAMS) -> Disclosure:
    """Decide which answers of a wave may be published, and in which figures.

    Parameters
    ----------
    answers
        Long answers frame ``respondent, team, item, value`` (NaN for N/A).
    instrument
        The instrument the answers belong to.
    threshold
        The anonymity threshold k (at least 3).
    core
        Teams never pooled: the two teams the reports compare.

    Returns
    -------
    Disclosure
        Groups, pools, teams left out and the status of every group's dimensions.
    """
    k = check_threshold(threshold)
    people = _People.of(answers, instrument)
    team_of = dict(zip(people.names.tolist(), people.teams.tolist(), strict=True))
    sizes = pd.Series(team_of, dtype=object).value_counts().to_dict() if team_of else {}
    order = [*instrument.team_ids, *sorted(set(sizes) - set(instrument.team_ids))]
    pools, left_out = _pools(sizes, order, k, core)
    group_by_team = {t: g for g, teams in pools.items() for t in teams}
    group_of = {r: group_by_team[t] for r, t in team_of.items() if t in group_by_team}
    groups = list(pools)
    group = np.array([groups.index(group_by_team[t]) if t in group_by_team else -1
                      for t in people.teams.tolist()], dtype=np.int64)
    per_dim = instrument.items_frame()["dimension"].value_counts().to_dict()
    blocks = _blocks(people, people.answered(answers["value"]), group, groups, per_dim, k)
    for dim in per_dim:
        parts = [b for (g, d), b in blocks.items() if d == dim and b.status != HIDDEN]
        if parts:
            status = MEAN_ONLY if any(b.status == MEAN_ONLY for b in parts) else SHOWN
            blocks[(OVERALL, dim)] = Block(
                status, frozenset().union(*(b.members for b in parts)),
                frozenset().union(*(b.complete for b in parts)),
                sum(b.left_out for (g, d), b in blocks.items() if d == dim))
    return Disclosure(k, group_of, pools, {t: sizes[t] for t in order if t in sizes}, left_out,
                      blocks, frozenset(team_of))


def published_answers(answers: pd.DataFrame, plan: Disclosure,
                      instrument: Instrument) -> pd.DataFrame:
    """The answers every published figure is computed from.

    Only answers counted by some block are kept (rules 2 to 4), N/A included for
    the people counted, and ``team`` holds each person's published group.
    """
    people = _People.of(answers, instrument)
    groups = plan.groups
    group = np.array([groups.index(plan.group_of[r]) if r in plan.group_of else -1
                      for r in people.names.tolist()], dtype=np.int64)
    row_of = {name: row for row, name in enumerate(people.names.tolist())}
    # The last column stands for items outside the instrument: never counted.
    counted = np.zeros((len(people.names), len(people.dimensions) + 1), dtype=bool)
    for (g, dim), block in plan.blocks.items():
        if g != OVERALL and block.members and dim in people.dimensions:
            rows = [row_of[m] for m in block.members if m in row_of]
            counted[rows, people.dimensions.index(dim)] = True
    keep = (group[people.person] >= 0) & counted[people.person, people.dimension]
    out = answers.loc[keep].copy()
    out["team"] = pd.Categorical.from_codes(group[people.person[keep]], categories=groups)
    for col in ("respondent", "item"):
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = _without_unused(out[col])
    return out.reset_index(drop=True)


def _without_unused(column: pd.Series) -> pd.Categorical:
    """``column.cat.remove_unused_categories()``, without sorting a million codes."""
    codes = column.cat.codes.to_numpy(np.int64)
    used = np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)) > 0
    renumber = np.append(np.cumsum(used) - 1, -1)  # -1 (missing) stays -1
    return pd.Categorical.from_codes(renumber[codes], categories=column.cat.categories[used],
                                     ordered=column.cat.ordered)


# -- publishing again -----------------------------------------------------------------------
def _grown(label: str, before: frozenset[str], after: frozenset[str], k: int) -> str | None:
    if not before <= after:
        return f"{label} would lose {len(before - after)} of the people it counted"
    added = len(after - before)
    if 0 < added < k:
        return (f"{label} would change by {added} respondent{'s' * (added != 1)} "
                f"(fewer than {k})")
    return None


def _block_problem(label: str, before: Block, after: Block, k: int) -> str | None:
    grown = _grown(label, before.members, after.members, k)
    if grown or after.members == before.members:
        return grown
    if before.status != HIDDEN and before.status != after.status:
        return f"{label} would {'start' if after.status == SHOWN else 'stop'} showing item figures"
    added = after.members - before.members
    complete = added & after.complete
    partial = added - complete
    if after.status == SHOWN and partial and (len(partial) < k or len(complete) < k):
        return (f"{label} would add {len(partial)} people who answered only part of it "
                f"beside {len(complete)} who answered all of it (each needs 0 or {k} or more)")
    return None


def republication_problems(before: Disclosure, after: Disclosure) -> list[str]:
    """Why publishing ``after`` next to the already published ``before`` is unsafe (rule 7).

    ``after`` is the same wave with possibly more respondents, or drawn with
    another threshold. An empty list means the new figures can only reveal
    batches of at least k people (k the lower of the two thresholds).
    """
    # A changed threshold is allowed only where it changes nothing that could be compared;
    # what was published under the lower one cannot be taken back.
    k = min(before.threshold, after.threshold)
    problems = []
    moved = sorted({f"{before.group_of[r]} -> {after.group_of.get(r, 'left out')}"
                    for r in before.group_of if after.group_of.get(r) != before.group_of[r]})
    joined = sorted({after.group_of[r] for r in before.respondents - set(before.group_of)
                     if after.group_of.get(r) in before.pools})
    problems += [f"earlier respondents would move between groups ({m})" for m in moved]
    problems += [f"people left out before would join the published group {g}" for g in joined]
    for group in [OVERALL, *after.groups]:
        members_before = _members(before, group)
        members_after = _members(after, group)
        if group == OVERALL or group in before.pools:
            problem = _grown(f"group {group}", members_before, members_after, k)
            problems += [problem] if problem else []
    for (group, dim), block in after.blocks.items():
        old = before.blocks.get((group, dim), Block(HIDDEN))
        problem = _block_problem(f"{group} on {dim}", old, block, k)
        problems += [problem] if problem else []
    for (group, dim), old in before.blocks.items():
        if (group, dim) not in after.blocks and old.status != HIDDEN:
            problems.append(f"{group} on {dim} would no longer be shown")
    return problems


def _members(plan: Disclosure, group: str) -> frozenset[str]:
    return frozenset(r for r, g in plan.group_of.items() if group in (OVERALL, g))
