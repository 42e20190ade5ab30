"""Live workshop intake: an ipywidgets form that stores one respondent per submit.

A consultant opens ``notebooks/00_intake.ipynb`` on a laptop and passes it around
the room. Each person picks a team, rates the statements section by section and
presses *Submit*. The answers are written as a one-row file in alignkit's own
response template (``<workspace>/inbox/workshop-<wave>-<time>-<n>.csv``) and
imported with :func:`alignkit.intake.survey.import_survey`, so a submission gets
exactly the validation, pseudonym, raw copy and single transaction of a file
import. Building or showing the form only reads the store; only a submit writes.
"""

from __future__ import annotations

import csv
import html
import re
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from alignkit.analysis.privacy import DEFAULT_THRESHOLD, check_threshold
from alignkit.catalog.instrument import Instrument, Item, load_instrument
from alignkit.catalog.questionnaire import safe_cell, template_header
from alignkit.charts.identify import TEAM_COLOURS
from alignkit.exceptions import AlignkitError
from alignkit.intake import canonical
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace
from alignkit.text.escaping import escape_html

__all__ = [
    "NOT_APPLICABLE", "Submission", "SubmitResult", "WorkshopForm", "check_submission",
    "submission_row", "submit_submission", "team_counts", "workshop_form", "write_submission",
]

#: The answer meaning "does not apply to me, or I don't know" (stored as missing).
NOT_APPLICABLE = "N/A"

_MUTED, _OK, _PROBLEM = "#6B7378", "#1E7F5C", "#B03A2E"
_THANKS = "Thank you, your answers are saved. Please pass the laptop to the next person."
# ToggleButtons mark the chosen answer only faintly; a dark fill is readable across a room.
_STYLE = ("<style>.alignkit-workshop .widget-toggle-button.mod-active"
          "{background:#2D3436;color:#FFFFFF}</style>")


@dataclass(frozen=True)
class Submission:
    """What one person entered in the form.

    Attributes
    ----------
    team
        A team id of the instrument (``sales`` …), or ``None`` if none was chosen.
    answers
        ``{item id: scale value or NOT_APPLICABLE}``; unanswered items are absent.
    role, comment
        Optional free text.
    """

    team: str | None
    answers: Mapping[str, int | str] = field(default_factory=dict)
    role: str = ""
    comment: str = ""


@dataclass(frozen=True)
class SubmitResult:
    """The outcome of one submit: stored (``accepted``) or refused, and why."""

    accepted: bool
    message: str
    file: Path | None = None
    respondent: str | None = None


def check_submission(submission: Submission, instrument: Instrument) -> str | None:
    """Return one friendly line saying what is missing, or ``None`` if it can be stored.

    The rules are those of a file import: a team is required, and at least one
    statement must be rated on the scale (N/A alone is no answer).

    Examples
    --------
    >>> from alignkit import load_instrument
    >>> check_submission(Submission("sales", {"goals_1": 4}), load_instrument()) is None
    True
    >>> check_submission(Submission(None, {"goals_1": 4}), load_instrument())[:22]
    'Please choose the team'
    """
    if submission.team not in instrument.team_ids:
        return "Please choose the team you are part of (first page) before submitting."
    scale = {value for value, _ in instrument.scale}
    items = {item.id for item in instrument.items}
    for item, value in submission.answers.items():
        if item not in items or (value != NOT_APPLICABLE and value not in scale):
            return f"{value!r} for '{item}' is not an answer this survey accepts; choose again."
    if all(value == NOT_APPLICABLE for value in submission.answers.values()):
        return "Please rate at least one statement; N/A alone does not count as an answer."
    return None


def submission_row(submission: Submission, instrument: Instrument, respondent_id: str) -> list[str]:
    """The submission as one row of the response template (see ``template_header``).

    Free text is neutralised with :func:`alignkit.catalog.questionnaire.safe_cell`, so the
    file is safe to open in a spreadsheet.
    """
    labels = {team: label for team, label, _ in instrument.teams}
    cells = {
        "respondent_id": respondent_id,
        "team": labels[submission.team] if submission.team else "",
        "role": safe_cell(submission.role.strip()),
        "comment": safe_cell(submission.comment.strip()),
    }
    for item in instrument.items:
        value = submission.answers.get(item.id)
        cells[item.id] = ("" if value is None else
                          instrument.na_label if value == NOT_APPLICABLE else str(value))
    return [cells[column] for column in template_header(instrument)]


def write_submission(row: list[str], instrument: Instrument, folder: Path, wave: str,
                     number: int = 1) -> Path:
    """Write a one-row response file ``workshop-<wave>-<UTC time>-<n>.csv`` into ``folder``.

    An existing file is never overwritten: ``n`` counts up until the name is free.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = f"workshop-{re.sub(r'[^A-Za-z0-9_-]+', '-', wave).strip('-') or 'wave'}-{stamp}"
    while True:
        path = folder / f"{stem}-{number}.csv"
        try:
            with path.open("x", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([safe_cell(h) for h in template_header(instrument)])
                writer.writerow(row)
            return path
        except FileExistsError:
            number += 1


def team_counts(workspace: Workspace, company: str, wave: str,
                instrument: Instrument) -> dict[str, int]:
    """Respondents stored so far in a wave, per team id (0 for a wave not yet started)."""
    counts = dict.fromkeys(instrument.team_ids, 0)
    if wave in workspace.waves(company):
        for team, n in workspace.respondents(company, wave)["team"].value_counts().items():
            counts[str(team)] = int(n)
    return counts


def _import_one(path: Path, *, workspace: Workspace, company: str, wave: str,
                instrument: Instrument) -> str | None:
    """Import a one-row file once a dry run shows one respondent; ``None`` or why not."""
    options: dict[str, Any] = dict(company=company, wave=wave, workspace=workspace,
                                   source=canonical.SOURCE, instrument=instrument)
    trial = import_survey(path, dry_run=True, **options)
    if trial.respondents != 1:
        return str(trial.skipped[0]["reason"]) if trial.skipped else trial.message
    done = import_survey(path, **options)
    return None if done.imported else done.message


def submit_submission(submission: Submission, *, workspace: Workspace, company: str, wave: str,
                      instrument: Instrument, number: int = 1) -> SubmitResult:
    """Validate a submission and store it as one respondent with a random id.

    Nothing is written when the submission is refused: the message says why.
    """
    problem = check_submission(submission, instrument)
    if problem:
        return SubmitResult(False, problem)
    respondent_id = secrets.token_hex(8)
    row = submission_row(submission, instrument, respondent_id)
    try:
        path = write_submission(row, instrument, workspace.root / "inbox", wave, number)
    except OSError as err:
        return SubmitResult(False, f"Not saved: cannot write into {workspace.root / 'inbox'} "
                                   f"({err.strerror or type(err).__name__}).")
    try:
        problem = _import_one(path, workspace=workspace, company=company, wave=wave,
                              instrument=instrument)
    except (AlignkitError, OSError, sqlite3.Error) as err:  # e.g. raw/ unwritable, database locked
        problem = str(err)
    if problem:
        path.unlink(missing_ok=True)
        return SubmitResult(False, f"Not saved: {problem}")
    pseudonym = workspace.pseudonymise(company, [respondent_id])[0]
    return SubmitResult(True, _THANKS, file=path, respondent=pseudonym)


# --- widgets ----------------------------------------------------------------


def _html(text: str, *, colour: str = "inherit", size: str = "inherit", bold: bool = False,
          **layout: str) -> widgets.HTML:
    weight = "600" if bold else "normal"
    return widgets.HTML(
        f"<div style='color:{colour};font-size:{size};font-weight:{weight};line-height:1.4'>"
        f"{escape_html(text)}</div>", layout=widgets.Layout(**layout))


def _rating_buttons(instrument: Instrument) -> widgets.ToggleButtons:
    options = [(str(value), value) for value, _ in instrument.scale] + [(instrument.na_label,
                                                                         NOT_APPLICABLE)]
    tooltips = [label for _, label in instrument.scale] + ["Does not apply to me, or I don't know"]
    return widgets.ToggleButtons(options=options, index=None, tooltips=tooltips,
                                 style={"button_width": "44px"},
                                 layout=widgets.Layout(flex="0 0 auto", width="auto"))


def _item_row(item: Item, buttons: widgets.ToggleButtons) -> widgets.HBox:
    return widgets.HBox(
        [_html(item.text, flex="1 1 auto", min_width="0", margin="0 16px 0 0"), buttons],
        layout=widgets.Layout(align_items="center", padding="4px 0",
                              border_bottom="1px solid #ECEEEF"))


def _legend(instrument: Instrument) -> widgets.HTML:
    parts = [f"{value} = {label}" for value, label in instrument.scale]
    parts.append(f"{instrument.na_label} = does not apply or don't know")
    return _html(" · ".join(parts), colour=_MUTED, size="0.9em", margin="0 0 6px 0")


def _counts_html(counts: dict[str, int], instrument: Instrument, threshold: int) -> str:
    chips = []
    for team, label, _ in instrument.teams:
        n = counts.get(team, 0)
        short = f" (needs {threshold - n} more to be shown)" if 0 < n < threshold else ""
        chips.append(f"<span style='color:{TEAM_COLOURS.get(team, _MUTED)};font-weight:600'>"
                     f"{escape_html(label)} {n}</span>{short}")
    return (f"<div style='color:{_MUTED};font-size:0.9em;line-height:1.5'>"
            f"<b>Responses so far:</b> {' · '.join(chips)} · total {sum(counts.values())}<br>"
            f"Answers are confidential: results are only ever shown for groups of at least "
            f"{threshold} people, and comments of smaller groups are never shown.</div>")


class WorkshopForm:
    """The workshop form of one company's survey wave, ready to display as ``form.widget``.

    Parameters
    ----------
    workspace, company, wave
        Where to store: ``company`` must be registered in ``workspace``; the wave
        is created by the first submit.
    anonymity_min
        Threshold quoted in the anonymity note (at least 3).
    instrument
        The survey; the bundled one by default.

    Raises
    ------
    UnknownCompanyError
        For a company that is not registered (the message says how to add it).
    """

    def __init__(self, workspace: Workspace, company: str, wave: str, *,
                 anonymity_min: int = DEFAULT_THRESHOLD, instrument: Instrument | None = None) -> None:
        workspace.company(company)
        if not str(wave).strip():
            raise AlignkitError("the wave name is empty; set wave, e.g. wave = 'workshop'")
        self.workspace, self.company, self.wave = workspace, company, str(wave).strip()
        self.threshold = check_threshold(anonymity_min)
        self.instrument = instrument or load_instrument()
        self.submitted = 0
        self.last_result: SubmitResult | None = None
        self.team = widgets.ToggleButtons(
            options=[(label, team) for team, label, _ in self.instrument.teams], index=None,
            style={"button_width": "110px"})
        self.role = widgets.Text(placeholder="e.g. Account executive",
                                 layout=widgets.Layout(width="420px"))
        self.comment = widgets.Textarea(placeholder="Your suggestion (optional)",
                                        layout=widgets.Layout(width="100%", height="90px"))
        self.ratings = {item.id: _rating_buttons(self.instrument) for item in self.instrument.items}
        self.back_button = widgets.Button(description="Back", icon="arrow-left")
        self.next_button = widgets.Button(description="Next", icon="arrow-right",
                                          button_style="primary")
        self.submit_button = widgets.Button(description="Submit", icon="check",
                                            button_style="success")
        self._step, self._message, self._counts = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self._progress = widgets.IntProgress(min=0, layout=widgets.Layout(width="160px"))
        self._pages = widgets.Stack(self._build_pages(), selected_index=0,
                                    layout=widgets.Layout(min_height="330px"))
        self.widget = self._assemble()
        self._wire()
        self._show_page(0)
        self.refresh_counts()

    # -- layout ---------------------------------------------------------
    def _build_pages(self) -> list[widgets.VBox]:
        questions = self.instrument.questions
        about = widgets.VBox([
            _html("About you", bold=True, size="1.15em"),
            _html(self.instrument.intro, colour=_MUTED, margin="0 0 10px 0"),
            _html(questions["team"], bold=True), self.team,
            _html(questions["role"], bold=True, margin="12px 0 0 0"), self.role,
        ])
        pages = [about]
        for dimension in self.instrument.dimensions:
            pages.append(self._rating_page(dimension.name, dimension.description, dimension.items))
        overall = self._rating_page("Overall", "", (self.instrument.outcome,))
        overall.children += (_html(questions["comment"], bold=True, margin="14px 0 4px 0"),
                             self.comment)
        return pages + [overall]

    def _rating_page(self, title: str, description: str, items: tuple[Item, ...]) -> widgets.VBox:
        head = [_html(title, bold=True, size="1.15em")]
        if description:
            head.append(_html(description, colour=_MUTED))
        head.append(_legend(self.instrument))
        return widgets.VBox(head + [_item_row(item, self.ratings[item.id]) for item in items])

    def _assemble(self) -> widgets.VBox:
        top = widgets.HBox([self._step, self._progress],
                           layout=widgets.Layout(justify_content="space-between",
                                                 align_items="center"))
        nav = widgets.HBox([self.back_button, self.next_button, self.submit_button],
                           layout=widgets.Layout(margin="10px 0 4px 0"))
        title = _html(f"{self.instrument.title} · live workshop", bold=True, size="1.3em")
        form = widgets.VBox(
            [widgets.HTML(_STYLE), title, top, self._pages, nav, self._message, self._counts],
            layout=widgets.Layout(max_width="920px", padding="8px 12px",
                                  border="1px solid #DADDE0"))
        return form.add_class("alignkit-workshop")

    def _wire(self) -> None:
        self.back_button.on_click(lambda _: self._show_page(self.page - 1))
        self.next_button.on_click(lambda _: self._show_page(self.page + 1))
        self.submit_button.on_click(lambda _: self.submit())
        for control in (self.team, *self.ratings.values()):
            control.observe(self._on_change, names="value")

    # -- navigation and feedback ----------------------------------------
    @property
    def page(self) -> int:
        """Index of the page on show (0 = About you, last = Overall)."""
        return int(self._pages.selected_index or 0)

    @property
    def page_count(self) -> int:
        return len(self._pages.children)

    @property
    def message(self) -> str:
        """The feedback line as plain text ("" when there is none)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self._message.value))

    def _show_page(self, index: int) -> None:
        index = max(0, min(index, self.page_count - 1))
        self._pages.selected_index = index
        last = index == self.page_count - 1
        self.back_button.disabled = index == 0
        self.next_button.layout.display = "none" if last else None
        self.submit_button.layout.display = None if last else "none"
        self._progress.max, self._progress.value = self.page_count, index + 1
        self._on_change()

    def _on_change(self, _change: Any = None) -> None:
        """Update the step line and drop feedback that no longer applies."""
        answered = sum(b.value is not None for b in self.ratings.values())
        self._step.value = (f"<span style='color:{_MUTED}'>Page {self.page + 1} of "
                            f"{self.page_count} · {answered} of {len(self.ratings)} statements "
                            "answered</span>")
        self._say("")

    def _say(self, text: str, *, ok: bool = True) -> None:
        colour = _OK if ok else _PROBLEM
        self._message.value = (f"<div style='color:{colour};font-weight:600'>{escape_html(text)}"
                               "</div>" if text else "")

    def refresh_counts(self) -> dict[str, int]:
        """Read the per-team counts of the wave from the store and show them."""
        counts = team_counts(self.workspace, self.company, self.wave, self.instrument)
        self._counts.value = _counts_html(counts, self.instrument, self.threshold)
        return counts

    # -- answers --------------------------------------------------------
    def current_submission(self) -> Submission:
        """What the form holds right now."""
        answers = {item: b.value for item, b in self.ratings.items() if b.value is not None}
        return Submission(self.team.value, answers, self.role.value, self.comment.value)

    def fill(self, *, team: str | None = None, answers: Mapping[str, int | str | None] | None = None,
             role: str | None = None, comment: str | None = None) -> None:
        """Set answers as a person would (for tests and demonstrations).

        ``answers`` maps item ids to a scale value, :data:`NOT_APPLICABLE` or
        ``None`` (clear); arguments left out keep what the form holds.
        """
        if team is not None:
            self.team.value = team
        for item, value in (answers or {}).items():
            if item not in self.ratings:
                raise AlignkitError(f"'{item}' is not an item of instrument {self.instrument.version}")
            self.ratings[item].value = value
        if role is not None:
            self.role.value = role
        if comment is not None:
            self.comment.value = comment

    def reset(self) -> None:
        """Clear every answer and go back to the first page."""
        self.team.value = None
        for buttons in self.ratings.values():
            buttons.value = None
        self.role.value = self.comment.value = ""
        self._show_page(0)

    def submit(self) -> SubmitResult:
        """Validate and store the form's answers as one respondent; clear the form if stored."""
        self.submit_button.disabled = True
        try:
            result = submit_submission(
                self.current_submission(), workspace=self.workspace, company=self.company,
                wave=self.wave, instrument=self.instrument, number=self.submitted + 1)
            if result.accepted:
                self.submitted += 1
                self.reset()
                self.refresh_counts()
        finally:
            self.submit_button.disabled = False
        self.last_result = result
        self._say(result.message, ok=result.accepted)
        return result


def workshop_form(company: str, wave: str, *, workspace: str | Path | None = None,
                  anonymity_min: int = DEFAULT_THRESHOLD) -> WorkshopForm:
    """Open the workshop form for ``company`` (``workspace`` as in :class:`Workspace`)."""
    return WorkshopForm(Workspace(workspace), company, wave, anonymity_min=anonymity_min)
