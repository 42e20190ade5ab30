"""Reading survey exports: column matching, answer values, teams, bad files."""

from __future__ import annotations

import math
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from alignkit.catalog.instrument import load_instrument
from alignkit.exceptions import IntakeError
from alignkit.intake import parse_survey, read_table
from alignkit.intake.values import AnswerError, Codes, parse_answer, parse_team


def answers_all(instrument, value="3", **cells):
    """A response row answering every item with ``value`` (plus extra cells)."""
    return {**{i.id: value for i in instrument.items}, **cells}


def answer_of(parsed, row, item):
    hit = parsed.answers[(parsed.answers["row"] == row) & (parsed.answers["item"] == item)]
    assert len(hit) <= 1
    return None if hit.empty else hit["value"].iloc[0]


# -- header matching ---------------------------------------------------------------
def test_headers_by_item_id(instrument, write_survey):
    path = write_survey([answers_all(instrument, "4", respondent_id="R1", team="Sales")])
    parsed = parse_survey(path, instrument)
    assert parsed.source == "alignkit"
    assert list(parsed.answers["item"]) == [i.id for i in instrument.items]
    assert (parsed.answers["value"] == 4).all()
    assert parsed.unmapped == []


@pytest.mark.parametrize(
    "header_of",
    [
        pytest.param(lambda item: item.text, id="full-text"),
        pytest.param(lambda item: "  " + item.text.upper().rstrip(".") + "?!", id="normalised"),
        pytest.param(lambda item: f"How much do you agree? [{item.text}]", id="grid"),
    ],
)
def test_headers_by_item_text(instrument, write_survey, header_of):
    headers = {i.id: header_of(i) for i in instrument.items}
    columns = ["Respondent ID", "Team", *headers.values()]
    # Give each item a distinct value (1..5 cycling) so a column mix-up would show.
    expected = {item.id: k % 5 + 1 for k, item in enumerate(instrument.items)}
    row = {"Respondent ID": "R1", "Team": "Marketing"}
    row |= {headers[item_id]: str(v) for item_id, v in expected.items()}
    parsed = parse_survey(write_survey([row], columns=columns), instrument)
    got = dict(zip(parsed.answers["item"], parsed.answers["value"], strict=True))
    assert got == expected
    assert parsed.respondents.loc[0, "team"] == "marketing"


def test_header_with_typographic_apostrophe_matches(instrument, write_survey):
    item = instrument.item("goals_3")
    assert "'" in item.text
    curly = item.text.replace("'", "\u2019")
    columns = ["team", "goals_1", curly]
    path = write_survey([{"team": "Sales", "goals_1": "5", curly: "4"}], columns=columns)
    parsed = parse_survey(path, instrument)
    assert parsed.unmapped == []
    assert answer_of(parsed, 2, "goals_3") == 4


def test_unmapped_extra_columns_are_listed(instrument, write_survey, canonical_columns):
    columns = ["Start time", *canonical_columns, "Browser"]
    row = answers_all(instrument, respondent_id="R1", team="Sales")
    row |= {"Start time": "2024-05-01 10:00", "Browser": "Firefox"}
    parsed = parse_survey(write_survey([row], columns=columns), instrument)
    assert parsed.unmapped == ["Start time", "Browser"]
    assert len(parsed.answers) == len(instrument.items)


def test_mapping_maps_a_custom_team_header(instrument, write_survey, tmp_path):
    team_header = "Where do you work?"
    columns = ["respondent_id", team_header, "goals_1", "goals_2"]
    path = write_survey([{"respondent_id": "R1", team_header: "Sales", "goals_1": "4",
                          "goals_2": "2"}], columns=columns)
    with pytest.raises(IntakeError, match="team"):  # without the mapping: no team column
        parse_survey(path, instrument)
    mapping = tmp_path / "map.csv"
    mapping.write_text(f'column,item\n"{team_header}",team\n', encoding="utf-8")
    parsed = parse_survey(path, instrument, mapping=mapping)
    assert list(parsed.respondents["team"]) == ["sales"]
    assert answer_of(parsed, 2, "goals_1") == 4
    assert answer_of(parsed, 2, "goals_2") == 2


def test_mapping_with_unknown_item_names_mapping_row_and_column(instrument, write_survey,
                                                                 tmp_path):
    path = write_survey([answers_all(instrument, team="Sales")])
    mapping = tmp_path / "my-map.csv"
    mapping.write_text("column,item\nteam,team\nQ7,goals_99\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument, mapping=mapping)
    err = info.value
    assert (err.file, err.row, err.column) == (str(mapping), 3, "item")
    assert str(err).startswith("my-map.csv, row 3, column 'item': ")
    assert "goals_99" in str(err)


# -- answer values -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Agree", 4),
        ("strongly DISAGREE", 1),
        ("Neither agree nor disagree", 3),
        ("4 - Agree", 4),
        ("2: Disagree", 2),
        (" 5 ", 5),
        ("3.0", 3),
    ],
)
def test_answer_labels_and_numbers(instrument, write_survey, cell, expected):
    path = write_survey([{"team": "Sales", "goals_1": cell}])
    assert answer_of(parse_survey(path, instrument), 2, "goals_1") == expected


def _na_cells():
    inst = load_instrument()
    return [inst.na_label, "N/A", "Not Applicable", "Don\u2019t know", *inst.na_aliases]


@pytest.mark.parametrize("cell", _na_cells())
def test_not_applicable_is_kept_as_nan(instrument, write_survey, cell):
    path = write_survey([{"team": "Sales", "goals_1": cell, "goals_2": "5"}])
    parsed = parse_survey(path, instrument)
    value = answer_of(parsed, 2, "goals_1")
    assert value is not None and math.isnan(value)  # stored, but as "no score"
    assert answer_of(parsed, 2, "goals_2") == 5


def test_blank_answer_is_not_stored(instrument, write_survey):
    path = write_survey([{"team": "Sales", "goals_1": "", "goals_2": "5"}])
    parsed = parse_survey(path, instrument)
    assert answer_of(parsed, 2, "goals_1") is None
    assert list(parsed.answers["item"]) == ["goals_2"]


@pytest.mark.parametrize(
    "cell",
    [
        "7",
        "0",
        "-1",
        "maybe",
        "4,5",
        "4.5",
    ],
)
def test_invalid_answer_names_file_row_and_column(instrument, write_survey, cell):
    rows = [answers_all(instrument, team="Sales"), answers_all(instrument, team="Sales"),
            answers_all(instrument, team="Sales", sla_2=cell)]
    path = write_survey(rows, name="export-march.csv")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    err = info.value
    assert (err.row, err.column) == (4, "sla_2")  # the header is row 1
    assert str(err).startswith("export-march.csv, row 4, column 'sla_2': ")
    assert repr(cell) in str(err)


def test_missing_team_column(instrument, write_survey):
    columns = ["respondent_id", "goals_1", "goals_2"]
    path = write_survey([{"respondent_id": "R1", "goals_1": "4"}], columns=columns)
    with pytest.raises(IntakeError, match="team"):
        parse_survey(path, instrument)


def test_ragged_row_names_the_row(instrument, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("respondent_id,team,goals_1\nR1,Sales,4\nR2,Sales,4,5,6\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert info.value.row == 3
    assert str(info.value).startswith("ragged.csv, row 3: ")


def test_trailing_empty_cells_are_not_ragged(instrument, tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text("respondent_id,team,goals_1\nR1,Sales,4,,\nR2,Sales\n", encoding="utf-8")
    parsed = parse_survey(path, instrument)
    assert list(parsed.respondents["key"]) == ["R1"]
    assert [s["row"] for s in parsed.skipped] == [3]


# -- files that are not survey exports -------------------------------------------------
def _not_utf8(path):
    path.write_bytes("respondent_id,team,goals_1,comment\nR1,Sales,4,Zoë\n".encode("latin-1"))


def _empty(path):
    path.write_bytes(b"")


def _blank_lines(path):
    path.write_bytes(b"\n\n\n")


def _utf16_without_bom(path):
    # UTF-16 with a byte-order mark is read (Qualtrics' TSV download); without
    # one the bytes cannot be told from binary data.
    path.write_bytes("respondent_id,team,goals_1\nR1,Sales,4\n".encode("utf-16-le"))


def _unterminated_quote(path):
    path.write_bytes(b'respondent_id,team,goals_1\nR1,Sales,"4\n')


def _zip_not_workbook(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")


def _binary(path):
    path.write_bytes(bytes(range(1, 256)) * 8)


def _csv_named_xlsx(path):
    path.write_bytes(b"respondent_id,team,goals_1\nR1,Sales,4\n")


def _zip_with_bad_xml(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")


def _workbook_with_truncated_sheet(path):
    book = Workbook()
    book.active.append(["respondent_id", "team", "goals_1"])
    book.active.append(["R1", "Sales", 4])
    good = path.with_name("good.xlsx")
    book.save(good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(info, data)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("latin1.csv", _not_utf8),
        ("empty.csv", _empty),
        ("blank-lines.csv", _blank_lines),
        ("utf16.csv", _utf16_without_bom),
        ("quote.csv", _unterminated_quote),
        ("archive.xlsx", _zip_not_workbook),
        ("random.xlsx", _binary),
        ("random.csv", _binary),
        ("renamed.xlsx", _csv_named_xlsx),
        ("badxml.xlsx", _zip_with_bad_xml),
        ("truncated.xlsx", _workbook_with_truncated_sheet),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unreadable_files_raise_intake_error_naming_the_file(instrument, tmp_path, name, make):
    path = tmp_path / name
    make(path)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert str(info.value).startswith(name)


def test_missing_file(instrument, tmp_path):
    with pytest.raises(IntakeError, match="not found"):
        parse_survey(tmp_path / "nowhere.csv", instrument)


# -- rows that are skipped ------------------------------------------------------------------
def test_duplicate_respondent_keeps_first_row(instrument, write_survey):
    rows = [answers_all(instrument, "4", respondent_id="R1", team="Sales"),
            answers_all(instrument, "2", respondent_id="R1", team="Sales"),
            answers_all(instrument, "3", respondent_id="R2", team="Sales")]
    parsed = parse_survey(write_survey(rows), instrument)
    assert list(parsed.respondents["row"]) == [2, 4]
    assert [s["row"] for s in parsed.skipped] == [3]
    assert "duplicate of row 2" in parsed.skipped[0]["reason"]
    assert set(parsed.answers["row"]) == {2, 4}
    assert answer_of(parsed, 2, "goals_1") == 4


def test_rows_with_only_not_applicable_or_blank_are_skipped(instrument, write_survey):
    rows = [answers_all(instrument, "N/A", respondent_id="R1", team="Sales"),
            {"respondent_id": "R2", "team": "Sales"},
            answers_all(instrument, "5", respondent_id="R3", team="Sales")]
    parsed = parse_survey(write_survey(rows), instrument)
    assert list(parsed.respondents["key"]) == ["R3"]
    assert [s["row"] for s in parsed.skipped] == [2, 3]
    assert all("no answered item" in s["reason"] for s in parsed.skipped)
    assert set(parsed.answers["row"]) == {4}


@pytest.mark.parametrize(
    ("cell", "team"),
    [
        ("Sales", "sales"),
        ("SALES team", "sales"),
        ("  sales  ", "sales"),
        ("Marketing", "marketing"),
        ("Demand Gen", "marketing"),
        ("Leadership", "leadership"),
        ("C-Suite", "leadership"),
        ("RevOps", "other"),
        ("Finance", "other"),
    ],
)
def test_team_normalisation(instrument, write_survey, cell, team):
    parsed = parse_survey(write_survey([answers_all(instrument, team=cell)]), instrument)
    assert list(parsed.respondents["team"]) == [team]


@pytest.mark.parametrize("cell", ["Prefer not to say", "N/A"])
def test_team_withheld_is_no_team(instrument, write_survey, cell):
    rows = [answers_all(instrument, team=cell), answers_all(instrument, team="Sales")]
    parsed = parse_survey(write_survey(rows), instrument)
    assert list(parsed.respondents["row"]) == [3]
    assert parsed.skipped[0]["row"] == 2 and "no team given" in parsed.skipped[0]["reason"]


def test_blank_team_row_is_skipped(instrument, write_survey):
    rows = [answers_all(instrument, team=""), answers_all(instrument, team="Sales")]
    parsed = parse_survey(write_survey(rows), instrument)
    assert list(parsed.respondents["row"]) == [3]
    assert [s["row"] for s in parsed.skipped] == [2]
    assert "team" in parsed.skipped[0]["reason"]


# -- XLSX and awkward text ---------------------------------------------------------------
TRICKY_COMMENT = 'Zoë said: "fine, mostly"\nnext line; ünïcödé ✓'


def _rows(instrument):
    return [
        answers_all(instrument, "4", respondent_id="R1", team="Sales", role="AE",
                    comment=TRICKY_COMMENT, goals_2="N/A", goals_3=""),
        answers_all(instrument, "2", respondent_id="R2", team="Marketing", comment="ok, I guess"),
        answers_all(instrument, "5", respondent_id="R3", team="Demand Gen"),
    ]


def test_comments_survive_csv(instrument, write_survey):
    parsed = parse_survey(write_survey(_rows(instrument)), instrument)
    assert list(parsed.respondents["comment"]) == [TRICKY_COMMENT, "ok, I guess", ""]


def test_xlsx_with_int_cells_parses_like_csv(instrument, write_survey, canonical_columns,
                                            tmp_path):
    rows = _rows(instrument)
    csv_parsed = parse_survey(write_survey(rows), instrument)

    book = Workbook()
    sheet = book.active
    sheet.append(canonical_columns)
    for row in rows:
        cells = [row.get(col, "") for col in canonical_columns]
        sheet.append([int(c) if c.isdigit() else (c or None) for c in cells])
    assert isinstance(sheet.cell(row=2, column=4).value, int)  # goals_1 of R1: a real number
    path = tmp_path / "survey.xlsx"
    book.save(path)

    xlsx_parsed = parse_survey(path, instrument)
    pd.testing.assert_frame_equal(xlsx_parsed.respondents, csv_parsed.respondents)
    pd.testing.assert_frame_equal(xlsx_parsed.answers, csv_parsed.answers)
    assert xlsx_parsed.respondents.loc[0, "comment"] == TRICKY_COMMENT


def test_semicolon_delimited_csv(instrument, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("respondent_id;team;goals_1;comment\nR1;Sales;4;a, b\n", encoding="utf-8")
    parsed = parse_survey(path, instrument)
    assert answer_of(parsed, 2, "goals_1") == 4
    assert parsed.respondents.loc[0, "comment"] == "a, b"


def test_read_table_keeps_cells_as_strings(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffa,b\n 1 ,x\n".encode())
    table = read_table(path)
    assert table.header == ("a", "b")  # BOM removed
    assert table.rows == (("1", "x"),)


# -- encodings, separators and broken text ------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_text_encodings_with_marks_are_read(instrument, tmp_path, encoding):
    path = tmp_path / "enc.csv"
    path.write_text("respondent_id,team,goals_1,comment\nR1,Sales,4,Zoë ✓\n", encoding=encoding)
    parsed = parse_survey(path, instrument)
    assert parsed.respondents.loc[0, "comment"] == "Zoë ✓"
    assert answer_of(parsed, 2, "goals_1") == 4


def test_not_utf8_names_data_row_and_column(instrument, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("respondent_id,team,goals_1,comment\nR1,Sales,4,ok\nR2,Sales,4,Zoë\n"
                     .encode("latin-1"))
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert (info.value.row, info.value.column) == (3, "comment")
    assert "0xEB" in str(info.value) and "CSV UTF-8" in str(info.value)


def test_broken_quote_names_the_row(instrument, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_bytes(b'respondent_id,team,goals_1\nR1,Sales,4\nR2,Sales,"4\n')
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert info.value.row == 3
    assert "well-formed CSV" in str(info.value)


def test_huge_cell_is_refused_with_its_row(instrument, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("respondent_id,team,goals_1,comment\nR1,Sales,4,ok\n"
                    f"R2,Sales,4,\"{'x' * 300_000}\"\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert info.value.row == 3


def test_separator_is_found_outside_quotes(instrument, tmp_path):
    # The header's quoted texts hold more commas than the file has semicolons.
    path = tmp_path / "semi.csv"
    item = instrument.item("goals_1")
    path.write_text(f'"team";"Well, well, well [{item.text}]";"comment, if any"\n'
                    '"Sales";"4";"a, b, c"\n', encoding="utf-8")
    parsed = parse_survey(path, instrument)
    assert answer_of(parsed, 2, "goals_1") == 4


def test_two_columns_for_one_item_names_the_second_column(instrument, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("team,goals_1,Goals 1\nSales,4,5\n", encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert (info.value.row, info.value.column) == (None, "Goals 1")
    assert "both answer 'goals_1'" in str(info.value)


# -- shared rules: codes, teams, duplicates ------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "codes", "expected"),
    [
        ("-99", Codes(skipped=frozenset({"-99"})), None),
        ("6", Codes(not_applicable=frozenset({"6"})), "na"),
        ("No answer", Codes(), None),
        ("Prefer not to say", Codes(), "na"),
        ("5", Codes(not_applicable=frozenset({"6"})), 5.0),
    ],
)
def test_tool_codes(instrument, cell, codes, expected):
    value = parse_answer(cell, instrument, codes)
    if expected == "na":
        assert value is not None and math.isnan(value)
    else:
        assert value == expected


@pytest.mark.parametrize("cell", ["6", "-99", "0"])
def test_codes_are_errors_without_the_tool(instrument, cell):
    with pytest.raises(AnswerError):
        parse_answer(cell, instrument)


def test_numbered_teams_follow_instrument_order(instrument):
    codes = Codes(team_numbers=True)
    assert [parse_team(str(k), instrument, codes) for k in range(1, 5)] == list(instrument.team_ids)
    assert parse_team("2", instrument) == "other"  # without the flag a digit is free text


def test_duplicates_by_email_and_by_network_with_identical_answers(instrument, write_survey):
    columns = ["team", "email", "ip", "goals_1", "goals_2", "comment"]
    rows = [
        {"team": "Sales", "email": "a@x.example", "ip": "10.0.0.1", "goals_1": "4", "goals_2": "4"},
        {"team": "Sales", "email": "A@X.example ", "ip": "10.0.0.9", "goals_1": "1", "goals_2": "1"},
        {"team": "Sales", "email": "anonymous", "ip": "10.0.0.1", "goals_1": "4", "goals_2": "4"},
        {"team": "Sales", "email": "", "ip": "10.0.0.1", "goals_1": "4", "goals_2": "5"},
        {"team": "Sales", "email": "", "ip": "10.0.0.1", "goals_1": "4", "goals_2": "5",
         "comment": "different"},
    ]
    parsed = parse_survey(write_survey(rows, columns=columns), instrument)
    assert list(parsed.respondents["row"]) == [2, 5, 6]
    assert parsed.skipped == [
        {"row": 3, "reason": "duplicate of row 2 (same e-mail address)"},
        {"row": 4, "reason": "duplicate of row 2 (same network address and identical answers)"},
    ]
    keys = list(parsed.respondents["key"])
    assert keys[0] == "email:a@x.example"
    assert keys[1].startswith("answers:") and keys[2].startswith("answers:") and keys[1] != keys[2]
    assert "ip" not in parsed.unmapped and "email" not in parsed.unmapped


# -- speed: each distinct cell text is read once ------------------------------------------
def test_each_distinct_answer_text_is_parsed_once(instrument, write_survey, monkeypatch):
    from alignkit.intake import responses

    calls = []

    def counting(cell, *args, **kwargs):
        calls.append(cell)
        return parse_answer(cell, *args, **kwargs)

    monkeypatch.setattr(responses, "parse_answer", counting)
    cells = ["1", "2", "3", "4", "5", "N/A", "Agree", ""]
    rows = [answers_all(instrument, cells[k % len(cells)], respondent_id=f"R{k}", team="Sales",
                        goals_1=cells[(k + 1) % len(cells)] or "4") for k in range(200)]
    parsed = parse_survey(write_survey(rows), instrument)
    assert len(parsed.respondents) == 200 and len(parsed.answers) > 9000
    assert sorted(calls) == sorted(cells)  # 8 parses for 10,600 cells


def test_a_formula_without_a_saved_result_names_its_cell(instrument, canonical_columns, tmp_path):
    book = Workbook()
    book.active.append(canonical_columns)
    book.active.append(["R1", "Sales", "AE", "=2+2"])  # openpyxl saves no computed result
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(IntakeError) as info:
        parse_survey(path, instrument)
    assert (info.value.row, info.value.column) == (2, "goals_1")
    assert "formula whose result was never saved" in str(info.value)
