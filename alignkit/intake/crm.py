"""Importing a CRM funnel export: one transaction per file, leads stored pseudonymously.

A later lead export of the same company updates the leads it shares with
earlier ones (a CRM export is a snapshot: stages only move forward), so
exporting "all leads" every month and importing each file is safe. The raw copy
of a lead export keeps only the columns the import reads unless ``keep_raw``.
Loading what was stored is :mod:`alignkit.store.funnel`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alignkit.catalog.funnel_formats import FUNNEL_STAGES, STAGE_NAMES
from alignkit.exceptions import IntakeError, StoreError
from alignkit.intake.funnel import ParsedFunnel, parse_funnel
from alignkit.intake.raw import redacted_copy
from alignkit.store import funnel as store_funnel
from alignkit.store.db import company_id
from alignkit.store.files import raw_name
from alignkit.store.funnel import (
    SOURCES,
    find_funnel_import,
)
from alignkit.store.workspace import Workspace, as_workspace, file_sha256
from alignkit.text.times import now_iso

__all__ = ["FunnelImportResult", "import_funnel"]

_LEAD_FIELDS = store_funnel.LEAD_FRAME_COLUMNS


@dataclass(frozen=True)
class FunnelImportResult:
    """What a funnel import read and stored (``imported``).

    ``stages`` counts, per stage, the leads with a date for it (lead-level) or
    the summed counts (aggregate); ``new``/``updated`` split the leads into
    first seen and already stored from an earlier export.
    """

    file: str
    company: str
    source: str
    kind: str
    rows: int
    by_source: dict[str, int]
    stages: dict[str, int]
    periods: list[str]
    skipped: list[dict[str, Any]]
    unmapped: list[str]
    columns: dict[str, str]
    notes: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    imported: bool = False
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``alignkit import funnel --json``."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _summary(parsed: ParsedFunnel, path: Path, company: str) -> dict[str, Any]:
    if parsed.kind == "leads":
        leads = parsed.leads
        by_source = {s: int((leads["source"] == s).sum()) for s in SOURCES}
        stages = {"lead": len(leads), **{s: int(leads[f"{s}_at"].notna().sum())
                                         for s in FUNNEL_STAGES[1:-1]},
                  "won": int((leads["outcome"] == "won").sum())}
        periods, rows = sorted(set(leads["period"])), len(leads)
    else:
        sums = parsed.counts.groupby("stage")["count"].sum()
        by_source, rows = {}, len(parsed.counts)
        stages = {s: int(sums[s]) for s in FUNNEL_STAGES if s in sums.index}
        periods = sorted(set(parsed.counts["period"]))
    return dict(file=path.name, company=company, source=parsed.source, kind=parsed.kind,
                rows=rows, by_source=by_source, stages=stages, periods=periods,
                skipped=parsed.skipped, unmapped=parsed.unmapped, columns=parsed.columns,
                notes=parsed.notes)


def import_funnel(
    path: str | Path,
    *,
    company: str,
    workspace: Workspace | str | Path | None = None,
    period: str | None = None,
    dry_run: bool = False,
    keep_raw: bool = False,
) -> FunnelImportResult:
    """Validate a CRM funnel export and store it as one transaction.

    Parameters
    ----------
    path
        Lead-level or aggregate export (CSV or XLSX), see :mod:`alignkit.intake.funnel`.
    company
        Registered company slug.
    workspace
        The workspace (folder or :class:`~alignkit.store.workspace.Workspace`).
    period
        Label of the period the file covers; needed for an aggregate file
        without a period column.
    dry_run
        Validate and report, write nothing.
    keep_raw
        Keep the file unchanged under ``raw/``. By default the copy of a
        lead-level export keeps only the columns the import reads (lead id,
        dates, source, stage, owner, owner team, amount): contacts' e-mail
        addresses, names, phone numbers, companies and addresses are left out.
        The file at ``path`` is only ever read.

    Returns
    -------
    FunnelImportResult
        ``imported=False`` for a dry run or a file imported before (then nothing
        changed).

    Raises
    ------
    IntakeError, StoreError, UnknownCompanyError
        For a bad file, stage counts for a period already stored, or an unknown
        company; the store and ``raw/`` are then unchanged.
    """
    path, ws = Path(path), as_workspace(workspace)
    ws.company(company)
    parsed = parse_funnel(path, period=period)
    sha = file_sha256(path)
    summary = _summary(parsed, path, company)
    earlier = find_funnel_import(ws, company, sha)
    if earlier is not None:
        return FunnelImportResult(**summary, message=(
            f"already imported on {earlier.imported_at} as {earlier.file_name}; nothing changed"))
    stored = _pseudonymous(ws, company, parsed.leads) if parsed.kind == "leads" else None
    if stored is None:
        _check_new_periods(ws, company, parsed.counts, path)
    known = _stored_leads(ws, company)
    new = 0 if stored is None else int((~stored["lead"].isin(known)).sum())
    updated = 0 if stored is None else len(stored) - new
    if dry_run:
        return FunnelImportResult(**summary, new=new, updated=updated,
                                  message="dry run: nothing was written")
    _record(ws, company, path, sha, parsed, stored, period, keep_raw)
    what = (f"{len(stored)} leads ({new} new, {updated} updated)" if stored is not None
            else f"{len(parsed.counts)} stage counts for {len(summary['periods'])} periods")
    return FunnelImportResult(**summary, new=new, updated=updated, imported=True,
                              message=f"imported {what}")


def _pseudonymous(ws: Workspace, company: str, leads: pd.DataFrame) -> pd.DataFrame:
    """Replace lead ids and owner names by pseudonyms; keep everything else."""
    out = leads.copy()
    out["lead"] = ws.pseudonymise(company, [f"lead\x1f{v}" for v in leads["lead"]])
    owners = sorted(set(leads["owner"].dropna()))
    aliases = dict(zip(owners, ws.pseudonymise(company, [f"owner\x1f{o}" for o in owners]),
                       strict=True))
    out["owner"] = leads["owner"].map(aliases)
    return out


def _stored_leads(ws: Workspace, company: str) -> set[str]:
    with ws.connect() as con:
        rows = con.execute("SELECT l.lead FROM leads l JOIN companies c ON c.id = l.company_id "
                           "WHERE c.slug = ?", (company,))
        return {r[0] for r in rows}


def _check_new_periods(ws: Workspace, company: str, counts: pd.DataFrame, path: Path) -> None:
    with ws.connect() as con:
        stored = set(con.execute(
            "SELECT f.period, f.stage FROM funnel_counts f JOIN companies c ON c.id = f.company_id"
            " WHERE c.slug = ?", (company,)))
    for rec in counts.itertuples(index=False):
        if (rec.period, rec.stage) in stored:
            raise IntakeError(
                f"period {' '.join(str(rec.period).split())} already has a stored "
                f"{STAGE_NAMES[rec.stage]} count from an earlier import; import a file with only "
                "the new periods",
                file=path, row=rec.row, column=rec.column)


def _import_period(parsed: ParsedFunnel, period: str | None) -> str:
    if period and parsed.kind == "leads":
        return period
    periods = sorted(set((parsed.leads if parsed.kind == "leads" else parsed.counts)["period"]))
    return periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"


def _raw_copy(path: Path, sha: str, parsed: ParsedFunnel,
              keep_raw: bool) -> tuple[str, bytes | None]:
    """The raw copy's file name and, unless the file is kept unchanged, its content."""
    redacted = None if keep_raw else redacted_copy(path, parsed.private_columns)
    return raw_name(sha, path.suffix, redacted=redacted is not None), redacted


def _record(ws: Workspace, company: str, path: Path, sha: str, parsed: ParsedFunnel,
            leads: pd.DataFrame | None, period: str | None, keep_raw: bool = False) -> None:
    """One transaction: the import row, then its leads or counts; raw copy kept if it commits."""
    name, redacted = _raw_copy(path, sha, parsed, keep_raw)
    raw_path = ws.raw_dir / name
    try:
        with ws.keeping_raw(raw_path, source_file=path if redacted is None else None,
                            data=redacted) as con:
            cid = company_id(con, company)
            cur = con.execute(
                "INSERT INTO funnel_imports (company_id, sha256, source, kind, file_name, "
                "raw_path, period, imported_at, rows, skipped) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (cid, sha, parsed.source, parsed.kind, path.name,
                 raw_path.relative_to(ws.root).as_posix(), _import_period(parsed, period),
                 now_iso(), len(leads) if leads is not None else len(parsed.counts),
                 len(parsed.skipped)))
            if leads is not None:
                _upsert_leads(con, cid, cur.lastrowid, leads)
            else:
                con.executemany(
                    "INSERT INTO funnel_counts (company_id, import_id, period, stage, count) "
                    "VALUES (?,?,?,?,?)",
                    [(cid, cur.lastrowid, r.period, r.stage, int(r.count))
                     for r in parsed.counts.itertuples(index=False)])
    except sqlite3.IntegrityError as err:
        raise StoreError(f"{path.name} conflicts with funnel data already stored ({err}); "
                         "nothing was imported") from None


def _upsert_leads(con: sqlite3.Connection, company_id: int, import_id: int,
                  leads: pd.DataFrame) -> None:
    updates = ", ".join(f"{c} = excluded.{c}" for c in ("import_id", *_LEAD_FIELDS[1:]))
    frame = leads[list(_LEAD_FIELDS)].astype(object)
    frame = frame.where(frame.notna(), None)
    con.executemany(
        f"INSERT INTO leads (company_id, import_id, {', '.join(_LEAD_FIELDS)}) "
        f"VALUES (?, ?, {', '.join('?' * len(_LEAD_FIELDS))}) "
        f"ON CONFLICT (company_id, lead) DO UPDATE SET {updates}",
        [(company_id, import_id, *row) for row in frame.itertuples(index=False)])
