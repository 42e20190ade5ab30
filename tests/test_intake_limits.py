"""Hostile and odd files: refused early, in one line that names the file and what to do.

Limits on file size, rows, columns and a workbook's unpacked size are checked
before the file is parsed and say which environment variable raises them; a
file without one usable response, a mapping that repeats a column or an item
and an answer off the scale are refused before anything is written.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from helpers import snapshot
from openpyxl import Workbook

from alignkit.exceptions import IntakeError
from alignkit.intake import parse_survey
from alignkit.intake import readers as readers_module
from alignkit.intake.kpis import read_kpi_file
from alignkit.intake.limits import LIMITS
from alignkit.intake.readers import read_records
from alignkit.intake.survey import import_survey


def answers_all(instrument, value="3", **cells):
    return {**{i.id: value for i in instrument.items}, **cells}


def people(instrument, n):
    return [answers_all(instrument, str(k % 5 + 1), respondent_id=f"R{k}", team="Sales")
            for k in range(n)]


def one_line(err: IntakeError, name: str) -> str:
    message = str(err)
    assert message.startswith(name) and "\n" not in message
    return message


# -- limits ------------------------------------------------------------------------------
def test_the_defaults_and_their_variables():
    assert {k: (v.default, v.variable) for k, v in LIMITS.items()} == {
        "file": (200, "ALIGNKIT_MAX_FILE_MB"), "xlsx": (500, "ALIGNKIT_MAX_XLSX_MB"),
        "rows": (200_000, "ALIGNKIT_MAX_ROWS"), "columns": (1_000, "ALIGNKIT_MAX_COLUMNS"),
        "cells": (20_000_000, "ALIGNKIT_MAX_CELLS")}


def test_a_file_over_the_size_limit_is_refused_unread(instrument, write_survey, monkeypatch):
    path = write_survey(people(instrument, 40), name="big.csv")
    path.write_bytes(path.read_bytes() + b"\n" * (2 * 1024 * 1024))
    monkeypatch.setenv("ALIGNKIT_MAX_FILE_MB", "1")
    monkeypatch.setattr(readers_module, "read_records", _never_read)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    message = one_line(info.value, "big.csv: the file is 2 MB, more than the file size limit of 1 MB")
    assert "ALIGNKIT_MAX_FILE_MB=2" in message


def _never_read(path):
    raise AssertionError(f"{path} was read")


def test_too_many_rows_stop_the_reading_early(instrument, write_survey, monkeypatch):
    path = write_survey(people(instrument, 60), name="rows.csv")
    # A broken quote further down would be reported if the whole file were read.
    path.write_bytes(path.read_bytes() + b'R99,Sales,"AE\n')
    monkeypatch.setenv("ALIGNKIT_MAX_ROWS", "50")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    message = one_line(info.value, "rows.csv: has more rows than the row limit of 50; split")
    assert "ALIGNKIT_MAX_ROWS" in message
    monkeypatch.setenv("ALIGNKIT_MAX_ROWS", "100")
    path = write_survey(people(instrument, 60), name="rows.csv")
    assert len(parse_survey(path, instrument).respondents) == 60


def test_too_many_columns_name_the_row(instrument, write_survey, monkeypatch):
    path = write_survey(people(instrument, 3), name="wide.csv")
    monkeypatch.setenv("ALIGNKIT_MAX_COLUMNS", "20")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert info.value.row == 1
    assert "has 57 columns" in str(info.value) and "ALIGNKIT_MAX_COLUMNS" in str(info.value)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_too_many_cells_stop_the_reading(instrument, write_survey, canonical_columns, tmp_path,
                                         monkeypatch, suffix):
    path = write_survey(people(instrument, 30), name="cells.csv")
    if suffix == ".xlsx":
        book = Workbook()
        for record in read_records(path).records:
            book.active.append(list(record))
        path = tmp_path / "cells.xlsx"
        book.save(path)
    monkeypatch.setenv("ALIGNKIT_MAX_CELLS", "1000")  # 31 rows of 57 cells
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    message = one_line(info.value, f"cells{suffix}: has more cells than the cell limit of 1,000")
    assert "ALIGNKIT_MAX_CELLS=2000" in message


def _workbook(path: Path, padding: int = 0) -> Path:
    book = Workbook()
    book.active.append(["respondent_id", "team", "goals_1"])
    book.active.append(["R1", "Sales", 4])
    book.save(path)
    if padding:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/media/padding.bin", b"\0" * padding)
    return path


def test_a_workbook_that_unpacks_too_large_is_refused_before_openpyxl(instrument, tmp_path,
                                                                     monkeypatch):
    path = _workbook(tmp_path / "bomb.xlsx", padding=3 * 1024 * 1024)
    assert path.stat().st_size < 100_000  # three megabytes of zeros pack into a few kilobytes
    monkeypatch.setenv("ALIGNKIT_MAX_XLSX_MB", "1")
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", _never_read)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    message = one_line(info.value, "bomb.xlsx: unpacks to 3 MB, more than the unpacked workbook "
                                   "size limit of 1 MB")
    assert "ALIGNKIT_MAX_XLSX_MB" in message


def test_a_sheet_declaring_too_many_rows_is_refused_before_its_rows_are_read(instrument,
                                                                            tmp_path):
    book = Workbook()
    book.active.append(["respondent_id", "team", "goals_1"])
    book.active.append(["R1", "Sales", 4])
    book.active["A300000"] = "far below"
    path = tmp_path / "tall.xlsx"
    book.save(path)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    message = one_line(info.value, "tall.xlsx: has 300,000 rows, more than the row limit of 200,000")
    assert "ALIGNKIT_MAX_ROWS" in message


def test_a_limit_set_to_nonsense_is_one_clear_error(instrument, write_survey, monkeypatch):
    monkeypatch.setenv("ALIGNKIT_MAX_ROWS", "lots")
    with pytest.raises(IntakeError) as info:
        parse_survey(write_survey(people(instrument, 2)), instrument)
    assert one_line(info.value, "survey.csv: the environment variable ALIGNKIT_MAX_ROWS='lots' "
                                "is not a whole number")


def test_limits_hold_for_the_other_intake_files(tmp_path, monkeypatch):
    path = tmp_path / "kpis.csv"
    path.write_text("kpi,observed_on,value\n" + "".join(
        f"sla,2026-06-{day:02d},0.5\n" for day in range(1, 11)), encoding="utf-8")
    monkeypatch.setenv("ALIGNKIT_MAX_ROWS", "5")
    with pytest.raises(IntakeError, match="ALIGNKIT_MAX_ROWS"):
        read_kpi_file(path)


# -- files without a usable response -------------------------------------------------------
NOTHING_USABLE = {
    "header only": ([], "has a header but no responses"),
    "all N/A": ("N/A", "no answered item"),
    "blank team": ("", "no team given"),
}


@pytest.mark.parametrize("case", sorted(NOTHING_USABLE))
def test_a_file_without_one_usable_response_writes_nothing(instrument, workspace, write_survey,
                                                           case):
    kind, needle = NOTHING_USABLE[case]
    if kind == "N/A":
        rows = [answers_all(instrument, "N/A", respondent_id=f"R{k}", team="Sales")
                for k in range(3)]
    elif kind == "":
        rows = [answers_all(instrument, "4", respondent_id=f"R{k}", team="") for k in range(3)]
    else:
        rows = kind
    path = write_survey(rows, name="nothing.csv")
    before = snapshot(workspace)
    for dry_run in (True, False):
        with pytest.raises(IntakeError) as info:
            import_survey(path, company="acme", wave="w1", workspace=workspace, dry_run=dry_run)
        assert needle in one_line(info.value, "nothing.csv: ")
    assert workspace.waves("acme") == []  # no empty wave for a report to trip over
    assert snapshot(workspace) == before


# -- mappings --------------------------------------------------------------------------------
def test_a_mapping_listing_one_column_twice_is_refused(instrument, write_survey, tmp_path):
    path = write_survey([{"Q": "4", "team": "Sales"}], columns=["team", "Q"])
    mapping = tmp_path / "map.csv"
    mapping.write_text("column,item\nQ,goals_1\nQ,goals_2\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument, mapping=mapping)
    assert (info.value.file, info.value.row, info.value.column) == (str(mapping), 3, "column")
    assert "lists the column 'Q' again (first in row 2)" in str(info.value)


def test_a_mapping_sending_two_columns_to_one_item_is_refused(instrument, write_survey,
                                                              tmp_path):
    path = write_survey([{"A": "4", "B": "5", "team": "Sales"}], columns=["team", "A", "B"])
    mapping = tmp_path / "map.csv"
    mapping.write_text("column,item\nA,goals_1\nB,goals_1\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument, mapping=mapping)
    assert (info.value.file, info.value.row, info.value.column) == (str(mapping), 3, "item")
    assert "row 2 already gives to 'A'" in str(info.value)


# -- answers off the scale ---------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["29", "29 - Agree", "6", "0", "-1", "4.5", "1e3"])
def test_answers_off_the_scale_are_refused_at_import(instrument, workspace, write_survey, cell):
    rows = people(instrument, 3)
    rows[2]["sla_2"] = cell
    path = write_survey(rows, name="wave.csv")
    before = snapshot(workspace)
    with pytest.raises(IntakeError) as info:
        import_survey(path, company="acme", wave="w1", workspace=workspace)
    assert one_line(info.value, "wave.csv, row 4, column 'sla_2': ")
    assert repr(cell) in str(info.value)
    assert snapshot(workspace) == before


def test_a_mapping_onto_an_item_the_file_already_answers_is_refused(instrument, write_survey,
                                                                   tmp_path):
    path = write_survey([{"goals_1": "4", "B": "5", "team": "Sales"}],
                        columns=["team", "goals_1", "B"])
    mapping = tmp_path / "map.csv"
    mapping.write_text("column,item\nB,goals_1\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument, mapping=mapping)
    assert info.value.column == "B"
    assert "both answer 'goals_1'; delete one, or change the mapping file" in str(info.value)
