"""Table helpers of the tracking files and reports: days, header columns, display tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from alignkit.exceptions import IntakeError
from alignkit.intake.cells import header_positions, parse_day
from alignkit.intake.table import Table
from alignkit.text.tables import report_table


@pytest.mark.parametrize(("cell", "expected"), [
    ("2026-03-31", date(2026, 3, 31)), (" 2026-01-05 ", date(2026, 1, 5)),
])
def test_a_day_is_read(cell: str, expected: date) -> None:
    assert parse_day(cell) == expected


@pytest.mark.parametrize("cell", ["31/03/2026", "2026-13-01", "", "March"])
def test_anything_else_is_a_readable_error(cell: str) -> None:
    with pytest.raises(ValueError, match=r"is not a date; write it as YYYY-MM-DD"):
        parse_day(cell)


def table(*header: str) -> Table:
    return Table(Path("inbox/updates.csv"), header, ())


def test_columns_are_found_by_name_in_any_case_and_order() -> None:
    found = header_positions(table(" Note", "STATUS", "action_id", "updated_on"),
                             ["action_id", "status", "updated_on"], ["progress", "note"])
    assert found == {"action_id": 2, "status": 1, "updated_on": 3, "note": 0}


@pytest.mark.parametrize(("header", "column", "needle"), [
    (("action_id", "status"), None, "the column(s) updated_on are missing"),
    (("action_id", "updated_on"), None, "the column(s) status are missing"),
    (("action_id", "status", "updated_on", "notes"), "notes", "unknown column"),
])
def test_a_wrong_header_names_the_file_and_the_header_row(header: tuple[str, ...],
                                                          column: str | None,
                                                          needle: str) -> None:
    with pytest.raises(IntakeError) as err:
        header_positions(table(*header), ["action_id", "status", "updated_on"],
                         ["progress", "note"])
    assert (err.value.row, err.value.column) == (1, column)
    assert needle in str(err.value) and "updates.csv" in str(err.value)
    assert "action_id,status,updated_on,progress,note" in str(err.value)


def test_a_report_table_has_a_stable_id_no_index_and_unbroken_dates() -> None:
    html = report_table(pd.DataFrame({"#": [7], "Due": ["01 Jul 2026"]}), "actions").to_html()
    assert '<table id="T_actions">' in html
    assert "row_heading" not in html and "index_name" not in html
    assert "#T_actions_row0_col1 {\n  white-space: nowrap;" in html  # the Due column
    assert "#T_actions_row0_col0 {" not in html


def test_an_empty_report_table_shows_no_header() -> None:
    html = report_table(pd.DataFrame(columns=["Action", "Due"]), "overdue").to_html()
    assert "col_heading" not in html and "<td" not in html
