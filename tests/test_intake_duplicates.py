"""Responses without respondent id or e-mail are recognised by what they say.

A response already stored in the wave (same submission time, team, role,
comment and answers) is skipped with a row reason however the rows are ordered,
and so is the same submission twice in one file. Without a submission time,
identical rows may be different people: each counts once per occurrence.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from openpyxl import Workbook

from alignkit.intake.readers import read_records
from alignkit.intake.survey import import_survey

EXPORTS = Path(__file__).parent / "data" / "exports"
GRID = "How far do you agree with each statement?"


def google_export(path: Path, responses: list[tuple[str, str, int]], instrument) -> Path:
    """A Google Forms CSV without e-mail addresses: (timestamp, team, value for every item)."""
    items = [instrument.item(f"goals_{k}") for k in range(1, 5)]
    header = ["Timestamp", "Which team are you part of?", "What is your role or job title?",
              *[f"{GRID} [{item.text}]" for item in items]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows([stamp, team, "", *[str(value)] * len(items)]
                     for stamp, team, value in responses)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


FIVE = [(f"2024/05/06 9:4{k}:12 AM GMT+2", team, value)
        for k, (team, value) in enumerate([("Sales", 4), ("Sales", 2), ("Marketing", 5),
                                           ("Marketing", 3), ("Leadership", 4)])]


def stored(workspace) -> int:
    return len(workspace.respondents("acme", "w1"))


def test_a_reimport_in_another_order_is_not_counted_again(instrument, workspace, tmp_path):
    first = import_survey(google_export(tmp_path / "forms.csv", FIVE, instrument),
                          company="acme", wave="w1", workspace=workspace)
    assert first.respondents == 5 and stored(workspace) == 5
    for order in (FIVE[::-1], random.Random(3).sample(FIVE, 5)):
        again = import_survey(google_export(tmp_path / "forms-again.csv", order, instrument),
                              company="acme", wave="w1", workspace=workspace)
        assert again.imported is False and again.respondents == 0
        assert "already in wave 'w1'" in again.message
        assert sorted(s["row"] for s in again.skipped) == [2, 3, 4, 5, 6]
        assert all("already imported in this wave" in s["reason"] for s in again.skipped)
        assert stored(workspace) == 5


def test_only_the_new_responses_of_a_later_export_are_added(instrument, workspace, tmp_path):
    import_survey(google_export(tmp_path / "monday.csv", FIVE, instrument), company="acme",
                  wave="w1", workspace=workspace)
    later = FIVE + [("2024/05/07 8:00:00 AM GMT+2", "Sales", 4),  # same answers, later
                    ("2024/05/07 9:30:00 AM GMT+2", "Other", 1)]
    result = import_survey(google_export(tmp_path / "tuesday.csv", later[::-1], instrument),
                           company="acme", wave="w1", workspace=workspace)
    assert result.respondents == 2 and stored(workspace) == 7
    assert sorted(s["row"] for s in result.skipped) == [4, 5, 6, 7, 8]


def test_the_same_submission_twice_in_one_file_counts_once(instrument, tmp_path, workspace):
    rows = FIVE[:3] + [FIVE[1]]
    result = import_survey(google_export(tmp_path / "forms.csv", rows, instrument),
                           company="acme", wave="w1", workspace=workspace)
    assert result.respondents == 3
    assert result.skipped == [{"row": 5, "reason": "duplicate of row 3 (no respondent id; same "
                                                   "submission time, team, role, comment and "
                                                   "answers)"}]


def test_identical_rows_without_a_time_are_people_counted_once_each(instrument, workspace,
                                                                    write_survey):
    same = {item.id: "4" for item in instrument.items} | {"team": "Sales"}
    other = {item.id: "2" for item in instrument.items} | {"team": "Marketing"}
    first = import_survey(write_survey([same, other, same], name="a.csv"), company="acme",
                          wave="w1", workspace=workspace)
    assert first.respondents == 3 and not first.skipped  # two people may agree on everything
    again = import_survey(write_survey([same, same, other], name="b.csv"), company="acme",
                          wave="w1", workspace=workspace)
    assert again.respondents == 0 and stored(workspace) == 3
    more = import_survey(write_survey([same, other, same, same], name="c.csv"), company="acme",
                         wave="w1", workspace=workspace)
    assert more.respondents == 1 and stored(workspace) == 4  # the third identical response


# Every tool's export with its respondent ids, e-mails and names emptied (as a client
# may hand it over), imported again after an unrelated column was added.
IDENTITY = {
    "google_forms.csv": ({"Email Address"}, 1, "utf-8", ","),
    "microsoft_forms.xlsx": ({"ID", "Email", "Name"}, 1, None, ","),
    "surveymonkey.csv": ({"Respondent ID", "Email Address", "First Name", "Last Name"}, 2,
                         "utf-8-sig", ","),
    "qualtrics_choice_text.csv": ({"ResponseId", "RecipientEmail", "RecipientFirstName",
                                   "RecipientLastName"}, 3, "utf-8-sig", ","),
    "typeform.csv": ({"#"}, 1, "utf-8", ","),
    "limesurvey_fulltext.csv": ({"Response ID"}, 1, "utf-8-sig", ";"),
}


def _without_identity(file: str, target: Path, extra: bool) -> Path:
    names, header_rows, encoding, delimiter = IDENTITY[file]
    records = [list(r) for r in read_records(EXPORTS / file).records]
    emptied = {i for i, name in enumerate(records[0]) if name in names}
    assert len(emptied) == len(names)
    records = [[c if n < header_rows or i not in emptied else "" for i, c in enumerate(r)]
               for n, r in enumerate(records) if any(r)]
    if extra:
        for number, record in enumerate(records):
            record.append("Browser" if number == 0 else "" if number < header_rows else "Firefox")
    if encoding is None:
        book = Workbook()
        for record in records:
            book.active.append([cell or None for cell in record])
        book.save(target)
        return target
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(records)
    target.write_bytes(buffer.getvalue().encode(encoding))
    return target


@pytest.mark.parametrize("file", sorted(IDENTITY))
def test_every_tool_without_ids_recognises_a_reimport(workspace, tmp_path, file):
    first = import_survey(_without_identity(file, tmp_path / file, extra=False), company="acme",
                          wave="w1", workspace=workspace)
    assert first.imported and first.respondents >= 5
    again = import_survey(_without_identity(file, tmp_path / f"again-{file}", extra=True),
                          company="acme", wave="w1", workspace=workspace)
    assert again.respondents == 0 and stored(workspace) == first.respondents


def test_a_reexport_with_its_columns_in_another_order_is_recognised(instrument, workspace,
                                                                   write_survey):
    columns = ["team", "goals_1", "goals_2", "sla_1"]
    rows = [{"team": "Sales", "goals_1": "4", "goals_2": "2", "sla_1": "N/A"},
            {"team": "Marketing", "goals_1": "5", "goals_2": "", "sla_1": "3"}]
    import_survey(write_survey(rows, name="a.csv", columns=columns), company="acme", wave="w1",
                  workspace=workspace)
    again = import_survey(write_survey(rows, name="b.csv", columns=columns[::-1]),
                          company="acme", wave="w1", workspace=workspace)
    assert again.respondents == 0 and stored(workspace) == 2
