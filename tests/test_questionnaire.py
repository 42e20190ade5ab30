"""Questionnaire export: CSV/XLSX templates read back by intake, workbook layout, Markdown and HTML forms."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from alignkit.catalog.instrument import load_instrument
from alignkit.catalog.questionnaire import export_questionnaire, render_html, safe_cell, template_header
from alignkit.cli.app import main
from alignkit.exceptions import AlignkitError
from alignkit.intake import parse_survey

TEAMS = ["Sales", "marketing", "Leadership", "Other", "Sales"]
TEAM_IDS = ["sales", "marketing", "leadership", "other", "sales"]
COMMENTS = [
    'Share targets, please, and "quarterly" reviews\nsecond line: Zoë’s café — ok',
    "",
    "More joint meetings",
    "Fewer silos; one pipeline review",
    "Übergabe schneller, bitte",
]


@pytest.fixture(scope="module")
def instrument():
    return load_instrument()


def _answer(row: int, col: int) -> object:
    """Fixed answer pattern: an int 1..5, "N/A" or None (blank)."""
    code = (row * 7 + col * 3) % 9
    if code == 7:
        return "N/A"
    if code == 8:
        return None
    return code % 5 + 1


def _rows(instrument) -> list[list[object]]:
    items = instrument.items
    return [
        [f"r{n:02d}", TEAMS[n - 1], f"Role {n}" if n % 2 else "",
         *(_answer(n, k) for k in range(len(items))), COMMENTS[n - 1]]
        for n in range(1, len(TEAMS) + 1)
    ]


def _expected(instrument, rows):
    # Rows are numbered as a spreadsheet shows them: the header is row 1, data starts at 2.
    people = [(n + 1, r[0], TEAM_IDS[n - 1], r[2], r[-1]) for n, r in enumerate(rows, start=1)]
    answers = [
        (n + 1, item.id, math.nan if value == "N/A" else float(value))
        for n, r in enumerate(rows, start=1)
        for item, value in zip(instrument.items, r[3:-1], strict=True)
        if value is not None
    ]
    return (pd.DataFrame(people, columns=["row", "key", "team", "role", "comment"]),
            pd.DataFrame(answers, columns=["row", "item", "value"]))


def _check_round_trip(instrument, path, rows):
    parsed = parse_survey(path, instrument)
    people, answers = _expected(instrument, rows)
    assert parsed.source == "alignkit"
    assert parsed.skipped == [] and parsed.unmapped == []
    pd.testing.assert_frame_equal(parsed.respondents, people)
    pd.testing.assert_frame_equal(parsed.answers, answers, check_dtype=False,
                                  check_categorical=False)  # items are categories
    got = parsed.answers.groupby("item", sort=False)["value"].agg(["count", "mean"])
    for k, item in enumerate(instrument.items):
        scored = [r[3 + k] for r in rows if isinstance(r[3 + k], int)]
        assert got.loc[item.id, "count"] == len(scored), item.id
        assert got.loc[item.id, "mean"] == pytest.approx(sum(scored) / len(scored)), item.id


def test_csv_template_round_trip(instrument, tmp_path):
    path = export_questionnaire(instrument, "csv", tmp_path / "template.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [template_header(instrument)]
    assert template_header(instrument)[-2:] == [instrument.outcome.id, "comment"]
    rows = _rows(instrument)
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["" if v is None else str(v) for v in row] for row in rows]
        )
    _check_round_trip(instrument, path, rows)


def test_xlsx_template_round_trip(instrument, tmp_path):
    path = export_questionnaire(instrument, "xlsx", tmp_path / "template.xlsx")
    rows = _rows(instrument)
    book = load_workbook(path)
    sheet = book["Responses"]
    for n, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=n, column=column, value=value)
    book.save(path)
    _check_round_trip(instrument, path, rows)


def test_xlsx_layout(instrument, tmp_path):
    path = export_questionnaire(instrument, "xlsx", tmp_path / "q.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Responses", "Questions", "About"]
    sheet = book["Responses"]
    header = [c.value for c in sheet[1]]
    assert header == template_header(instrument)
    assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2")
    assert all(c.font.bold for c in sheet[1])
    for column, item in enumerate(instrument.items, start=4):
        assert sheet.cell(row=1, column=column).comment.text == item.text
    assert sheet.cell(row=1, column=2).comment is None
    checks = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert checks["B2:B500"] == '"Sales,Marketing,Leadership,Other"'
    answer_ranges = [r for r, f in checks.items() if f == '"1,2,3,4,5,N/A"']
    assert answer_ranges == [f"D2:{sheet.cell(row=500, column=len(header) - 1).coordinate}"]
    questions = [r for r in book["Questions"].iter_rows(values_only=True)]
    assert questions[0] == ("id", "dimension", "statement")
    assert {r[0] for r in questions} >= {i.id for i in instrument.items}
    assert ("N/A", "Does not apply to me, or I don't know", None) in questions
    assert (5, "Strongly agree", None) in questions
    assert ("team", instrument.questions["team"], None) in questions
    about = dict(book["About"].iter_rows(max_col=2, values_only=True))
    assert about["Title"] == instrument.title
    assert about["Version"] == instrument.version
    assert about["Introduction"] == instrument.intro


def test_markdown_form(instrument, tmp_path):
    path = export_questionnaire(instrument, "md", tmp_path / "q.md")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# {instrument.title}\n")
    for item in instrument.items:
        assert f"| {item.id} | {item.text} |" in text
    for dimension in instrument.dimensions:
        assert f"\n## {dimension.name}\n" in text
    assert "| # | Statement | 1 | 2 | 3 | 4 | 5 | N/A |" in text
    assert "- [ ] Sales" in text and "- [ ] Marketing" in text
    assert instrument.questions["comment"] in text
    assert f"{instrument.id} · version {instrument.version}" in text


def test_unknown_format_and_bad_path(instrument, tmp_path):
    with pytest.raises(AlignkitError, match="unknown questionnaire format 'pdf'"):
        export_questionnaire(instrument, "pdf", tmp_path / "q.pdf")
    with pytest.raises(AlignkitError, match="cannot write"):
        export_questionnaire(instrument, "csv", tmp_path / "missing" / "q.csv")
    with pytest.raises(AlignkitError, match=r"\.xlsx"):
        export_questionnaire(instrument, "xlsx", tmp_path / "q.csv")


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-5", "@SUM"])
def test_safe_cell_neutralises_formulas(text):
    assert safe_cell(text) == "'" + text


def test_safe_cell_leaves_plain_text():
    assert safe_cell("Agree") == "Agree"
    assert safe_cell("") == ""


# -- HTML form --------------------------------------------------------------------------
class _Text(HTMLParser):
    """Collects the text of a page, as a reader would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.parts.append(data)


def _page(text: str) -> _Text:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return parser


def test_html_form_is_printable_and_self_contained(instrument, tmp_path):
    path = export_questionnaire(instrument, "html", tmp_path / "q.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = _page(text)
    shown = " ".join(" ".join(page.parts).split())
    for item in instrument.items:
        assert item.id in shown and item.text in shown
    for dimension in instrument.dimensions:
        assert dimension.name in shown
    for value, label in instrument.scale:
        assert f"{value} {label}" in shown
    assert instrument.questions["comment"] in shown
    # One row of boxes per statement: 5 scale points + N/A.
    assert text.count('class="box"') == len(instrument.items) * 6 + len(instrument.teams)
    assert "@page" in text and "break-inside: avoid" in text
    for external in ("<script", "<link", "src=", "@import", "url(", "http"):
        assert external not in text


def test_html_form_escapes_every_text(instrument, tmp_path):
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    odd = dataclasses.replace(
        instrument, title=hostile, intro="Tom & Jerry's <i>survey</i>",
        outcome=dataclasses.replace(instrument.outcome, text=f"Overall {hostile}"),
    )
    text = render_html(odd)
    assert "<script>" not in text and "<b>bold" not in text and "<i>survey" not in text
    page = _page(text)
    assert page.tags == _page(render_html(instrument)).tags  # no element came from the text
    shown = "".join(page.parts)
    assert hostile in shown and f"Overall {hostile}" in shown and "Tom & Jerry's" in shown


# -- a new user's path through the CLI -------------------------------------------------------
def _fill_csv(path, instrument) -> list[list[object]]:
    rows = [[f"p{n}", "Sales" if n <= 5 else "Marketing", "", *([4 if n <= 5 else 2] *
             len(instrument.items)), "=cmd|' /C calc'!A0" if n == 1 else ""] for n in range(1, 11)]
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return rows


def _fill_xlsx(path, instrument) -> list[list[object]]:
    book = load_workbook(path)
    sheet = book["Responses"]
    rows = [[f"p{n}", "Sales" if n <= 5 else "Marketing", None,
             *([4 if n <= 5 else 2] * len(instrument.items)), None] for n in range(1, 11)]
    for row in rows:
        sheet.append(row)
    book.save(path)
    return rows


@pytest.mark.parametrize(("fmt", "fill"), [("csv", _fill_csv), ("xlsx", _fill_xlsx)])
def test_export_fill_import_and_score_through_the_cli(instrument, tmp_path, fmt, fill):
    runner = CliRunner()
    template = tmp_path / f"acme-survey.{fmt}"
    ws = str(tmp_path / "ws")
    done = runner.invoke(main, ["instrument", "export", "--format", fmt, "--out", str(template)])
    assert done.exit_code == 0, done.output
    fill(template, instrument)
    assert runner.invoke(main, ["company", "add", "acme", "--workspace", ws]).exit_code == 0
    done = runner.invoke(main, ["import", "survey", str(template), "--company", "acme",
                                "--wave", "baseline", "--workspace", ws, "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    # Five sales people answered 4 everywhere, five marketing people 2: mean 3.0, n 10.
    assert result["source"] == "alignkit" and result["respondents"] == 10
    assert result["by_team"] == {"sales": 5, "marketing": 5, "leadership": 0, "other": 0}
    assert all(v == {"n": 10, "mean": 3.0} for v in result["items"].values())
    assert len(result["items"]) == len(instrument.items)
    done = runner.invoke(main, ["score", "--company", "acme", "--wave", "baseline",
                                "--workspace", ws, "--json"])
    assert done.exit_code == 0, done.output
    index = {row["group"]: row["index"] for row in json.loads(done.output)["index"]}
    # 4 on a 1-5 scale is 75 % of the way up, 2 is 25 %.
    assert index["sales"] == pytest.approx(75.0) and index["marketing"] == pytest.approx(25.0)


def test_cli_exports_the_html_form(tmp_path):
    out = tmp_path / "form.html"
    done = CliRunner().invoke(main, ["instrument", "export", "--format", "html", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "<table>" in out.read_text(encoding="utf-8")
