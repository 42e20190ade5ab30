"""Row numbers in intake messages are the ones a spreadsheet shows: the header is row 1.

For every survey tool (and its header rows), every other intake file (CRM
funnel exports, KPI files, action updates, mapping files) and the skipped-row
reasons of an import, a problem in spreadsheet row N is reported as row N.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook

from alignkit.exceptions import IntakeError
from alignkit.intake import parse_survey
from alignkit.intake.action_updates import read_action_update_file
from alignkit.intake.columns import read_mapping
from alignkit.intake.funnel import parse_funnel
from alignkit.intake.kpis import read_kpi_file
from alignkit.intake.readers import read_records
from alignkit.intake.survey import import_survey

EXPORTS = Path(__file__).parent / "data" / "exports"


@dataclass(frozen=True)
class Export:
    """A fixture, its header rows, how it is written, and a kept response to damage."""

    file: str
    header_rows: int
    encoding: str | None  # None: a workbook
    item: str
    response: int  # 1 = the first response below the header rows
    delimiter: str = ","
    mapping: str | None = None

    @property
    def spreadsheet_row(self) -> int:
        return self.header_rows + self.response


EXPORT_CASES = [
    Export("google_forms.csv", 1, "utf-8", "goals_1", 3),
    Export("microsoft_forms.xlsx", 1, None, "definitions_2", 3),
    Export("surveymonkey.csv", 2, "utf-8-sig", "communication_1", 1),
    Export("surveymonkey.xlsx", 2, None, "communication_1", 2),
    Export("qualtrics_choice_text.csv", 3, "utf-8-sig", "goals_1", 2),
    Export("qualtrics_numeric.csv", 3, "utf-8-sig", "goals_1", 3),
    Export("qualtrics_choice_text.tsv", 3, "utf-16", "goals_1", 2, "\t"),
    Export("typeform.csv", 1, "utf-8", "handoff_1", 2),
    Export("limesurvey_fulltext.csv", 1, "utf-8-sig", "process_1", 2, ";"),
    Export("limesurvey_codes.csv", 1, "utf-8-sig", "process_1", 2, ",",
           "limesurvey_codes_map.csv"),
]


def _item_column(case: Export, records: list[list[str]], instrument) -> int:
    names = {instrument.item(case.item).text}
    if case.mapping:
        with (EXPORTS / case.mapping).open(encoding="utf-8", newline="") as handle:
            names |= {row[0] for row in csv.reader(handle) if row[1:] == [case.item]}
    for index in range(max(len(r) for r in records[:case.header_rows])):
        cells = [r[index] for r in records[:case.header_rows] if index < len(r)]
        if any(name in cell for cell in cells for name in names):
            return index
    raise LookupError(case.item)


def _write(case: Export, records: list[list[str]], target: Path) -> Path:
    if case.encoding is None:
        book = Workbook()
        for record in records:
            book.active.append([cell or None for cell in record])
        for row in book.active.iter_rows():
            for cell in row:  # text such as "=SUM(…)" stays text
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        book.save(target)
        return target
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=case.delimiter, lineterminator="\r\n").writerows(records)
    target.write_bytes(buffer.getvalue().encode(case.encoding))
    return target


@pytest.mark.parametrize("case", EXPORT_CASES, ids=lambda c: c.file)
def test_a_bad_answer_names_the_spreadsheet_row_in_every_tool(instrument, tmp_path, case):
    records = [list(r) for r in read_records(EXPORTS / case.file).records]
    column = _item_column(case, records, instrument)
    records[case.spreadsheet_row - 1][column] = "29"
    path = _write(case, records, tmp_path / case.file)
    mapping = EXPORTS / case.mapping if case.mapping else None
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument, mapping=mapping)
    assert info.value.row == case.spreadsheet_row
    assert f"row {case.spreadsheet_row}, column '" in str(info.value)
    assert "'29' is outside the 1–5 scale" in str(info.value)


def test_the_first_response_under_one_header_row_is_row_2(instrument, write_survey):
    path = write_survey([{"respondent_id": "R1", "team": "Sales", "goals_1": "0"}])
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert str(info.value).startswith("survey.csv, row 2, column 'goals_1': ")


def test_a_cell_with_a_line_break_is_still_one_row(instrument, write_survey):
    rows = [{"respondent_id": "R1", "team": "Sales", "goals_1": "4", "comment": "two\nlines"},
            {"respondent_id": "R2", "team": "Sales", "goals_1": "4"},
            {"respondent_id": "R3", "team": "Sales", "goals_1": "Agree-ish"}]
    with pytest.raises(IntakeError) as info:
        parse_survey(write_survey(rows), instrument)
    assert (info.value.row, info.value.column) == (4, "goals_1")


def test_blank_rows_of_a_workbook_keep_their_numbers(instrument, canonical_columns, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(canonical_columns)
    sheet.append(["R1", "Sales", "AE", 4])
    sheet.append([])  # row 3 left empty in the sheet
    sheet.append(["R2", "", "", 4])  # row 4: no team
    sheet.append(["R3", "Marketing", "", 7])  # row 5: off the scale
    path = tmp_path / "responses.xlsx"
    book.save(path)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert (info.value.row, info.value.column) == (5, "goals_1")
    sheet["D5"] = 5
    book.save(path)
    parsed = parse_survey(path, instrument)
    assert list(parsed.respondents["row"]) == [2, 5]
    assert [s["row"] for s in parsed.skipped] == [3, 4]  # the empty row, the row without team


def test_skipped_rows_of_an_import_use_spreadsheet_rows(workspace):
    result = import_survey(EXPORTS / "qualtrics_choice_text.csv", company="acme", wave="w1",
                           workspace=workspace)
    # Three header rows: the first response (a Survey Preview) is spreadsheet row 4.
    assert [s["row"] for s in result.skipped] == [4, 7, 10]
    assert "duplicate of row 5" in result.skipped[-1]["reason"]


# -- every other intake file ---------------------------------------------------------
def _kpis(path: Path) -> None:
    path.write_text("kpi,observed_on,value,target\nsla,2026-06-01,0.5,\nsla,June,0.5,\n",
                    encoding="utf-8")
    read_kpi_file(path)


def _updates(path: Path) -> None:
    path.write_text("action_id,status,updated_on\n1,done,2026-06-01\n1,finished,2026-06-02\n",
                    encoding="utf-8")
    read_action_update_file(path, known={1}, company="acme")


def _leads(path: Path) -> None:
    path.write_text("lead_id,created_at,source\nA1,2024-01-05,Web\nA2,someday,Web\n",
                    encoding="utf-8")
    parse_funnel(path)


def _counts(path: Path) -> None:
    path.write_text("Month,Leads,MQLs\n2024-01,10,4\n2024-02,ten,3\n", encoding="utf-8")
    parse_funnel(path)


def _mapping(path: Path) -> None:
    path.write_text("column,item\nQ1,goals_1\nQ2,goals_99\n", encoding="utf-8")
    from alignkit.catalog.instrument import load_instrument

    read_mapping(path, load_instrument())


@pytest.mark.parametrize(("read", "column"), [
    (_kpis, "observed_on"), (_updates, "status"), (_leads, "created_at"), (_counts, "Leads"),
    (_mapping, "item"),
], ids=["kpis", "action-updates", "funnel-leads", "funnel-counts", "mapping"])
def test_every_intake_file_names_the_spreadsheet_row(tmp_path, read, column):
    path = tmp_path / "file.csv"
    with pytest.raises(IntakeError) as info:
        read(path)
    assert (info.value.row, info.value.column) == (3, column)
    assert str(info.value).startswith(f"file.csv, row 3, column '{column}': ")


def test_a_wrong_header_is_row_1(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text("kpi,day,value\nsla,2026-06-01,0.5\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        read_kpi_file(path)
    assert info.value.row == 1
