"""Import a survey file into a workspace: parse, pseudonymise, store in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alignkit.analysis.publications import hold_late_import, reopen_wave
from alignkit.catalog.instrument import Instrument, load_instrument
from alignkit.intake import ParsedSurvey, parse_survey
from alignkit.intake.raw import redacted_copy
from alignkit.store.workspace import Workspace, file_sha256

__all__ = ["ImportResult", "import_survey"]


@dataclass(frozen=True)
class ImportResult:
    """What an import accepted, skipped and stored (``imported``)."""

    file: str
    company: str
    wave: str
    source: str
    respondents: int
    by_team: dict[str, int]
    skipped: list[dict[str, Any]]
    items: dict[str, dict[str, float | int | None]]
    unmapped: list[str] = field(default_factory=list)
    imported: bool = False
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``alignkit import survey --json``."""
        return {
            "file": self.file, "company": self.company, "wave": self.wave,
            "source": self.source, "respondents": self.respondents, "by_team": self.by_team,
            "skipped": self.skipped, "items": self.items, "unmapped": self.unmapped,
            "imported": self.imported, "message": self.message,
        }


def _item_summary(answers: pd.DataFrame, instrument: Instrument) -> dict[str, dict[str, Any]]:
    """``{item: {"n": answered, "mean": …}}`` for every item the file answers (N/A not counted)."""
    items = answers["item"].astype(str)
    present = set(items.unique())
    stats = answers["value"].groupby(items).agg(["count", "mean"])
    out: dict[str, dict[str, Any]] = {}
    for item in instrument.items:
        if item.id in present:
            n = int(stats.loc[item.id, "count"])
            mean = round(float(stats.loc[item.id, "mean"]), 4) if n else None
            out[item.id] = {"n": n, "mean": mean}
    return out


def _known_reason(key: str) -> str:
    if key.startswith("answers:"):
        return "the same response (no respondent id) is already imported in this wave"
    return "respondent already imported in this wave"


def _drop_known(parsed: ParsedSurvey, pseudonyms: pd.Series, known: set[str]) -> ParsedSurvey:
    repeat = pseudonyms.isin(known)
    skipped = parsed.skipped + [
        {"row": int(r), "reason": _known_reason(key)}
        for r, key in parsed.respondents.loc[repeat, ["row", "key"]].itertuples(index=False)
    ]
    keep = parsed.respondents.loc[~repeat].assign(pseudonym=pseudonyms[~repeat])
    answers = parsed.answers[parsed.answers["row"].isin(keep["row"])]
    return ParsedSurvey(parsed.source, keep, answers, sorted(skipped, key=lambda s: s["row"]),
                        parsed.unmapped)


def import_survey(
    path: str | Path,
    *,
    company: str,
    wave: str,
    workspace: Workspace,
    mapping: str | Path | None = None,
    source: str | None = None,
    dry_run: bool = False,
    instrument: Instrument | None = None,
    keep_raw: bool = False,
    reopen: bool = False,
) -> ImportResult:
    """Validate a survey export and store it as one transaction.

    The same file imported twice for a company changes nothing and comes back
    with ``imported=False``; so does a file whose every response is already in
    the wave (recognised by respondent id, e-mail, or, without either, by the
    whole response). ``dry_run`` validates and reports without writing.
    The copy kept in the workspace leaves out e-mail, name and network-address
    columns (see :mod:`alignkit.intake.raw`) unless ``keep_raw``; the file at
    ``path`` is only ever read.

    Into a wave whose figures were published, an import that would let a reader
    single out the new respondents is held (:func:`alignkit.analysis.publications.hold_late_import`);
    ``reopen`` imports it anyway and forgets the earlier publication, with a warning.

    Raises
    ------
    IntakeError, StoreError
        For a bad file (including one without a single usable response) or an
        unknown company; the store is then unchanged.
    DisclosureError
        When the import is held; the store is then unchanged.
    """
    path = Path(path)
    instrument = instrument or load_instrument()
    workspace.company(company)
    parsed = parse_survey(path, instrument, mapping=mapping, source=source)
    identity = () if keep_raw else parsed.identity_columns
    sha = file_sha256(path)
    earlier = workspace.find_import(company, sha)
    keys = [key or f"{sha}:{row}" for row, key in zip(parsed.respondents["row"],
                                                       parsed.respondents["key"], strict=True)]
    pseudonyms = pd.Series(workspace.pseudonymise(company, keys),
                           index=parsed.respondents.index, dtype=object)
    if earlier is None:
        parsed = _drop_known(parsed, pseudonyms, workspace.existing_pseudonyms(company, wave)
                             if wave in workspace.waves(company) else set())
    counts = parsed.respondents["team"].value_counts()
    result = dict(
        file=path.name, company=company, wave=wave, source=parsed.source,
        respondents=len(parsed.respondents),
        by_team={t: int(counts.get(t, 0)) for t in instrument.team_ids},
        skipped=parsed.skipped, items=_item_summary(parsed.answers, instrument),
        unmapped=parsed.unmapped,
    )
    if earlier is not None:
        return ImportResult(**result, message=(
            f"already imported on {earlier.imported_at} into wave '{earlier.wave}'; nothing changed"))
    if not reopen:  # disclosure rule 7: a published wave grows only in safe steps
        hold_late_import(workspace, company, wave, parsed.respondents, parsed.answers, instrument)
    if dry_run:
        return ImportResult(**result, message="dry run: nothing was written")
    if parsed.respondents.empty:
        return ImportResult(**result, message=(
            f"every response is already in wave '{wave}'; nothing changed"))
    workspace.record_import(
        slug=company, wave=wave, instrument_version=instrument.version, source_file=path,
        sha256=sha, source=parsed.source, respondents=parsed.respondents,
        answers=parsed.answers, skipped=len(parsed.skipped),
        redacted=redacted_copy(path, identity),
    )
    message = f"imported {len(parsed.respondents)} respondents"
    if reopen and reopen_wave(workspace, company, wave):
        message += (f"; warning: wave '{wave}' was re-opened after its figures were published, "
                    "so old and new figures must never be set side by side (withdraw the "
                    "earlier reports)")
    return ImportResult(**result, imported=True, message=message)
