"""The live workshop form: each submit stores one respondent exactly like a file import."""

from __future__ import annotations

import csv
import math
import re
import sqlite3
from pathlib import Path

import pytest

from alignkit.catalog.instrument import Instrument
from alignkit.catalog.questionnaire import template_header
from alignkit.exceptions import AlignkitError, UnknownCompanyError
from alignkit.store.workspace import Workspace, file_sha256
from alignkit.widgets.live_form import (
    NOT_APPLICABLE,
    Submission,
    WorkshopForm,
    check_submission,
    submission_row,
    write_submission,
)

ROOT = Path(__file__).resolve().parent.parent
WAVE = "workshop"
COMMENT = 'Weekly stand-up, please: "one" target,\nnot two; merci à tous'


def snapshot(ws: Workspace) -> tuple[list[str], list[str]]:
    """Everything a submit could change: every table's rows and every file but SQLite's own."""
    con = sqlite3.connect(ws.db_path)
    try:
        rows = list(con.iterdump())
    finally:
        con.close()
    files = sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*")
                   if p.is_file() and not p.name.startswith("alignkit.db"))
    return rows, files


def imports(ws: Workspace) -> list[tuple[str, str, int]]:
    con = sqlite3.connect(ws.db_path)
    try:
        return con.execute("SELECT source, file_name, respondents FROM imports ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.fixture
def form(workspace: Workspace) -> WorkshopForm:
    return WorkshopForm(workspace, "acme", WAVE)


def test_a_click_on_submit_stores_the_respondent_and_every_answer(form: WorkshopForm,
                                                                  workspace: Workspace) -> None:
    form.fill(team="sales", role="Account executive", comment=COMMENT,
              answers={"goals_1": 4, "goals_2": 5, "handoff_3": 1, "outcome_1": 2})
    form.submit_button.click()

    assert form.last_result is not None and form.last_result.accepted
    people = workspace.respondents("acme", WAVE)
    assert people.to_dict("records") == [{"respondent": form.last_result.respondent, "team": "sales",
                                          "role": "Account executive", "comment": COMMENT}]
    answers = workspace.answers("acme", WAVE)
    assert dict(zip(answers["item"].astype(str), answers["value"], strict=True)) == {
        "goals_1": 4.0, "goals_2": 5.0, "handoff_3": 1.0, "outcome_1": 2.0}


def test_not_applicable_is_stored_as_missing_not_as_a_value(form: WorkshopForm,
                                                            workspace: Workspace) -> None:
    form.fill(team="marketing", answers={"sla_1": 3, "sla_2": NOT_APPLICABLE})
    assert form.submit().accepted
    frame = workspace.answers("acme", WAVE)
    answers = dict(zip(frame["item"].astype(str), frame["value"], strict=True))
    assert answers["sla_1"] == 3.0
    assert math.isnan(answers["sla_2"])
    assert len(answers) == 2  # statements left blank are not stored at all


def test_after_a_submit_the_form_is_clear_and_says_thank_you(form: WorkshopForm) -> None:
    form.fill(team="leadership", role="CRO", comment="More joint planning",
              answers={"goals_1": 2, "outcome_1": NOT_APPLICABLE})
    form.next_button.click()
    form.submit()
    assert form.team.value is None and form.role.value == "" and form.comment.value == ""
    assert all(buttons.value is None for buttons in form.ratings.values())
    assert form.page == 0
    assert form.message.startswith("Thank you")
    assert form.current_submission() == Submission(None, {}, "", "")


def test_team_counts_are_read_back_from_the_store(form: WorkshopForm, workspace: Workspace,
                                                  write_survey) -> None:
    from alignkit.intake.survey import import_survey

    earlier = write_survey([{"respondent_id": "P1", "team": "Marketing", "goals_1": "4"},
                            {"respondent_id": "P2", "team": "Marketing", "goals_1": "5"}])
    import_survey(earlier, company="acme", wave=WAVE, workspace=workspace)
    assert form.refresh_counts() == {"sales": 0, "marketing": 2, "leadership": 0, "other": 0}

    form.fill(team="sales", answers={"goals_1": 4})
    form.submit()
    form.fill(team="other", role="RevOps", answers={"tools_2": 3})
    form.submit()
    assert form.refresh_counts() == {"sales": 1, "marketing": 2, "leadership": 0, "other": 1}
    shown = re.sub(r"<[^>]+>", "", form._counts.value)
    assert "Sales 1 (needs 4 more to be shown)" in shown
    assert "Marketing 2 (needs 3 more to be shown)" in shown and "total 4" in shown
    assert "at least 5 people" in shown


def test_counts_start_at_zero_for_a_new_wave_and_quote_the_threshold(workspace: Workspace) -> None:
    form = WorkshopForm(workspace, "acme", "kick-off", anonymity_min=7)
    assert form.refresh_counts() == {"sales": 0, "marketing": 0, "leadership": 0, "other": 0}
    assert "at least 7 people" in form._counts.value


@pytest.mark.parametrize(
    ("team", "answers", "expected"),
    [
        (None, {"goals_1": 4}, "Please choose the team"),
        ("sales", {}, "Please rate at least one statement"),
        ("sales", {"goals_1": NOT_APPLICABLE, "outcome_1": NOT_APPLICABLE},
         "Please rate at least one statement"),
        (None, {}, "Please choose the team"),
    ],
    ids=["no-team", "no-answer", "only-na", "nothing"],
)
def test_an_incomplete_submission_writes_nothing_and_says_why(
    form: WorkshopForm, workspace: Workspace, team, answers, expected
) -> None:
    before = snapshot(workspace)
    form.fill(team=team, role="SDR", answers=answers)
    form.submit_button.click()
    assert snapshot(workspace) == before
    assert form.message.startswith(expected)
    assert len(form.message.splitlines()) == 1
    assert form.last_result is not None and not form.last_result.accepted
    assert form.role.value == "SDR" and form.team.value == team  # kept, so it can be fixed


def test_two_submissions_make_two_respondents_and_two_imports(form: WorkshopForm,
                                                              workspace: Workspace) -> None:
    for team in ("sales", "sales"):  # the same answers twice are still two people
        form.fill(team=team, answers={"goals_1": 3})
        assert form.submit().accepted
    people = workspace.respondents("acme", WAVE)
    assert list(people["team"]) == ["sales", "sales"]
    assert people["respondent"].nunique() == 2
    stored = imports(workspace)
    assert [(source, n) for source, _, n in stored] == [("alignkit", 1), ("alignkit", 1)]
    assert stored[0][1] != stored[1][1]
    assert all(re.fullmatch(r"workshop-workshop-\d{8}T\d{6}Z-\d+\.csv", name)
               for _, name, _ in stored)


def test_the_submitted_file_is_kept_unchanged_in_raw(form: WorkshopForm, workspace: Workspace,
                                                     instrument: Instrument) -> None:
    form.fill(team="sales", role="=HYPERLINK(1)", comment=COMMENT,
              answers={"goals_1": 4, "goals_2": NOT_APPLICABLE})
    result = form.submit()
    assert result.file is not None and result.file.parent == workspace.root / "inbox"
    raw = workspace.raw_dir / f"{file_sha256(result.file)}.csv"
    assert raw.read_bytes() == result.file.read_bytes()
    with raw.open(encoding="utf-8", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert header == template_header(instrument)
    cells = dict(zip(header, row, strict=True))
    assert re.fullmatch(r"[0-9a-f]{16}", cells["respondent_id"])  # random, never a name
    assert workspace.pseudonymise("acme", [cells["respondent_id"]]) == [result.respondent]
    assert (cells["team"], cells["goals_1"], cells["goals_2"], cells["goals_3"]) == (
        "Sales", "4", "N/A", "")
    assert cells["role"] == "'=HYPERLINK(1)"  # a file alignkit writes never carries a formula
    assert cells["comment"] == COMMENT


def test_an_unknown_company_is_refused_with_the_hint(workspace: Workspace) -> None:
    before = snapshot(workspace)
    with pytest.raises(UnknownCompanyError, match=r"alignkit company add globex.*Known companies: acme"):
        WorkshopForm(workspace, "globex", WAVE)
    assert snapshot(workspace) == before


@pytest.mark.parametrize(("wave", "threshold"), [("", 5), ("  ", 5), (WAVE, 2)])
def test_an_empty_wave_or_a_threshold_below_three_is_refused(workspace: Workspace, wave: str,
                                                             threshold: int) -> None:
    with pytest.raises(AlignkitError):
        WorkshopForm(workspace, "acme", wave, anonymity_min=threshold)


def test_a_failed_import_leaves_no_trace(form: WorkshopForm, workspace: Workspace) -> None:
    workspace.raw_dir.write_text("not a folder")  # the raw copy cannot be made
    before = snapshot(workspace)
    form.fill(team="sales", answers={"goals_1": 4})
    result = form.submit()
    assert not result.accepted and result.message.startswith("Not saved")
    assert snapshot(workspace) == before
    assert form.team.value == "sales"


def test_back_and_next_walk_the_pages_and_submit_sits_on_the_last(form: WorkshopForm,
                                                                  instrument: Instrument) -> None:
    assert form.page_count == len(instrument.dimensions) + 2  # about you + dimensions + overall
    assert form.back_button.disabled and form.submit_button.layout.display == "none"
    form.next_button.click()
    assert form.page == 1 and not form.back_button.disabled
    for _ in range(form.page_count + 3):
        form.next_button.click()
    assert form.page == form.page_count - 1
    assert form.next_button.layout.display == "none" and form.submit_button.layout.display is None
    form.back_button.click()
    assert form.page == form.page_count - 2


def test_every_item_has_buttons_for_the_scale_and_na(form: WorkshopForm,
                                                     instrument: Instrument) -> None:
    assert list(form.ratings) == [item.id for item in instrument.items]
    values = [value for _, value in form.ratings["goals_1"].options]
    assert values == [1, 2, 3, 4, 5, NOT_APPLICABLE]
    with pytest.raises(AlignkitError, match="not an item"):
        form.fill(answers={"goals_99": 3})


@pytest.mark.parametrize(
    ("submission", "problem"),
    [
        (Submission("sales", {"goals_1": 1}), None),
        (Submission("other", {"outcome_1": 5, "goals_1": NOT_APPLICABLE}), None),
        (Submission("finance", {"goals_1": 4}), "Please choose the team"),
        (Submission("sales", {"goals_1": 6}), "6 for 'goals_1'"),
        (Submission("sales", {"goals_1": 0}), "0 for 'goals_1'"),
        (Submission("sales", {"nope": 3}), "3 for 'nope'"),
    ],
)
def test_check_submission(submission: Submission, problem: str | None,
                          instrument: Instrument) -> None:
    found = check_submission(submission, instrument)
    assert found == problem if problem is None else found.startswith(problem)


def test_submission_row_follows_the_template(instrument: Instrument) -> None:
    row = submission_row(Submission("leadership", {"outcome_1": 5, "sla_4": NOT_APPLICABLE},
                                    " VP Sales ", "+1 to shared goals"), instrument, "abc")
    cells = dict(zip(template_header(instrument), row, strict=True))
    assert cells["respondent_id"] == "abc" and cells["team"] == "Leadership"
    assert cells["role"] == "VP Sales" and cells["comment"] == "'+1 to shared goals"
    assert (cells["outcome_1"], cells["sla_4"], cells["goals_1"]) == ("5", "N/A", "")


def test_write_submission_never_overwrites(tmp_path: Path, instrument: Instrument) -> None:
    row = submission_row(Submission("sales", {"goals_1": 2}), instrument, "r1")
    first = write_submission(row, instrument, tmp_path / "inbox", "wave 2/b")
    second = write_submission(row, instrument, tmp_path / "inbox", "wave 2/b")
    assert first != second and first.read_bytes() == second.read_bytes()
    assert first.name.startswith("workshop-wave-2-b-")


def test_running_the_notebook_only_shows_the_form(workspace: Workspace, tmp_path: Path) -> None:
    import papermill

    from alignkit.kernels.server import report_kernel_manager

    before = snapshot(workspace)
    km = report_kernel_manager(tmp_path / "kernel")
    try:
        done = papermill.execute_notebook(
            str(ROOT / "notebooks" / "00_intake.ipynb"), str(tmp_path / "out.ipynb"),
            parameters={"company": "acme", "wave": WAVE, "workspace": str(workspace.root)},
            kernel_name="python3", cwd=str(tmp_path), progress_bar=False, log_output=False,
            execution_timeout=120, km=km,
        )
    finally:
        km.stderr_log.close()
    assert snapshot(workspace) == before
    outputs = [o for cell in done.cells if cell.cell_type == "code" for o in cell.outputs]
    assert [o.output_type for o in outputs] == ["execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in outputs[0].data
    state = str(done.metadata["widgets"])
    assert "Which team are you part of?" in state and "Responses so far" in state


def test_formula_like_comment_is_stored_as_typed(tmp_path):
    """The inbox file neutralises '- …' for spreadsheets; the store keeps what was typed."""
    from alignkit.store.workspace import Workspace
    from alignkit.widgets.live_form import WorkshopForm

    ws = Workspace(tmp_path / "ws")
    ws.add_company("acme")
    form = WorkshopForm(ws, "acme", "workshop")
    first = form.instrument.items[0].id
    form.fill(team="sales", answers={first: 4}, comment="- more meetings, =fewer e-mails")
    assert form.submit().accepted
    stored = ws.respondents("acme", "workshop")["comment"].tolist()
    assert stored == ["- more meetings, =fewer e-mails"]
