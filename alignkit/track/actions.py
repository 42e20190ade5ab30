"""The action tracker: status on a given day, overdue actions, burn-up, and its words.

Every analysis function takes the frames of :mod:`alignkit.store.actions`
(``load_actions``, ``load_action_updates``) and an ``as_of`` date and never
looks at the clock, so a report rendered twice for the same day says the same
thing. Only :func:`as_of_date` (used at the boundary: notebook, CLI) turns an
empty parameter into today.

Status updates from a file are read by :mod:`alignkit.intake.action_updates`; its
public names are importable from here too.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from alignkit.exceptions import AlignkitError
from alignkit.intake.action_updates import (
    UPDATE_COLUMNS,
    UpdateImport,
    import_action_updates,
    read_action_update_file,
    store_action_updates,
)
from alignkit.intake.cells import parse_day
from alignkit.text.escaping import escape_markdown
from alignkit.text.tables import report_table

__all__ = [
    "OPEN",
    "STATUS_LABELS",
    "UPDATE_COLUMNS",
    "action_status",
    "as_of_date",
    "burn_up_series",
    "execute_findings",
    "execute_heading",
    "import_action_updates",
    "on_track_markdown",
    "overdue_note",
    "overdue_table",
    "read_action_update_file",
    "status_overview",
    "store_action_updates",
    "UpdateImport",
]

STATUS_LABELS = {"planned": "Not started", "in_progress": "In progress", "done": "Done",
                 "dropped": "Dropped"}
OPEN = ("planned", "in_progress")


def as_of_date(value: str | date | None) -> date:
    """The day a report is written for: the value given, or today when it is empty.

    Raises
    ------
    AlignkitError
        If the text is not a ``YYYY-MM-DD`` date.
    """
    if isinstance(value, date):
        return value
    if value is None or not str(value).strip():
        return date.today()
    try:
        return parse_day(str(value))
    except ValueError as err:
        raise AlignkitError(f"as_of: {err}") from None


# -- status on a day ---------------------------------------------------------------
def _latest_before(updates: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per action: the last status, progress and note recorded on or before ``as_of``."""
    seen = updates[updates["updated_on"] <= pd.Timestamp(as_of)].sort_values(
        "updated_on", kind="stable")  # same day: the later entry wins
    last = seen.groupby("action_id", sort=False).tail(1).set_index("action_id")
    progress = seen.dropna(subset=["progress"]).groupby("action_id").tail(1)
    noted = seen[seen["note"].fillna("").astype(str).str.strip() != ""]
    done = seen[seen["status"] == "done"].groupby("action_id").head(1)
    return pd.DataFrame({
        "status_then": last["status"], "last_update": last["updated_on"],
        "done_on": done.set_index("action_id")["updated_on"],
        "progress_then": progress.set_index("action_id")["progress"].astype(float),
        "note": noted.groupby("action_id").tail(1).set_index("action_id")["note"],
    })


def action_status(actions: pd.DataFrame, updates: pd.DataFrame, *, as_of: date,
                  due_soon_days: int = 14) -> pd.DataFrame:
    """Each action as it stood at the end of ``as_of``.

    The status is the last update on or before that day; an action without
    any update keeps its stored status, one whose updates all come later was
    still ``planned``. A done action counts as 100 % progress. An action is
    overdue when its due date has passed and it is neither done nor dropped;
    it is late when it is overdue or was done after its due date.

    Returns
    -------
    pandas.DataFrame
        The action columns plus ``status``, ``progress`` (0–1, NaN unknown),
        ``last_update``, ``note``, ``done_on`` (first day recorded done),
        ``overdue``, ``days_overdue`` (0 if not), ``late`` (overdue, or done after
        its due date) and ``due_soon`` (open and due within ``due_soon_days``).
    """
    updates = updates.assign(progress=pd.to_numeric(updates["progress"], errors="coerce"))
    latest = _latest_before(updates, as_of)
    out = actions.drop(columns=["status"]).join(latest, on="id")
    has_any = out["id"].isin(set(updates["action_id"]))
    fallback = actions["status"].where(~has_any, "planned")
    out["status"] = out["status_then"].fillna(fallback).astype(str)
    out["progress"] = out["progress_then"].where(out["status"] != "planned", 0.0)
    out.loc[out["status"] == "done", "progress"] = 1.0
    out.loc[out["status"] == "dropped", "progress"] = np.nan
    out["progress"] = out["progress"].astype(float)
    day, due = pd.Timestamp(as_of), pd.to_datetime(out["due"])
    is_open = out["status"].isin(OPEN)
    out["overdue"] = is_open & due.notna() & (due < day)
    out["days_overdue"] = np.where(out["overdue"], (day - due).dt.days, 0).astype(int)
    done_on = pd.to_datetime(out["done_on"]).where(out["status"] == "done")
    out["done_on"] = done_on
    out["late"] = out["overdue"] | (done_on.notna() & due.notna() & (done_on > due))
    soon = day + pd.Timedelta(days=due_soon_days)
    out["due_soon"] = is_open & ~out["overdue"] & due.notna() & (due <= soon)
    return out.drop(columns=["status_then", "progress_then"]).reset_index(drop=True)


def _owners(row: pd.Series) -> str:
    """Both owners for a Markdown sentence (escaped: owners are typed by people)."""
    parts = [f"{side}: {escape_markdown(row[col])}" for side, col in (("Sales", "sales_owner"),
                                                     ("Marketing", "marketing_owner"))
             if isinstance(row[col], str) and row[col].strip()]
    return " · ".join(parts) or "\u2013"


def _owner_cells(row: pd.Series) -> dict[str, str]:
    return {side: row[col] if isinstance(row[col], str) and row[col].strip() else "\u2013"
            for side, col in (("Sales", "sales_owner"), ("Marketing", "marketing_owner"))}


def _day(value: object) -> str:
    return "\u2013" if pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def status_overview(status: pd.DataFrame) -> Styler:
    """Display table, late actions first, then in progress, not started, done, dropped."""
    rank = {"in_progress": 1, "planned": 2, "done": 3, "dropped": 4}
    order = status.assign(rank=np.where(status["overdue"], 0, status["status"].map(rank)))
    order = order.sort_values(["rank", "due", "id"], na_position="last")
    rows = [{"#": int(r["id"]), "Action": r["title"], **_owner_cells(r), "Due": _day(r["due"]),
             "Status": STATUS_LABELS[r["status"]] + (
                 f", {r['days_overdue']} days late" if r["overdue"] else
                 f", {(r['done_on'] - r['due']).days} days late" if r["late"] else ""),
             "Progress": "\u2013" if pd.isna(r["progress"]) else f"{r['progress']:.0%}",
             "Last update": _day(r["last_update"])} for _, r in order.iterrows()]
    columns = ["#", "Action", "Sales", "Marketing", "Due", "Status", "Progress", "Last update"]
    return report_table(pd.DataFrame(rows, columns=columns), "actions")


def overdue_table(status: pd.DataFrame) -> Styler:
    """Display table of overdue actions, the longest overdue first."""
    late = status[status["overdue"]].sort_values(["days_overdue", "id"], ascending=[False, True])
    rows = [{"#": int(r["id"]), "Action": r["title"], **_owner_cells(r), "Due": _day(r["due"]),
             "Days late": int(r["days_overdue"]), "Status": STATUS_LABELS[r["status"]],
             "Latest note": r["note"] if isinstance(r["note"], str) else "\u2013"}
            for _, r in late.iterrows()]
    columns = ["#", "Action", "Sales", "Marketing", "Due", "Days late", "Status", "Latest note"]
    return report_table(pd.DataFrame(rows, columns=columns), "overdue")


# -- burn-up ------------------------------------------------------------------------
def burn_up_series(actions: pd.DataFrame, updates: pd.DataFrame, *, as_of: date,
                   start: date | None = None) -> pd.DataFrame:
    """Weekly scope, due and done counts from ``start`` to the last due date of the plan.

    Parameters
    ----------
    actions, updates
        Frames of :func:`~alignkit.store.actions.load_actions` and
        :func:`~alignkit.store.actions.load_action_updates`.
    as_of
        The report day; ``done`` and ``in_progress`` are NaN after it.
    start
        First day shown; default the first update (or ``as_of`` if none).

    Returns
    -------
    pandas.DataFrame
        ``date, scope, due, done, in_progress`` where ``scope`` counts the
        actions not dropped by that day and ``due`` those of them due by then.
        The last row before the future is ``as_of`` itself.
    """
    if start is None:
        first = updates["updated_on"].min() if len(updates) else pd.NaT
        start = min(as_of, first.date()) if pd.notna(first) else as_of
    due = pd.to_datetime(actions["due"]).to_numpy()
    live = _statuses_on(actions, updates, [pd.Timestamp(as_of)])[0] != "dropped"
    last_due = pd.Series(due[live]).max()
    end = max(as_of, last_due.date()) if pd.notna(last_due) else as_of
    days = sorted({*pd.date_range(start, end, freq="W-MON"), pd.Timestamp(start),
                   pd.Timestamp(as_of), pd.Timestamp(end)})
    statuses = _statuses_on(actions, updates, [min(day, pd.Timestamp(as_of)) for day in days])
    rows = []
    for day, status in zip(days, statuses, strict=True):
        live = status != "dropped"
        past = day.date() > as_of
        rows.append((day, int(live.sum()), int((due[live] <= day.to_datetime64()).sum()),
                     np.nan if past else float((status[live] == "done").sum()),
                     np.nan if past else float((status[live] == "in_progress").sum())))
    return pd.DataFrame(rows, columns=["date", "scope", "due", "done", "in_progress"])


def _statuses_on(actions: pd.DataFrame, updates: pd.DataFrame,
                 days: list[pd.Timestamp]) -> list[np.ndarray]:
    """Each action's status at the end of each of ``days``, as :func:`action_status` has it.

    One pass over the updates instead of one :func:`action_status` per day: the
    burn-up asks for every week of the plan.
    """
    ordered = updates.sort_values("updated_on", kind="stable")  # same day: the later entry wins
    history = {key: (group["updated_on"].to_numpy(), group["status"].astype(str).to_numpy(object))
               for key, group in ordered.groupby("action_id", sort=False)}
    stored = actions["status"].astype(str).to_numpy(object)  # object: any length of status
    out = []
    for day in days:
        moment = np.datetime64(day)
        status = stored.copy()
        for i, key in enumerate(actions["id"]):
            if key in history:  # updated at some time: planned until its first update
                when, said = history[key]
                last = np.searchsorted(when, moment, side="right") - 1
                status[i] = said[last] if last >= 0 else "planned"
        out.append(status)
    return out


# -- words -------------------------------------------------------------------------
def _verdict(status: pd.DataFrame) -> str:
    """On track (≥ 80 % of what is due is done), slipping (≥ 50 %) or off track."""
    due_now = status[(status["status"] == "done") | status["overdue"]]
    if due_now.empty:
        return "Nothing was due yet, so the plan cannot be behind."
    share = ((due_now["status"] == "done") & ~due_now["late"]).mean()
    word = "on track" if share >= 0.8 else "slipping" if share >= 0.5 else "off track"
    return (f"The plan is **{word}**: {share:.0%} of the actions that are due or finished were "
            "done on time (on track means at least 80%, slipping at least 50%).")


def _overdue_sentence(status: pd.DataFrame) -> str:
    late = status[status["overdue"]].sort_values("days_overdue", ascending=False)
    finished_late = int((status["late"] & ~status["overdue"]).sum())
    after = (f" {finished_late} {'action was' if finished_late == 1 else 'actions were'} "
             "finished after the due date." if finished_late else "")
    if late.empty:
        return "- Nothing is overdue." + after
    worst = late.iloc[0]
    return (f"- **{len(late)} {'action is' if len(late) == 1 else 'actions are'} overdue.** "
            f"The longest overdue is *{escape_markdown(worst['title'])}* ({_owners(worst)}), "
            f"{worst['days_overdue']} days past its due date of {_day(worst['due'])}." + after)


def execute_findings(status: pd.DataFrame, *, as_of: date) -> str:
    """Where the plan stands on ``as_of``, in a few bullet points (Markdown)."""
    if status.empty:  # the heading already says so
        return ""
    counts = status["status"].value_counts()
    n = len(status)
    lines = [f"- As of **{as_of:%d %B %Y}**, **{counts.get('done', 0)} of {n} actions are "
             f"done**, {counts.get('in_progress', 0)} in progress and "
             f"{counts.get('planned', 0)} not started"
             + (f"; {counts['dropped']} dropped." if counts.get("dropped", 0) else "."),
             _overdue_sentence(status)]
    soon = status[status["due_soon"]].sort_values("due")
    if len(soon):
        names = "; ".join(f"*{escape_markdown(r.title)}* ({_day(r.due)})"
                          for r in soon.itertuples())
        lines.append(f"- Due in the next two weeks: {names}.")
    lines.append(f"- {_verdict(status)}")
    return "\n".join(lines)


def execute_heading(company_name: str, wave: str, status: pd.DataFrame,
                    kpi_summary: pd.DataFrame, *, as_of: date) -> str:
    """The opening lines of the Execute report; one sentence when nothing is tracked yet."""
    company_name, wave = escape_markdown(company_name), escape_markdown(wave)
    title = f"# Is the plan happening at {company_name}?\n\n"
    if status.empty:
        what = "No action plan and no KPI figures have" if kpi_summary.empty else \
            "No action plan has"
        return title + (f"{what} been recorded for {company_name} yet, so there "
                        "is nothing to track; this report fills in once the Plan stage has "
                        "stored the actions.")
    return title + (
        f"This report follows the joint action plan agreed after the **{wave}** survey and the "
        f"KPIs both teams track, as they stood on **{as_of:%d %B %Y}**. It is the third step of "
        "the cycle *identify → plan → execute → recap*: checking that the agreed actions "
        "happen, and that the figures they should move are moving.")


def overdue_note(status: pd.DataFrame) -> str:
    """The sentence above the overdue table."""
    late = int(status["overdue"].sum()) if len(status) else 0
    if late == 0:
        return "Nothing is overdue." if len(status) else ""
    return (f"{late} {'action is' if late == 1 else 'actions are'} past the due date and not "
            "finished. Each has an owner on both sides: agree a new date with both, or drop "
            "the action on purpose.")


def on_track_markdown(status: pd.DataFrame, kpi_summary: pd.DataFrame) -> str:
    """Two short lists for the steering meeting: what is on track and what is not."""
    done = status.loc[status["status"] == "done", "title"].tolist()
    good = [f"Done: {'; '.join(f'*{escape_markdown(t)}*' for t in done)}"] if done else []
    good += [f"{escape_markdown(r.label)}: "
             f"{'target met' if r.status == 'met' else 'moving towards target'}"
             for r in kpi_summary.itertuples() if r.status in ("met", "improving")]
    bad = [f"*{escape_markdown(r.title)}* is {r.days_overdue} days late" for r in
           status[status["overdue"]].sort_values("days_overdue", ascending=False).itertuples()]
    bad += [f"{escape_markdown(r.label)} has "
            f"{'stalled' if r.status == 'stalled' else 'moved away from target'}"
            for r in kpi_summary.itertuples() if r.status in ("stalled", "worsening")]
    if not good and not bad:
        return ("Nothing to decide yet: no action is done or late, and no KPI has a figure "
                "after its baseline to show a direction.")

    def block(head: str, items: list[str]) -> str:
        return f"**{head}**\n\n" + ("\n".join(f"- {i}" for i in items) if items else "- none")

    return block("On track", good) + "\n\n" + block("Off track", bad)
