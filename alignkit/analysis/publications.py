"""Which waves have been published, and the hold on imports that would expose someone.

When a wave's figures leave alignkit (``alignkit score``, a report, an export),
:func:`record_publication` notes the threshold and the respondents they were
computed from, in the workspace table ``publications``. From then on the wave
may change only in steps that single no one out (rule 7 of
:mod:`alignkit.analysis.disclosure`): :func:`hold_late_import` refuses an import that
would break it, and scoring refuses to publish such figures.
:func:`reopen_wave` forgets the record, for when the earlier figures have been
withdrawn and the consultant accepts that old and new figures must not meet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from alignkit.analysis.disclosure import Disclosure, plan_disclosure, republication_problems
from alignkit.catalog.instrument import Instrument
from alignkit.exceptions import AlignkitError
from alignkit.store.workspace import Workspace
from alignkit.text.times import now_iso

__all__ = [
    "DisclosureError",
    "Publication",
    "check_republication",
    "hold_late_import",
    "last_publication",
    "record_publication",
    "reopen_wave",
]

_TABLE = """CREATE TABLE IF NOT EXISTS publications (
    wave_id INTEGER PRIMARY KEY REFERENCES waves(id) ON DELETE CASCADE,
    threshold INTEGER NOT NULL,
    respondents TEXT NOT NULL,
    published_at TEXT NOT NULL
)"""
_WAVE_ID = ("SELECT w.id FROM waves w JOIN companies c ON c.id = w.company_id "
            "WHERE c.slug = ? AND w.name = ?")


class DisclosureError(AlignkitError):
    """Publishing or importing would let a reader single out fewer than k people."""


@dataclass(frozen=True)
class Publication:
    """The last published state of a wave: threshold and the respondents it held."""

    threshold: int
    respondents: frozenset[str]
    published_at: str


def last_publication(workspace: Workspace, company: str, wave: str) -> Publication | None:
    """The wave's last recorded publication, or ``None`` if it was never published."""
    with workspace.connect() as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'publications'").fetchone():
            return None
        row = con.execute(f"SELECT threshold, respondents, published_at FROM publications "
                          f"WHERE wave_id = ({_WAVE_ID})", (company, wave)).fetchone()
    if row is None:
        return None
    return Publication(int(row[0]), frozenset(json.loads(row[1])), row[2])


def record_publication(workspace: Workspace, company: str, wave: str, threshold: int,
                       respondents: frozenset[str]) -> None:
    """Note that the wave's figures were published from these respondents."""
    stamp = now_iso()
    with workspace.connect(write=True) as con:
        con.execute(_TABLE)
        wave_id = con.execute(_WAVE_ID, (company, wave)).fetchone()
        if wave_id is None:
            return  # a wave that is not stored (made-up data) leaves no record
        # Publishing the same figures again changes nothing (the batch sees unchanged data).
        con.execute(
            "INSERT INTO publications (wave_id, threshold, respondents, published_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (wave_id) DO UPDATE SET threshold = excluded.threshold, "
            "respondents = excluded.respondents, published_at = excluded.published_at "
            "WHERE threshold != excluded.threshold OR respondents != excluded.respondents",
            (wave_id[0], threshold, json.dumps(sorted(respondents)), stamp))


def reopen_wave(workspace: Workspace, company: str, wave: str) -> bool:
    """Forget that the wave was published; True if there was a record."""
    with workspace.connect(write=True) as con:
        con.execute(_TABLE)
        cur = con.execute(f"DELETE FROM publications WHERE wave_id = ({_WAVE_ID})",
                          (company, wave))
        return cur.rowcount > 0


def _problems(answers: pd.DataFrame, instrument: Instrument, threshold: int,
              published: Publication, after: Disclosure | None = None) -> list[str]:
    before = answers[answers["respondent"].astype(str).isin(published.respondents)]
    after = after if after is not None else plan_disclosure(answers, instrument, threshold)
    if len(before) == len(answers) and published.threshold == threshold:
        earlier = after  # the same answers and threshold: the same plan
    else:
        earlier = plan_disclosure(before, instrument, published.threshold)
    return republication_problems(earlier, after)


def _first(problems: list[str], shown: int = 3) -> str:
    """The first few problems: those about whole groups if any, else those about cells."""
    whole = [p for p in problems if p.startswith(("group", "earlier", "people"))]
    listed = (whole or problems)[:shown]
    more = len(problems) - len(listed)
    return "; ".join(listed) + (f" (and {more} more)" if more else "")


def check_republication(answers: pd.DataFrame, instrument: Instrument, threshold: int,
                        published: Publication | None, *, wave: str,
                        plan: Disclosure | None = None) -> None:
    """Raise :class:`DisclosureError` if these figures may not follow what was published.

    ``plan`` is ``plan_disclosure(answers, instrument, threshold)`` when the caller has it.
    """
    if published is None:
        return
    problems = _problems(answers, instrument, threshold, published, plan)
    if problems:
        raise DisclosureError(
            f"wave '{wave}' was published on {published.published_at[:10]}; figures drawn now "
            f"could be set against those and single people out: {_first(problems)}. Use the "
            f"threshold used then (--anonymity-min {published.threshold}); if answers were "
            "added since, re-open the wave only once the earlier figures are withdrawn "
            "(`alignkit import survey ... --reopen`, or alignkit.analysis.publications.reopen_wave)")


def hold_late_import(workspace: Workspace, company: str, wave: str,
                     respondents: pd.DataFrame, answers: pd.DataFrame,
                     instrument: Instrument) -> None:
    """Refuse an import into a published wave that would let a reader single someone out.

    ``respondents`` (``row, pseudonym, team``) and ``answers`` (``row, item,
    value``) are the import's new rows, as :func:`alignkit.intake.survey.import_survey`
    parses them.

    Raises
    ------
    DisclosureError
        Naming the group that would move by fewer than k people and what to do.
    """
    if respondents.empty or wave not in workspace.waves(company):
        return
    published = last_publication(workspace, company, wave)
    if published is None:
        return
    incoming = answers.merge(respondents[["row", "pseudonym", "team"]], on="row")
    incoming = incoming.rename(columns={"pseudonym": "respondent"})
    stored = workspace.answers(company, wave)
    together = pd.concat([stored.astype({c: object for c in ("respondent", "team", "item")}),
                          incoming[["respondent", "team", "item", "value"]]], ignore_index=True)
    problems = _problems(together, instrument, published.threshold, published)
    if problems:
        n = len(respondents)
        raise DisclosureError(
            f"import held: wave '{wave}' was published on {published.published_at[:10]}, and "
            f"adding {n} respondent{'s' * (n != 1)} would let anyone who compares the old and "
            f"new figures read their answers: {_first(problems)}. Import late answers in "
            f"batches that give every group 0 or at least {published.threshold} new "
            "respondents, or pass --reopen to import them anyway (only once the earlier "
            "figures are withdrawn: old and new figures must never be compared)")
