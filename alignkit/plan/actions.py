"""From survey gaps to a ranked joint action plan.

**Gap size** of a dimension, in points on the 1-5 answer scale, is

* how far the average answer of all respondents lies below the target level
  (4 = *agree* by default; zero when the dimension already reaches it), plus
* how far apart sales and marketing rate it, counted only when that
  difference is clear (Holm-adjusted bootstrap p-value below 5%, as in
  :mod:`alignkit.analysis.uncertainty`).

**Priority** of a playbook tactic is ``gap size x impact / effort``. The gap
size is the largest among the dimensions the tactic moves, where a dimension
it only supports (any but the first it names) counts half; impact and effort
(1-5) come from the playbook.

**Impact.** When the survey has a driver view (:mod:`alignkit.analysis.drivers`:
the company's own, or the pool of all clients), each dimension's need is also
weighed by how much it moves the outcome statement: its *driver weight* (column ``impact_weight``) is its
share of R² divided by the average dimension's, kept between
:data:`IMPACT_WEIGHT_RANGE` (0.5 and 2). A dimension that moves the outcome and
scores low then comes first. Without a driver view every weight is 1 and the
ranking is by need alone. Tactics are ranked by priority (ties: the
quicker one first); at most two actions aim at the same dimension, so the plan
covers several gaps. Each action gets a sales and a marketing owner (to be
named), a due date ``weeks_to_impact`` after the start, and the tactic's
headline KPI with today's value where it can be measured and a target.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.drivers import Drivers
from alignkit.analysis.scoring import OVERALL
from alignkit.analysis.uncertainty import clear_flags
from alignkit.analysis.wave import WaveScores
from alignkit.catalog.instrument import load_instrument
from alignkit.catalog.playbook import Playbook, load_playbook
from alignkit.exceptions import StoreError
from alignkit.plan.sla import ServiceLevelAgreement, commitments, rates_table
from alignkit.store.actions import ACTION_COLUMNS, load_actions, save_actions, update_action
from alignkit.store.workspace import Workspace, as_workspace
from alignkit.text.money import DEFAULT_CURRENCY, format_money

__all__ = [
    "IMPACT_WEIGHT_RANGE",
    "PLACEHOLDER",
    "must_cover",
    "SUPPORT_WEIGHT",
    "TARGET_LEVEL",
    "build_action_plan",
    "current_plan",
    "edit_action",
    "explain_actions",
    "export_xlsx",
    "gap_sizes",
    "impact_weights",
    "rank_tactics",
    "require_no_plan",
    "store_plan",
]

#: The level every dimension should reach: 4 = "agree" on the 1-5 scale.
TARGET_LEVEL = 4.0
#: Share of a gap that counts when a tactic only supports a dimension (not its first one).
SUPPORT_WEIGHT = 0.5
#: Least and most impact weight of a dimension (its share of R² over the average one's).
IMPACT_WEIGHT_RANGE = (0.5, 2.0)
#: Owner shown until the teams name one.
PLACEHOLDER = "to be named"
_STORE_COLUMNS = ACTION_COLUMNS[1:12]


def impact_weights(drivers: Drivers | None) -> dict[str, float]:
    """Dimension -> impact weight from a driver view; empty without one.

    The weight is the dimension's importance (share of R²) divided by the mean
    importance, clipped to :data:`IMPACT_WEIGHT_RANGE`: 1 for an average driver,
    2 at most for a strong one, 0.5 at least for one that barely moves the outcome.
    """
    if drivers is None or not drivers.available or drivers.table.empty:
        return {}
    importance = drivers.table.set_index("dimension")["importance"].astype(float)
    mean = float(importance.mean())
    if not np.isfinite(mean) or mean <= 0:
        return {}
    low, high = IMPACT_WEIGHT_RANGE
    return {str(d): float(np.clip(v / mean, low, high)) for d, v in importance.items()
            if np.isfinite(v)}


def gap_sizes(scores: WaveScores, *, target_level: float = TARGET_LEVEL,
              drivers: Drivers | None = None) -> pd.DataFrame:
    """Gap size per dimension, largest first.

    Returns
    -------
    pandas.DataFrame
        ``dimension, dimension_name, mean, shortfall, perception_gap, reliable,
        gap_size, impact_weight``: ``shortfall`` = max(0, target - mean of all respondents);
        ``perception_gap`` = |sales - marketing| when ``reliable`` (the gap is clear,
        :mod:`alignkit.analysis.uncertainty`), else 0; ``impact_weight`` from
        :func:`impact_weights` of ``drivers`` (1 without a driver view). Empty when all
        respondents are hidden.
    """
    dims = scores.dimensions
    overall = dims[(dims["group"].astype(str) == OVERALL) & ~dims["suppressed"].astype(bool)]
    frame = overall[["dimension", "dimension_name", "mean"]].dropna(subset=["mean"]).copy()
    gaps = scores.gaps.assign(clear=clear_flags(scores.gaps))[["dimension", "gap", "clear"]] \
        if not scores.gaps.empty else None
    frame = frame.merge(gaps, on="dimension", how="left") if gaps is not None else frame.assign(
        gap=np.nan, clear=False)
    frame["reliable"] = frame["clear"].eq(True)  # missing: no gap measured, so none counts
    frame["shortfall"] = (target_level - frame["mean"]).clip(lower=0)
    frame["perception_gap"] = frame["gap"].abs().where(frame["reliable"], 0.0)
    frame["gap_size"] = frame["shortfall"] + frame["perception_gap"]
    weights = impact_weights(drivers)
    frame["impact_weight"] = [weights.get(str(d), 1.0) for d in frame["dimension"]]
    columns = ["dimension", "dimension_name", "mean", "shortfall", "perception_gap", "reliable",
               "gap_size", "impact_weight"]
    return frame[columns].sort_values("gap_size", ascending=False, kind="stable").reset_index(
        drop=True)


def _reason(tactic_dims: tuple[str, ...], gaps: list[dict[str, Any]],
            only: str | None = None) -> dict[str, Any] | None:
    """The dimension that gives a tactic most reason: largest weighted gap, then the larger
    perception gap, then the tactic's own order (``only``: that dimension or nothing).

    ``gaps`` is :func:`gap_sizes` as records; the answer is that dimension's record with
    ``order``, ``weight`` (1 for the tactic's first dimension, else
    :data:`SUPPORT_WEIGHT`) and ``weighted`` (gap x weight x impact weight).
    """
    order = {d: k for k, d in enumerate(tactic_dims)}
    here = []
    for gap in gaps:
        dim = gap["dimension"]
        if dim in order and (only is None or dim == only):
            weight = 1.0 if order[dim] == 0 else SUPPORT_WEIGHT
            impact = gap.get("impact_weight", 1.0)
            here.append({**gap, "order": order[dim], "weight": weight, "impact_weight": impact,
                         "weighted": gap["gap_size"] * weight * impact})
    if not here:
        return None
    return min(here, key=lambda r: (-r["weighted"], -r["perception_gap"], r["order"]))


def must_cover(gaps: pd.DataFrame, *, lowest: int = 3) -> list[str]:
    """Dimensions a plan must act on: the ``lowest`` scoring ones and every clear perception gap.

    The lowest are taken by mean of all respondents (ties: the larger perception
    gap first); clear gaps follow, largest first.
    """
    if gaps.empty:
        return []
    weak = gaps.sort_values(["mean", "perception_gap"], ascending=[True, False], kind="stable")
    weak = weak[weak["gap_size"] > 0].head(lowest)["dimension"].tolist()
    clear = gaps[gaps["perception_gap"] > 0].sort_values("perception_gap", ascending=False)
    return list(dict.fromkeys([*weak, *clear["dimension"]]))


_RANK_COLUMNS = ["rank", "tactic", "title", "dimension", "dimension_name", "gap_size", "shortfall",
                 "perception_gap", "weight", "impact_weight", "impact", "effort",
                 "weeks_to_impact", "priority"]


def _candidate(position: int, tactic: Any, reason: dict[str, Any]) -> dict[str, Any]:
    return {"tactic": tactic.id, "title": tactic.name, **{k: reason[k] for k in (
        "dimension", "dimension_name", "gap_size", "shortfall", "perception_gap",
        "weight", "impact_weight")},
        "impact": tactic.impact, "effort": tactic.effort,
        "weeks_to_impact": tactic.weeks_to_impact, "position": position,
        "priority": reason["weighted"] * tactic.impact / tactic.effort}


def rank_tactics(gaps: pd.DataFrame, playbook: Playbook, *, top: int = 6,
                 per_dimension: int = 2, cover: list[str] | None = None) -> pd.DataFrame:
    """Playbook tactics ranked by ``need x impact / effort``, covering what must be covered.

    First, each dimension of ``cover`` (default :func:`must_cover`: the three
    lowest-scoring dimensions and every clear perception gap) gets the best
    tactic aimed at it that is not chosen yet (one whose first dimension it is,
    else one that supports it). Then the remaining places up to ``top`` go to
    the highest priorities, at most ``per_dimension`` per dimension. The plan
    is listed by priority; ties go to the larger perception gap, then the
    quicker tactic. So the plan can be longer than ``top`` when more must be
    covered.

    Returns
    -------
    pandas.DataFrame
        ``rank, tactic, title, dimension, dimension_name, gap_size, shortfall,
        perception_gap, weight, impact, effort, weeks_to_impact, priority``
        (``weight`` is 1 for the tactic's first dimension, else
        :data:`SUPPORT_WEIGHT`); tactics whose dimensions show no need are left out.
    """
    tactics = list(enumerate(playbook.tactics))
    records = gaps.to_dict("records")
    rows = []
    for position, tactic in tactics:
        reason = _reason(tactic.dimensions, records)
        if reason is not None and reason["weighted"] > 0:
            rows.append(_candidate(position, tactic, reason))
    if not rows:
        return pd.DataFrame(columns=_RANK_COLUMNS)
    chosen: dict[str, dict[str, Any]] = {}
    for dim in (must_cover(gaps) if cover is None else cover):
        options = []
        for position, tactic in tactics:
            reason = _reason(tactic.dimensions, records, only=dim)
            if tactic.id not in chosen and reason is not None and reason["weighted"] > 0:
                options.append(_candidate(position, tactic, reason))
        if options:
            best = max(options, key=lambda r: (r["weight"], r["priority"],
                                               -r["weeks_to_impact"], -r["position"]))
            chosen[best["tactic"]] = best
    ranked = pd.DataFrame(rows).sort_values(
        ["priority", "perception_gap", "weeks_to_impact", "position"],
        ascending=[False, False, True, True], kind="stable")
    per_dim = pd.Series([r["dimension"] for r in chosen.values()]).value_counts().to_dict()
    for row in ranked.to_dict("records"):
        if len(chosen) >= top:
            break
        if row["tactic"] in chosen or per_dim.get(row["dimension"], 0) >= per_dimension:
            continue
        chosen[row["tactic"]] = row
        per_dim[row["dimension"]] = per_dim.get(row["dimension"], 0) + 1
    plan = pd.DataFrame(list(chosen.values())).sort_values(
        ["priority", "perception_gap", "weeks_to_impact", "position"],
        ascending=[False, False, True, True], kind="stable")
    plan.insert(0, "rank", range(1, len(plan) + 1))
    return plan[_RANK_COLUMNS].reset_index(drop=True)


def build_action_plan(scores: WaveScores, playbook: Playbook | None = None, *, start: date,
                      top: int = 6, per_dimension: int = 2, target_level: float = TARGET_LEVEL,
                      kpi_baselines: Mapping[str, float] | None = None,
                      drivers: Drivers | None = None) -> pd.DataFrame:
    """The ranked plan: one action per chosen tactic, ready for :func:`store_plan`.

    Parameters
    ----------
    scores
        The baseline wave's scores (small groups already hidden).
    playbook
        The tactics to choose from (the bundled playbook by default).
    start
        The day the plan starts; each action is due ``weeks_to_impact`` later.
    top, per_dimension
        Number of actions, and most actions aimed at one dimension.
    target_level
        The mean every dimension should reach (1-5).
    kpi_baselines
        Today's value of KPIs measured elsewhere (e.g. from the CRM funnel);
        KPIs not given have an unknown baseline and the playbook's default target.
    drivers
        The wave's driver view (:func:`alignkit.analysis.drivers.load_drivers`): when it
        has one, the ranking weighs each need by the dimension's impact.

    Returns
    -------
    pandas.DataFrame
        The :func:`rank_tactics` columns plus ``sales_owner, marketing_owner,
        due, kpi, baseline, target, status``; ``attrs["source"] = "draft"``.
    """
    book = playbook or load_playbook()
    ranked = rank_tactics(gap_sizes(scores, target_level=target_level, drivers=drivers), book,
                          top=top, per_dimension=per_dimension)
    measured = dict(kpi_baselines or {})
    kpis = [book.kpi(book.tactic(t).headline_kpi) for t in ranked["tactic"]]
    baselines = [measured.get(k.id, np.nan) for k in kpis]
    plan = ranked.assign(
        id=ranked["rank"], sales_owner=PLACEHOLDER, marketing_owner=PLACEHOLDER,
        due=[pd.Timestamp(start + timedelta(weeks=int(w))) for w in ranked["weeks_to_impact"]],
        kpi=[k.id for k in kpis], baseline=baselines,
        target=[k.target_for(b) for k, b in zip(kpis, baselines, strict=True)],
        status="planned",
    )
    plan["due"] = pd.to_datetime(plan["due"])
    plan.attrs["source"] = "draft"
    return plan


def require_no_plan(workspace: Workspace, company: str) -> None:
    """Raise :class:`StoreError` with a one-line hint if the company already has actions."""
    existing = load_actions(workspace, company)
    if len(existing):
        raise StoreError(
            f"company '{company}' already has a plan of {len(existing)} actions; change one with "
            f"`alignkit plan edit ID --company {company}`, or rebuild it with --replace "
            "(this deletes their progress updates)")


def store_plan(workspace: Workspace, company: str, plan: pd.DataFrame, *,
               replace: bool = False) -> pd.DataFrame:
    """Save a plan's actions; refuse if the company already has some, unless ``replace``.

    Raises
    ------
    StoreError
        When actions exist and ``replace`` is false (nothing is written).
    """
    if not replace:
        require_no_plan(workspace, company)
    return save_actions(workspace, company, plan[[c for c in _STORE_COLUMNS if c in plan]],
                        replace=replace)


def explain_actions(actions: pd.DataFrame, gaps: pd.DataFrame,
                    playbook: Playbook | None = None) -> pd.DataFrame:
    """Stored actions with the reasons behind them: need, impact, effort, rank.

    Actions keep their stored number as their rank (they were numbered in
    priority order when the plan was stored); need figures come from
    ``gaps`` (see :func:`gap_sizes`; may be empty) and are NaN for a dimension
    it does not score. ``attrs["source"] = "stored"``.
    """
    book = playbook or load_playbook()
    known = {t.id for t in book.tactics}
    info = [book.tactic(t) if t in known else None for t in actions["tactic"]]
    names = load_instrument().dimension_names()

    def lookup(column: str) -> list[float]:
        found = dict(zip(gaps["dimension"], gaps[column], strict=True)) if len(gaps) else {}
        return [found.get(d, np.nan) for d in actions["dimension"]]

    out = actions.assign(
        dimension_name=[names.get(d, d) for d in actions["dimension"]],
        gap_size=lookup("gap_size"), shortfall=lookup("shortfall"),
        perception_gap=lookup("perception_gap"),
        impact_weight=lookup("impact_weight") if "impact_weight" in gaps else 1.0,
        weight=[(1.0 if d == t.dimensions[0] else SUPPORT_WEIGHT) if t else np.nan
                for t, d in zip(info, actions["dimension"], strict=True)],
        impact=[t.impact if t else np.nan for t in info],
        effort=[t.effort if t else np.nan for t in info],
        weeks_to_impact=[t.weeks_to_impact if t else np.nan for t in info],
    )
    out = out.sort_values("id", kind="stable")
    out.insert(0, "rank", out["id"].astype(int).to_numpy())
    out = out.reset_index(drop=True)
    out.attrs["source"] = "stored"
    return out


def current_plan(workspace: Workspace | str | None, company: str, scores: WaveScores, *,
                 start: date | str | None = None, playbook: Playbook | None = None,
                 **build: Any) -> pd.DataFrame:
    """The company's stored plan if it has one, else a draft built in memory.

    Nothing is written: a report run never changes the store. A draft starts
    on ``start`` (a date, ``"YYYY-MM-DD"``, or empty for today); ``build`` is
    passed on to :func:`build_action_plan`.
    """
    ws = as_workspace(workspace)
    stored = load_actions(ws, company)
    if stored.empty:
        day = date.fromisoformat(start) if isinstance(start, str) and start else start
        return build_action_plan(scores, playbook, start=day or date.today(), **build)
    target = build.get("target_level", TARGET_LEVEL)
    return explain_actions(stored, gap_sizes(scores, target_level=target,
                                             drivers=build.get("drivers")), playbook)


def edit_action(workspace: Workspace, company: str, action_id: int, *,
                sales_owner: str | None = None, marketing_owner: str | None = None,
                due: date | None = None, target: float | None = None) -> pd.Series:
    """Change the owners, due date or target of one stored action; returns it.

    Raises
    ------
    StoreError
        If the company has no such action or nothing is to be changed.
    """
    changes = {k: v for k, v in {"sales_owner": sales_owner, "marketing_owner": marketing_owner,
                                 "due": due.isoformat() if due else None,
                                 "target": target}.items() if v is not None}
    if not changes:
        raise StoreError("nothing to change: give --sales-owner, --marketing-owner, --due or "
                         "--target")
    for key in ("sales_owner", "marketing_owner"):
        if key in changes:
            changes[key] = " ".join(str(changes[key]).split())
            if not changes[key]:
                raise StoreError(f"{key.replace('_', ' ')} cannot be empty")
    update_action(workspace, company, action_id, changes)
    actions = load_actions(workspace, company)
    return actions.loc[actions["id"] == action_id].iloc[0]


# -- the client workbook ----------------------------------------------------------------
_XLSX_COLUMNS = (("#", 5), ("Action", 34), ("Addresses", 26), ("Priority", 9),
                 ("Sales owner", 16), ("Marketing owner", 16), ("Due", 12), ("KPI", 34),
                 ("Baseline", 11), ("Target", 11), ("Status", 11), ("What it involves", 60),
                 ("First steps", 60))


def _text(value: Any) -> Any:
    """Text through :func:`~alignkit.catalog.questionnaire.safe_cell`; numbers and dates as they are."""
    from alignkit.catalog.questionnaire import safe_cell  # lazy: keeps openpyxl out of report kernels

    return safe_cell(value) if isinstance(value, str) else value


def _xlsx_kit() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    return {"title": Font(bold=True, size=14), "bold": Font(bold=True),
            "muted": Font(italic=True, color="6B7378"), "wrap": Alignment(wrap_text=True,
                                                                          vertical="top"),
            "fill": PatternFill("solid", fgColor="DDEBF7")}


def _header(sheet: Any, row: int, names: list[str], kit: dict[str, Any]) -> None:
    for col, name in enumerate(names, start=1):
        cell = sheet.cell(row, col, _text(name))
        cell.font, cell.fill, cell.alignment = kit["bold"], kit["fill"], kit["wrap"]


def _action_row(plan_row: pd.Series, book: Playbook) -> list[Any]:
    tactic = next((t for t in book.tactics if t.id == plan_row["tactic"]), None)
    kpi = next((k for k in book.kpis if k.id == plan_row["kpi"]), None)
    baseline, target, priority = (plan_row[c] for c in ("baseline", "target", "priority"))
    return [int(plan_row["rank"]), plan_row["title"], plan_row["dimension_name"],
            None if pd.isna(priority) else round(float(priority), 1),
            plan_row["sales_owner"] or PLACEHOLDER, plan_row["marketing_owner"] or PLACEHOLDER,
            plan_row["due"].date() if pd.notna(plan_row["due"]) else None,
            kpi.name if kpi else plan_row["kpi"],
            "not measured yet" if pd.isna(baseline) else float(baseline),
            None if pd.isna(target) else float(target), plan_row["status"].replace("_", " "),
            tactic.description if tactic else "",
            "\n".join(f"{k}. {step}" for k, step in enumerate(tactic.first_steps, 1))
            if tactic else ""]


def _write_actions(sheet: Any, plan: pd.DataFrame, company: str, book: Playbook,
                   kit: dict[str, Any]) -> None:
    sheet.cell(1, 1, _text(f"Joint action plan: {company}")).font = kit["title"]
    sheet.cell(2, 1, _text("Numbered by priority = need x impact / effort. Each action has "
                               "one owner in sales and one in marketing.")).font = kit["muted"]
    _header(sheet, 4, [name for name, _ in _XLSX_COLUMNS], kit)
    for offset, (_, row) in enumerate(plan.iterrows()):
        values = _action_row(row, book)
        unit = book.kpi(row["kpi"]).unit if row["kpi"] in {k.id for k in book.kpis} else "count"
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(5 + offset, col, _text(value))
            cell.alignment = kit["wrap"]
            if col == 7:
                cell.number_format = "DD MMM YYYY"
            elif col in (9, 10):
                cell.number_format = "0%" if unit == "percent" else "0"
    for col, (_, width) in enumerate(_XLSX_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(4, col).column_letter].width = width
    sheet.freeze_panes = "C5"
    sheet.auto_filter.ref = f"A4:{sheet.cell(4, len(_XLSX_COLUMNS)).column_letter}{4 + len(plan)}"


def _write_sla(sheet: Any, sla: ServiceLevelAgreement, company: str, currency: str,
               kit: dict[str, Any]) -> None:
    def put(row: int, *values: Any, font: Any = None) -> None:
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col, _text(value))
            cell.alignment = kit["wrap"]
            if font is not None:
                cell.font = font
    goal = sla.goal
    put(1, f"Service level agreement between sales and marketing: {company}", font=kit["title"])
    put(3, "Revenue goal", font=kit["bold"])
    put(4, f"New revenue per {goal.period}", format_money(goal.amount, currency))
    put(5, "Share from marketing-sourced deals", f"{goal.marketing_share:.0%}")
    put(6, "Average deal size", format_money(goal.deal_size, currency))
    _header(sheet, 8, ["Needed from the funnel", "Per month", "Per week"], kit)
    for k, rec in enumerate(sla.volumes.itertuples(index=False)):
        put(9 + k, rec.label, rec.commit_month, rec.commit_week)
    _header(sheet, 16, ["Conversion step", "Rate", "Source"], kit)
    for k, (step, rec) in enumerate(rates_table(sla.rates).iterrows()):
        put(17 + k, step, rec["Conversion"], rec["Source"])
    row = 23
    for side, lines in commitments(sla).items():
        put(row, f"{side.capitalize()} commits to", font=kit["bold"])
        for k, line in enumerate(lines, 1):
            put(row + k, f"{k}. {line.replace('**', '')}")
        row += len(lines) + 2
    for side in ("marketing", "sales"):
        put(row, f"Signed for {side}", "Name:", "Date:", font=kit["bold"])
        row += 2
    for letter, width in zip("ABC", (58, 22, 28), strict=True):
        sheet.column_dimensions[letter].width = width


def export_xlsx(plan: pd.DataFrame, sla: ServiceLevelAgreement, path: str | Path, *,
                company: str, currency: str = DEFAULT_CURRENCY,
                playbook: Playbook | None = None) -> Path:
    """Write the client workbook: an "Action plan" sheet and an "SLA" sheet.

    Every text cell passes through :func:`alignkit.catalog.questionnaire.safe_cell`, so
    an owner named ``=HYPERLINK(...)`` stays text. The file is written under a
    temporary name and moved into place.
    """
    from openpyxl import Workbook

    book, kit = playbook or load_playbook(), _xlsx_kit()
    workbook = Workbook()
    _write_actions(workbook.active, plan, company, book, kit)
    workbook.active.title = "Action plan"
    _write_sla(workbook.create_sheet("SLA"), sla, company, currency, kit)
    target = Path(path)
    partial = target.with_name(f".{target.name}.part")
    workbook.save(partial)
    partial.replace(target)
    return target
