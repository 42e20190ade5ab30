"""KPI observations over time: record them, import them, compare them with their target.

The Execute stage tracks a few agreed figures (SLA compliance, joint meetings
held, hand-off leakage, MQL to SQL conversion …) month by month. Each
observation is one row of ``kpi_observations``: ``kpi, observed_on, value,
target``. Shares are stored as fractions (0.82 for 82 %). Recording the same
KPI on the same day again with the same figures changes nothing; a different
figure is refused unless ``replace`` is asked for.

The analysis functions (:func:`kpi_summary`, :func:`kpi_findings`,
:func:`kpi_table`) are pure: DataFrame in, DataFrame or text out.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.exceptions import IntakeError, StoreError
from alignkit.intake.table import Table, read_table
from alignkit.playbook import load_playbook
from alignkit.store import Workspace, file_sha256

__all__ = [
    "HEADLINE_KPIS",
    "KPI_COLUMNS",
    "STATUS_WORDS",
    "SUMMARY_COLUMNS",
    "format_kpi_value",
    "header_positions",
    "import_kpis",
    "kpi_catalogue",
    "kpi_definition",
    "kpi_findings",
    "kpi_id",
    "kpi_summary",
    "kpi_table",
    "KpiDefinition",
    "KpiImport",
    "load_kpis",
    "parse_day",
    "read_kpi_file",
    "record_kpi",
    "report_table",
]

KPI_COLUMNS = ["kpi", "observed_on", "value", "target"]


@dataclass(frozen=True)
class KpiDefinition:
    """What a KPI measures and which way is good (from the playbook).

    ``unit`` is ``"share"`` (a fraction 0–1, shown as %) or ``"count"``.
    """

    id: str
    label: str
    unit: str
    higher_is_better: bool


#: The four KPIs every Execute report leads with, and the short names a reader knows them by.
HEADLINE_KPIS: dict[str, str] = {
    "first_touch_within_sla": "SLA compliance: MQLs contacted in time",
    "joint_meetings_held": "Joint pipeline meetings per month",
    "untouched_mql_share": "Hand-off leakage: MQLs never contacted",
    "mql_to_sql_rate": "MQL \u2192 SQL conversion",
}
_ALIASES = {"sla_compliance": "first_touch_within_sla", "sla": "first_touch_within_sla",
            "meetings_held": "joint_meetings_held", "meetings": "joint_meetings_held",
            "handoff_leakage": "untouched_mql_share", "hand_off_leakage": "untouched_mql_share",
            "leakage": "untouched_mql_share", "mql_to_sql": "mql_to_sql_rate",
            "mql_sql": "mql_to_sql_rate", "win_rate": "sql_win_rate"}
_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    text = str(text).replace("\u2192", " to ").replace("->", " to ").strip().lower()
    return _SLUG.sub("_", text).strip("_")


def kpi_catalogue() -> dict[str, KpiDefinition]:
    """Every KPI the playbook defines, the four headline KPIs first."""
    book = load_playbook()
    found = {k.id: KpiDefinition(k.id, HEADLINE_KPIS.get(k.id, k.name),
                                 "share" if k.unit == "percent" else "count",
                                 k.better == "higher") for k in book.kpis}
    first = [k for k in HEADLINE_KPIS if k in found]
    return {k: found[k] for k in [*first, *(k for k in found if k not in first)]}


def kpi_id(name: str) -> str:
    """The playbook id of a KPI given by id, playbook name, short name or alias.

    Raises
    ------
    ValueError
        For a name the playbook does not know (with the closest matches).

    Examples
    --------
    >>> kpi_id("SLA compliance"), kpi_id("MQL → SQL conversion"), kpi_id("hand-off leakage")
    ('first_touch_within_sla', 'mql_to_sql_rate', 'untouched_mql_share')
    """
    catalogue = kpi_catalogue()
    slug = _slug(name)
    names = {_slug(k.label): k.id for k in catalogue.values()}
    names |= {_slug(k.name): k.id for k in load_playbook().kpis}
    found = slug if slug in catalogue else names.get(slug) or _ALIASES.get(slug)
    if found:
        return found
    close = difflib.get_close_matches(slug, list(catalogue) + list(_ALIASES), n=2)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ValueError(f"{name!r} is not a KPI of the playbook; {hint}see `alignkit kpi catalogue`")


def kpi_definition(kpi: str) -> KpiDefinition:
    """The catalogue entry of a KPI id (a neutral entry for an id the playbook lost)."""
    return kpi_catalogue().get(kpi) or KpiDefinition(kpi, kpi.replace("_", " ").capitalize(),
                                                     "count", True)


def format_kpi_value(kpi: str, value: float | None) -> str:
    """A value as a reader expects it: ``82%`` or ``4``; ``–`` when missing."""
    if value is None or pd.isna(value):
        return "\u2013"
    if kpi_definition(kpi).unit == "share":
        return f"{value:.0%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


# -- checking one value -------------------------------------------------------------
def _check_value(kpi: str, value: float, what: str) -> float:
    """Raise ``ValueError`` (turned into a located error by the caller) if out of range."""
    if not np.isfinite(value):
        raise ValueError(f"the {what} must be a number")
    unit = kpi_definition(kpi).unit
    if unit == "share" and not 0 <= value <= 1:
        raise ValueError(f"{kpi} is a share: give the {what} as a fraction between 0 and 1 "
                         f"(0.82 for 82%), not {value:g}")
    if value < 0:
        raise ValueError(f"the {what} of {kpi} cannot be negative ({value:g})")
    return float(value)


def _number(cell: str, kpi: str, what: str) -> float:
    text = cell.strip().replace("\u2009", "").replace(" ", "")
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").replace(",", "."))
    except ValueError:
        raise ValueError(f"{cell!r} is not a number; write e.g. 0.82 or 82%") from None
    return _check_value(kpi, value / 100 if percent else value, what)


def parse_day(cell: str) -> date:
    """Read a ``YYYY-MM-DD`` date; raise ``ValueError`` with a readable message."""
    try:
        return date.fromisoformat(cell.strip())
    except ValueError:
        raise ValueError(f"{cell!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31") \
            from None


def header_positions(table: Table, required: list[str], optional: list[str]) -> dict[str, int]:
    """Column positions by (lower-cased) name; refuse missing or unknown columns."""
    names = [h.strip().lower() for h in table.header]
    missing = [c for c in required if c not in names]
    if missing:
        raise IntakeError(f"the column(s) {', '.join(missing)} are missing; the header must be "
                          f"{','.join(required + optional)}", file=table.path, row=0)
    unknown = [h for h in names if h not in required + optional]
    if unknown:
        raise IntakeError(f"unknown column; the header must be {','.join(required + optional)}",
                          file=table.path, row=0, column=unknown[0])
    return {name: names.index(name) for name in required + optional if name in names}


# -- store ----------------------------------------------------------------------------
def _stored(con, cid: int, kpi: str, day: str) -> tuple[float, float | None] | None:
    return con.execute("SELECT value, target FROM kpi_observations WHERE company_id = ? AND "
                       "kpi = ? AND observed_on = ?", (cid, kpi, day)).fetchone()


def _write(con, cid: int, row: tuple[str, str, float, float | None], replace: bool) -> str:
    """Insert one observation; ``added``, ``unchanged`` or ``replaced``; ``conflict`` if refused."""
    kpi, day, value, target = row
    old = _stored(con, cid, kpi, day)
    if old is not None and (old[0], old[1]) == (value, target):
        return "unchanged"
    if old is not None and not replace:
        return "conflict"
    con.execute("INSERT INTO kpi_observations (company_id, kpi, observed_on, value, target) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (company_id, kpi, observed_on) DO UPDATE "
                "SET value = excluded.value, target = excluded.target", (cid, *row))
    return "added" if old is None else "replaced"


def _company_id(con, company: str) -> int:
    return con.execute("SELECT id FROM companies WHERE slug = ?", (company,)).fetchone()[0]


def record_kpi(workspace: Workspace, company: str, kpi: str, observed_on: date, value: float,
               target: float | None = None, *, replace: bool = False) -> str:
    """Store one observation; returns ``"added"``, ``"unchanged"`` or ``"replaced"``.

    Raises
    ------
    StoreError
        If the value is out of range, or the day already holds a different
        figure and ``replace`` is false.
    """
    workspace.company(company)
    try:
        key = kpi_id(kpi)
        value = _check_value(key, float(value), "value")
        target = None if target is None else _check_value(key, float(target), "target")
    except ValueError as err:
        raise StoreError(str(err)) from None
    with workspace.connect() as con:
        outcome = _write(con, _company_id(con, company), (key, observed_on.isoformat(), value,
                                                           target), replace)
    if outcome == "conflict":
        raise StoreError(f"{key} already has a different figure on {observed_on.isoformat()}; "
                         "pass --replace to overwrite it")
    return outcome


def load_kpis(workspace: Workspace, company: str, *, until: date | None = None) -> pd.DataFrame:
    """A company's observations: ``kpi, observed_on (datetime64), value, target``, by date.

    ``until`` leaves out observations after that day (a report written for a day).
    """
    workspace.company(company)
    last = (until or date.max).isoformat()
    with workspace.connect() as con:
        frame = pd.read_sql_query(
            "SELECT k.kpi, k.observed_on, k.value, k.target FROM kpi_observations k "
            "JOIN companies c ON c.id = k.company_id WHERE c.slug = ? AND k.observed_on <= ? "
            "ORDER BY k.kpi, k.observed_on", con, params=(company, last))
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    return frame.astype({"value": float, "target": float})


# -- import -----------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiImport:
    """What :func:`import_kpis` did with a file."""

    file: str
    rows: int
    added: int
    replaced: int
    unchanged: int


def read_kpi_file(path: str | Path) -> pd.DataFrame:
    """Read and check a KPI file (columns ``kpi,observed_on,value,target``) without storing it.

    Raises
    ------
    IntakeError
        Naming file, row and column of the first bad cell.
    """
    table = read_table(path)
    cols = header_positions(table, ["kpi", "observed_on", "value"], ["target"])
    rows, seen = [], {}
    for number, cells in enumerate(table.rows, start=1):
        column = "kpi"
        try:
            if not cells[cols["kpi"]].strip():
                raise ValueError("the KPI name is empty; name the KPI, e.g. joint_meetings_held")
            key = kpi_id(cells[cols["kpi"]])
            column = "observed_on"
            day = parse_day(cells[cols["observed_on"]]).isoformat()
            if (key, day) in seen:
                raise ValueError(f"{key} on {day} is already given in row {seen[key, day]}")
            column = "value"
            value = _number(cells[cols["value"]], key, "value")
            column = "target"
            cell = cells[cols["target"]] if "target" in cols else ""
            target = _number(cell, key, "target") if cell.strip() else None
        except ValueError as err:
            raise IntakeError(str(err), file=table.path, row=number, column=column) from None
        seen[key, day] = number
        rows.append((key, day, value, target))
    if not rows:
        raise IntakeError("the file has a header but no observations", file=table.path)
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def import_kpis(path: str | Path, *, company: str, workspace: Workspace,
                replace: bool = False) -> KpiImport:
    """Import a KPI file in one transaction and keep the file unchanged under ``raw/``.

    Importing the same file again changes nothing. A row whose day already holds
    a different figure stops the import (nothing is written) unless ``replace``.
    """
    workspace.company(company)
    path = Path(path)
    frame = read_kpi_file(path)
    raw = workspace.raw_dir / f"{file_sha256(path)}{path.suffix.lower()}"
    copied = workspace.copy_raw(path, raw)  # same convention as survey imports
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    try:
        with workspace.connect() as con:
            cid = _company_id(con, company)
            for number, row in enumerate(frame.itertuples(index=False), start=1):
                target = None if pd.isna(row.target) else float(row.target)
                outcome = _write(con, cid, (row.kpi, row.observed_on, float(row.value), target),
                                 replace)
                if outcome == "conflict":
                    raise IntakeError(f"{row.kpi} already has a different figure on "
                                      f"{row.observed_on}; correct the row or import with "
                                      "--replace", file=path, row=number, column="value")
                counts[outcome] += 1
    except BaseException:
        if copied:
            raw.unlink(missing_ok=True)
        raise
    return KpiImport(path.name, len(frame), **counts)


def report_table(frame: pd.DataFrame, name: str) -> Styler:
    """A display table for a client report: no index column, every cell left-aligned.

    ``name`` makes the table's HTML id (stable, so a report rendered twice is identical).
    """
    cells = [{"selector": s, "props": "text-align: left; vertical-align: top;"}
             for s in ("th", "td")]
    if frame.empty:  # no rows: show nothing rather than a header over an empty table
        frame = pd.DataFrame()
    dates = [c for c in frame.columns if c in ("Due", "Last update", "First", "Latest")]
    return (frame.style.hide(axis="index").set_uuid(name).set_table_styles(cells)
            .set_properties(subset=dates, **{"white-space": "nowrap"}))


# -- analysis -----------------------------------------------------------------------------
SUMMARY_COLUMNS = ["kpi", "label", "n", "first_on", "first", "latest_on", "latest", "target",
                   "change", "closed", "status"]
STATUS_WORDS = {"met": "target met", "improving": "improving", "stalled": "stalled",
                "worsening": "moving away from target", "single": "one observation so far",
                "no_target": "no target set"}


def _trend_share(obs: pd.DataFrame, target: float) -> float:
    """Share of the distance to target covered by the least-squares trend line.

    The line through all observations is read at the first and the latest
    day, so one unusually good or bad month does not decide the verdict.
    """
    days = (obs["observed_on"] - obs["observed_on"].iloc[0]).dt.days.to_numpy(float)
    values = obs["value"].to_numpy(float)
    slope, intercept = np.polyfit(days, values, 1)
    start, end = intercept, intercept + slope * days[-1]
    distance = target - start
    return float((end - start) / distance) if distance else 0.0


def _kpi_status(obs: pd.DataFrame, target: float, higher: bool) -> tuple[float, str]:
    """``met`` when the latest figure is at or beyond target; otherwise the trend decides.

    ``improving`` when the trend line covers at least a fifth of the distance
    from its start to the target and the latest figure is better than the
    first, ``worsening`` when both point a fifth the wrong way, else
    ``stalled``; ``single`` with one observation only.
    """
    latest = float(obs["value"].iloc[-1])
    if np.isnan(target):
        return np.nan, "no_target"
    if (latest >= target) if higher else (latest <= target):
        return 1.0, "met"
    if len(obs) < 2 or obs["observed_on"].nunique() < 2:
        return np.nan, "single"
    share = _trend_share(obs, target)
    better = (latest > obs["value"].iloc[0]) == higher and latest != obs["value"].iloc[0]
    worse = (latest < obs["value"].iloc[0]) == higher and latest != obs["value"].iloc[0]
    if share >= 0.2 and better:
        return share, "improving"
    return share, "worsening" if share <= -0.2 and worse else "stalled"


def kpi_summary(observations: pd.DataFrame) -> pd.DataFrame:
    """First and latest observation of each KPI against its (latest) target.

    Returns
    -------
    pandas.DataFrame
        One row per KPI (catalogue order, then custom KPIs by name):
        :data:`SUMMARY_COLUMNS`. ``closed`` is the share of the distance to
        the target covered by the trend line; ``status`` is ``met``,
        ``improving``, ``stalled``, ``worsening``, ``single`` or ``no_target``
        (see :func:`_kpi_status`).
    """
    rows = []
    for kpi, obs in observations.sort_values("observed_on").groupby("kpi", sort=False):
        first, latest = obs.iloc[0], obs.iloc[-1]
        targets = obs["target"].dropna()
        target = float(targets.iloc[-1]) if len(targets) else np.nan
        definition = kpi_definition(str(kpi))
        closed, status = _kpi_status(obs, target, definition.higher_is_better)
        rows.append((kpi, definition.label, len(obs), first["observed_on"], first["value"],
                     latest["observed_on"], latest["value"], target,
                     latest["value"] - first["value"], closed, status))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    order = {k: i for i, k in enumerate(kpi_catalogue())}
    out["order"] = out["kpi"].map(lambda k: order.get(k, len(order)))
    return out.sort_values(["order", "kpi"]).drop(columns="order").reset_index(drop=True)


def kpi_table(summary: pd.DataFrame) -> Styler:
    """Display table: KPI, first, latest, target and status, one row per KPI."""
    rows = [{"KPI": r.label,
             "First": f"{format_kpi_value(r.kpi, r.first)} ({r.first_on:%b %Y})",
             "Latest": f"{format_kpi_value(r.kpi, r.latest)} ({r.latest_on:%b %Y})",
             "Target": format_kpi_value(r.kpi, r.target),
             "Status": STATUS_WORDS[r.status]} for r in summary.itertuples()]
    return report_table(pd.DataFrame(rows, columns=["KPI", "First", "Latest", "Target",
                                                    "Status"]), "kpis")


def kpi_findings(summary: pd.DataFrame, *, say_if_empty: bool = True) -> str:
    """Bullet points on the KPIs: which reached target, which move, which stall.

    Without observations: one sentence, or nothing if ``say_if_empty`` is false
    (when a chart already says so).
    """
    if summary.empty:
        return "No KPI figures have been recorded yet." if say_if_empty else ""
    lines = []
    for r in summary.itertuples():
        latest, first = format_kpi_value(r.kpi, r.latest), format_kpi_value(r.kpi, r.first)
        target = format_kpi_value(r.kpi, r.target)
        lines.append({
            "met": f"- **{r.label}** reached its target: {latest} against {target} "
                   f"(from {first} in {r.first_on:%B %Y}).",
            "improving": f"- **{r.label}** is moving towards its target of {target} "
                         f"({first} → {latest}).",
            "stalled": f"- **{r.label}** has hardly moved ({first} → {latest}); the target is "
                       f"{target}.",
            "worsening": f"- **{r.label}** moved away from its target of {target} "
                         f"({first} → {latest}).",
            "single": f"- **{r.label}**: one observation so far ({latest}); the target is "
                      f"{target}.",
            "no_target": f"- **{r.label}**: {first} → {latest}; no target has been agreed.",
        }[r.status])
    return "\n".join(lines)
