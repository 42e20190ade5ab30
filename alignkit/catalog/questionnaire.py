"""Export the survey instrument as a questionnaire: CSV/Excel template, Markdown or HTML form.

The CSV and the workbook's "Responses" sheet are the canonical response template
that ``alignkit import survey`` reads back (columns ``respondent_id, team, role,
<item id> …, comment``). The Markdown and HTML files are printable forms whose
``#`` column carries the item ids, so a filled paper form can be typed back into
the template. The HTML form is self-contained (no external files) and styled
for A4/Letter printing; every text in it is HTML-escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from alignkit.catalog.instrument import Instrument
from alignkit.exceptions import AlignkitError

__all__ = [
    "FORMATS", "export_questionnaire", "render_html", "render_markdown", "safe_cell",
    "template_header",
]

#: Formats :func:`export_questionnaire` can write.
FORMATS = ("csv", "xlsx", "md", "html")

#: Last worksheet row that gets answer/team drop-downs (row 1 is the header).
LAST_ROW = 500

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")

_MARKDOWN = """\
# {{ title }}

{{ intro }}

## How to answer

For each statement, tick the one box that best matches how things are today:

{% for value, label in scale %}
- **{{ value }}** = {{ label }}
{% endfor %}
- **{{ na }}** = does not apply to you, or you don't know

## About you

**{{ team_question }}** (tick one)

{% for label in teams %}
- [ ] {{ label }}
{% endfor %}

**{{ role_question }}**

Answer: ________________________________________________

{% for section in sections %}
## {{ section.name }}

| # | Statement |{% for value, _ in scale %} {{ value }} |{% endfor %} {{ na }} |
|---|---|{% for _ in scale %}:-:|{% endfor %}:-:|
{% for item in section.rows %}
| {{ item.id }} | {{ item.text }} |{% for _ in scale %} ☐ |{% endfor %} ☐ |
{% endfor %}

{% endfor %}
## Your suggestion

**{{ comment_question }}**

{% for _ in range(4) %}
________________________________________________________________________

{% endfor %}
Thank you for taking part.

---

*{{ instrument_id }} · version {{ version }}*
"""


def safe_cell(text: str) -> str:
    """Neutralise text that a spreadsheet would run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return)
    gets a leading single quote, so Excel and LibreOffice show it as text.

    Examples
    --------
    >>> safe_cell("=1+1")
    "'=1+1"
    >>> safe_cell("Agree")
    'Agree'
    """
    text = str(text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def template_header(instrument: Instrument) -> list[str]:
    """Column headers of the response template, in order.

    Returns
    -------
    list of str
        ``respondent_id, team, role``, every item id in instrument order (the
        outcome item last), then ``comment``.
    """
    return ["respondent_id", "team", "role", *(i.id for i in instrument.items), "comment"]


def export_questionnaire(instrument: Instrument, fmt: str, path: str | Path) -> Path:
    """Write the questionnaire for ``instrument`` in one format.

    Parameters
    ----------
    instrument
        The instrument to export (see :func:`alignkit.catalog.instrument.load_instrument`).
    fmt
        ``"csv"`` (blank response template), ``"xlsx"`` (workbook with a
        "Responses" sheet, the questions and an "About" sheet) or ``"md"``
        (printable form) or ``"html"`` (printable, self-contained web page).
    path
        Where to write the file. Its directory must exist. An ``xlsx`` export
        must end in ``.xlsx``, and a ``csv`` export must not end in ``.xlsx``,
        so that ``alignkit import survey`` reads the file back as written.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    AlignkitError
        For an unknown format, a mismatched file extension or a path that
        cannot be written.
    """
    kind = str(fmt).strip().lower()
    writers: dict[str, Callable[[Instrument, Path], None]] = {
        "csv": _write_csv, "xlsx": _write_xlsx, "md": _write_md, "html": _write_html,
    }
    if kind not in writers:
        raise AlignkitError(
            f"unknown questionnaire format '{fmt}'; choose one of {', '.join(FORMATS)}"
        )
    target = Path(path)
    _check_suffix(kind, target)
    try:
        writers[kind](instrument, target)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise AlignkitError(f"cannot write {target}: {reason}; choose another path") from None
    return target


def _check_suffix(kind: str, target: Path) -> None:
    suffix = target.suffix.lower()
    if kind == "xlsx" and suffix != ".xlsx":
        raise AlignkitError(
            f"an xlsx questionnaire must be saved as .xlsx, not '{target.name}'; rename it"
        )
    if kind == "csv" and suffix in {".xlsx", ".xlsm", ".xls"}:
        raise AlignkitError(
            f"a csv questionnaire cannot be saved as '{target.name}'; use a .csv name"
        )


def _write_csv(instrument: Instrument, target: Path) -> None:
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([safe_cell(h) for h in template_header(instrument)])


# --- xlsx -------------------------------------------------------------------


def _put(sheet: Worksheet, row: int, column: int, value: Any, *, bold: bool = False) -> None:
    """Write one cell, neutralising text and optionally making it bold."""
    cell = sheet.cell(row=row, column=column, value=safe_cell(value) if isinstance(value, str)
                      else value)
    if bold:
        cell.font = _BOLD


def _write_xlsx(instrument: Instrument, target: Path) -> None:
    book = Workbook()
    _responses_sheet(book.active, instrument)
    _questions_sheet(book.create_sheet("Questions"), instrument)
    _about_sheet(book.create_sheet("About"), instrument)
    book.save(target)


def _responses_sheet(sheet: Worksheet, instrument: Instrument) -> None:
    sheet.title = "Responses"
    texts = {i.id: i.text for i in instrument.items}
    widths = {"respondent_id": 16, "team": 14, "role": 26, "comment": 60}
    for column, name in enumerate(template_header(instrument), start=1):
        _put(sheet, 1, column, name, bold=True)
        cell = sheet.cell(row=1, column=column)
        cell.fill = _HEADER_FILL
        if name in texts:
            note = Comment(texts[name], "alignkit")
            note.width, note.height = 260, 90
            cell.comment = note
        width = widths.get(name, max(10, len(name) + 3))
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "B2"
    _add_validations(sheet, instrument)


def _list_validation(values: list[str], prompt: str) -> DataValidation:
    """A drop-down list that rejects anything else (Excel caps the list at 255 chars)."""
    formula = ",".join(values)
    if len(formula) > 255 or any('"' in v for v in values):
        raise AlignkitError(
            f"cannot build the drop-down list {formula[:40]!r}…: too long or contains quotes"
        )
    check = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True)
    check.showErrorMessage = True
    check.errorTitle = "Not on the list"
    check.error = prompt
    return check


def _add_validations(sheet: Worksheet, instrument: Instrument) -> None:
    answers = [str(v) for v, _ in instrument.scale] + [instrument.na_label]
    scale = f"{instrument.scale_min}–{instrument.scale_max}"
    first = get_column_letter(4)
    last = get_column_letter(3 + len(instrument.items))
    answer_check = _list_validation(answers, f"Choose {scale} or {instrument.na_label}, "
                                             "or leave the cell blank.")
    answer_check.add(f"{first}2:{last}{LAST_ROW}")
    team_check = _list_validation([label for _, label, _ in instrument.teams],
                                  "Choose one of the teams in the list.")
    team_check.add(f"B2:B{LAST_ROW}")
    sheet.add_data_validation(answer_check)
    sheet.add_data_validation(team_check)


def _questions_rows(instrument: Instrument) -> list[tuple[bool, tuple[Any, ...]]]:
    """Rows of the "Questions" sheet as ``(bold, values)``."""
    names = instrument.dimension_names()
    rows = [(True, ("id", "dimension", "statement"))]
    rows += [(False, (i.id, names.get(i.dimension, "Overall outcome"), i.text))
             for i in instrument.items]
    rows += [(False, ()), (True, ("Answer scale",)), (True, ("value", "label"))]
    rows += [(False, (value, label)) for value, label in instrument.scale]
    rows += [(False, (instrument.na_label, "Does not apply to me, or I don't know")),
             (False, ()), (True, ("Other questions",)), (True, ("column", "question"))]
    rows += [(False, (key, instrument.questions[key])) for key in ("team", "role", "comment")]
    return rows


def _questions_sheet(sheet: Worksheet, instrument: Instrument) -> None:
    for number, (bold, values) in enumerate(_questions_rows(instrument), start=1):
        for column, value in enumerate(values, start=1):
            _put(sheet, number, column, value, bold=bold)
    for letter, width in (("A", 18), ("B", 44), ("C", 100)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _about_sheet(sheet: Worksheet, instrument: Instrument) -> None:
    rows = [
        ("Title", instrument.title),
        ("Version", instrument.version),
        ("Instrument", instrument.id),
        ("Introduction", instrument.intro),
        ("How to use", "Enter one respondent per row on the Responses sheet (answers "
                       f"{instrument.scale_min}–{instrument.scale_max} or "
                       f"{instrument.na_label}), then import the file with "
                       "`alignkit import survey`."),
    ]
    for number, (label, value) in enumerate(rows, start=1):
        _put(sheet, number, 1, label, bold=True)
        _put(sheet, number, 2, value)
        sheet.cell(row=number, column=2).alignment = _WRAP
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 100


# --- markdown ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _markdown_template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_MARKDOWN)


def _cell_text(text: str) -> str:
    """Make text safe inside a Markdown table cell (one line, no bare pipes)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _context(instrument: Instrument, text: Callable[[str], str]) -> dict[str, Any]:
    """What both printable forms show: sections of statements, scale, teams, questions."""
    sections = [
        {"name": d.name, "rows": [{"id": i.id, "text": text(i.text)} for i in d.items]}
        for d in instrument.dimensions
    ]
    sections.append({"name": "Overall", "rows": [
        {"id": instrument.outcome.id, "text": text(instrument.outcome.text)}]})
    return dict(
        title=instrument.title, intro=instrument.intro, scale=instrument.scale,
        na=instrument.na_label, teams=[label for _, label, _ in instrument.teams],
        team_question=instrument.questions["team"], role_question=instrument.questions["role"],
        comment_question=instrument.questions["comment"], sections=sections,
        instrument_id=instrument.id, version=instrument.version,
    )


def render_markdown(instrument: Instrument) -> str:
    """Render the printable questionnaire as Markdown text."""
    return _markdown_template().render(**_context(instrument, _cell_text))


def _write_md(instrument: Instrument, target: Path) -> None:
    target.write_text(render_markdown(instrument), encoding="utf-8")


# --- html -------------------------------------------------------------------

_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
@page { size: A4; margin: 15mm 14mm 16mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1f2328;
       max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; padding-bottom: 1mm; border-bottom: 1.5pt solid #1f2328;
     break-after: avoid; }
p { margin: 0 0 2mm; } .lead { color: #444; }
.legend { display: flex; flex-wrap: wrap; gap: 1mm 5mm; margin: 2mm 0 0; padding: 0; list-style: none; }
.legend b { display: inline-block; min-width: 5mm; }
.box { display: inline-block; width: 4mm; height: 4mm; border: 0.9pt solid #1f2328;
       border-radius: 0.6mm; vertical-align: -0.6mm; }
.choices { display: flex; flex-wrap: wrap; gap: 2mm 8mm; margin: 1mm 0 3mm; }
.line { border-bottom: 0.8pt solid #777; height: 8mm; margin-bottom: 2mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border-bottom: 0.5pt solid #c8ccd1; padding: 1.6mm 1mm; vertical-align: middle; }
th { font-size: 8pt; font-weight: 600; color: #444; text-align: center; line-height: 1.15; }
th.statement, td.statement { text-align: left; }
th.tick, td.tick { width: 13.5mm; text-align: center; } th.tick { font-size: 7pt; padding: 1mm 0.4mm; }
th.id, td.id { width: 23mm; font-size: 7.5pt; color: #666; text-align: left; overflow-wrap: anywhere; }
.comment { border: 0.8pt solid #777; border-radius: 1mm; height: 38mm; margin-top: 2mm; }
footer { margin-top: 6mm; font-size: 8pt; color: #666; }
@media print { body { padding: 0; max-width: none; } }
</style>
</head>
<body>
<header><h1>{{ title }}</h1><p class="lead">{{ intro }}</p></header>
<section><h2>How to answer</h2>
<p>For each statement, tick the one box that best matches how things are today.</p>
<ul class="legend">
{% for value, label in scale %}<li><b>{{ value }}</b> {{ label }}</li>{% endfor %}
<li><b>{{ na }}</b> does not apply to you, or you don't know</li></ul></section>
<section><h2>About you</h2>
<p><strong>{{ team_question }}</strong> (tick one)</p>
<div class="choices">
{% for label in teams %}<span><span class="box"></span> {{ label }}</span>{% endfor %}</div>
<p><strong>{{ role_question }}</strong></p><div class="line"></div></section>
{% for section in sections %}
<section><h2>{{ section.name }}</h2>
<table>
<thead><tr><th class="id">#</th><th class="statement">Statement</th>
{% for value, label in scale %}<th class="tick">{{ value }}<br>{{ label }}</th>{% endfor %}
<th class="tick">{{ na }}</th></tr></thead>
<tbody>
{% for item in section.rows %}
<tr><td class="id">{{ item.id }}</td><td class="statement">{{ item.text }}</td>
{% for _ in range(scale|length + 1) %}<td class="tick"><span class="box"></span></td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table></section>
{% endfor %}
<section><h2>Your suggestion</h2><p><strong>{{ comment_question }}</strong></p>
<div class="comment"></div></section>
<footer>Thank you for taking part. &middot; {{ instrument_id }} &middot; version {{ version }}</footer>
</body>
</html>
"""


@lru_cache(maxsize=1)
def _html_template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_HTML)


def render_html(instrument: Instrument) -> str:
    """Render the printable questionnaire as one self-contained HTML page.

    Every text from the instrument is HTML-escaped; the page loads nothing
    from elsewhere (no scripts, fonts or images) and prints one statement
    table per dimension, repeating table headers across pages.
    """
    return _html_template().render(**_context(instrument, str))


def _write_html(instrument: Instrument, target: Path) -> None:
    target.write_text(render_html(instrument), encoding="utf-8")
