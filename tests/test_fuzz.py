"""Bad input, generated: every importer's fixture, damaged in the ways real files are.

Each case ends either in a correct import or in exactly one ``IntakeError``
whose message starts with the file's name (and, when it names a row or a
column, shows them); never in another exception. After a failed import the
workspace is unchanged: the same logical SQLite dump (``iterdump``) and the
same bytes under ``raw/``. Runs are deterministic (``derandomize=True``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from alignkit.catalog.instrument import load_instrument
from alignkit.exceptions import IntakeError
from alignkit.intake import parse_survey
from alignkit.intake.readers import read_records
from alignkit.intake.survey import ImportResult, import_survey
from alignkit.store.workspace import Workspace

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@dataclass(frozen=True)
class Fixture:
    """One export and how its tool writes it."""

    file: str
    header_rows: int
    encoding: str | None  # None: a workbook
    delimiter: str = ","
    mapping: str | None = None

    @property
    def path(self) -> Path:
        return EXPORTS / self.file

    @property
    def mapping_path(self) -> Path | None:
        return EXPORTS / self.mapping if self.mapping else None


FIXTURES = [
    Fixture("google_forms.csv", 1, "utf-8"),
    Fixture("google_forms_reworded.csv", 1, "utf-8", mapping="google_forms_reworded_map.csv"),
    Fixture("microsoft_forms.xlsx", 1, None),
    Fixture("surveymonkey.csv", 2, "utf-8-sig"),
    Fixture("surveymonkey.xlsx", 2, None),
    Fixture("qualtrics_choice_text.csv", 3, "utf-8-sig"),
    Fixture("qualtrics_numeric.csv", 3, "utf-8-sig"),
    Fixture("qualtrics_choice_text.tsv", 3, "utf-16", "\t"),
    Fixture("typeform.csv", 1, "utf-8"),
    Fixture("limesurvey_fulltext.csv", 1, "utf-8-sig", ";"),
    Fixture("limesurvey_codes.csv", 1, "utf-8-sig", ",", "limesurvey_codes_map.csv"),
]
TEXT_FIXTURES = [f for f in FIXTURES if f.encoding]
NON_ASCII = [f for f in TEXT_FIXTURES if not f.path.read_bytes().decode(f.encoding).isascii()]
FORMULA_STARTS = ("=", "+", "-", "@")


# -- files ------------------------------------------------------------------------------
def _records(fixture: Fixture) -> list[list[str]]:
    return [list(r) for r in read_records(fixture.path).records]


def _write(fixture: Fixture, records: list[list[str]], target: Path) -> Path:
    """Write records back in the fixture's own format (encoding, separator, workbook)."""
    if fixture.encoding is None:
        book = Workbook()
        for record in records:
            book.active.append([cell or None for cell in record])
        for row in book.active.iter_rows():
            for cell in row:  # keep "=…" as the text it is, not a formula
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        book.save(target)
        return target
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=fixture.delimiter, lineterminator="\r\n").writerows(records)
    target.write_bytes(buffer.getvalue().encode(fixture.encoding))
    return target


# -- workspaces ---------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _base_cleanup():
    yield
    if _base_workspace.cache_info().currsize:
        shutil.rmtree(_base_workspace().parent, ignore_errors=True)
        _base_workspace.cache_clear()


@lru_cache(maxsize=1)
def _base_workspace() -> Path:
    """A workspace holding one company and one earlier import (built once per module)."""
    root = Path(tempfile.mkdtemp(prefix="alignkit-fuzz-base-"))
    ws = Workspace(root / "ws")
    ws.add_company("acme", "Acme Corp")
    import_survey(DATA / "canonical_small.csv", company="acme", wave="earlier", workspace=ws)
    return ws.root


def _snapshot(ws: Workspace) -> tuple[list[str], dict[str, str]]:
    with sqlite3.connect(ws.db_path) as con:
        dump = list(con.iterdump())
    raw = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ws.raw_dir.iterdir())}
    return dump, raw


def _attempt(fixture: Fixture, path: Path) -> tuple[ImportResult | IntakeError, Workspace, tuple]:
    """Import ``path`` into a fresh copy of the base workspace, next to the file."""
    shutil.copytree(_base_workspace(), path.parent / "ws")
    ws = Workspace(path.parent / "ws")
    before = _snapshot(ws)
    try:
        outcome: ImportResult | IntakeError = import_survey(
            path, company="acme", wave="fuzz", workspace=ws, mapping=fixture.mapping_path)
    except IntakeError as err:
        outcome = err
    return outcome, ws, before


@cache
def _clean(fixture: Fixture) -> dict:
    """The import of the unchanged fixture, for comparisons."""
    with tempfile.TemporaryDirectory() as tmp:
        result, _, _ = _attempt(fixture, Path(shutil.copy(fixture.path, Path(tmp) / fixture.file)))
    assert isinstance(result, ImportResult), result
    return _comparable(result)


def _comparable(result: ImportResult) -> dict:
    payload = result.to_json()
    return {k: v for k, v in payload.items() if k not in {"file", "message", "imported"}}


def _check(outcome: ImportResult | IntakeError, path: Path, ws: Workspace, before: tuple) -> None:
    """A correct import (consistent numbers, stored) or one clear error and no change."""
    if isinstance(outcome, IntakeError):
        message = str(outcome)
        assert message.startswith(path.name), message
        assert "\n" not in message.split(": ", 1)[0]
        if outcome.row is not None:
            assert outcome.row >= 1 and f"row {outcome.row}" in message
        if outcome.column is not None:
            assert f"column '{outcome.column}'" in message
        assert _snapshot(ws) == before
        return
    assert outcome.respondents == sum(outcome.by_team.values())
    for stats in outcome.items.values():
        assert 0 <= stats["n"] <= outcome.respondents
        assert stats["mean"] is None or 1 <= stats["mean"] <= 5
    rows = [s["row"] for s in outcome.skipped]
    assert len(rows) == len(set(rows)) and all(r >= 1 for r in rows)
    if outcome.imported:
        stored = ws.respondents("acme", "fuzz")
        assert len(stored) == outcome.respondents


# -- mutations ---------------------------------------------------------------------------
def _mapped_columns(fixture: Fixture, target: str) -> set[str]:
    if not fixture.mapping_path:
        return set()
    with fixture.mapping_path.open(encoding="utf-8", newline="") as handle:
        return {row[0] for row in csv.reader(handle) if len(row) > 1 and row[1] == target}


def _column_of(fixture: Fixture, records: list[list[str]], target: str) -> int:
    """Index of the column answering an item id or ``comment``, found in the header rows."""
    instrument = load_instrument()
    text = instrument.questions["comment"] if target == "comment" else instrument.item(target).text
    names = {text.replace(" (optional)", "")} | _mapped_columns(fixture, target)
    head = records[:fixture.header_rows]
    for index in range(max(len(r) for r in head)):
        cells = [r[index] for r in head if index < len(r)]
        if any(name in cell for cell in cells for name in names):
            return index
    raise LookupError(target)


def _extra_column(fixture: Fixture, records: list[list[str]]) -> None:
    """Append a "Browser" column (blank lines, such as LimeSurvey's last one, stay blank)."""
    for index, record in enumerate(records):
        if index < fixture.header_rows or any(cell.strip() for cell in record):
            record.append("Browser" if index == 0 else
                          "Firefox" if index >= fixture.header_rows else "")


@st.composite
def damaged(draw):
    """(fixture, function writing a damaged copy of it) for one kind of damage."""
    fixture = draw(st.sampled_from(FIXTURES))
    data = fixture.path.read_bytes()
    byte_level = ["truncate", "empty"] + (["reencode"] if fixture.encoding else [])
    kind = draw(st.sampled_from(byte_level + ["shuffle", "duplicate", "formula", "huge", "extra",
                                              "range", "text"]))
    if kind == "truncate":
        cut = draw(st.integers(0, len(data)))
        return fixture, lambda p: p.write_bytes(data[:cut])
    if kind == "empty":
        return fixture, lambda p: p.write_bytes(b"")
    if kind == "reencode":
        text = data.decode(fixture.encoding)
        target = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-8", "utf-8-sig"]))
        return fixture, lambda p: p.write_bytes(text.encode(target, errors="replace"))
    records = _records(fixture)
    width = max(len(r) for r in records)
    records = [r + [""] * (width - len(r)) for r in records]
    row, column = draw(st.integers(0, len(records) - 1)), draw(st.integers(0, width - 1))
    if kind == "shuffle":
        records[0] = [records[0][i] for i in draw(st.permutations(list(range(width))))]
    elif kind == "duplicate":
        records[0][column] = records[0][draw(st.integers(0, width - 1))]
    elif kind == "huge":
        records[row][column] = "x" * draw(st.sampled_from([40_000, 200_000]))
    elif kind == "extra":
        _extra_column(fixture, records)
    else:
        choices = {"formula": [f"{c}cmd|' /C calc'!A0" for c in FORMULA_STARTS],
                   "range": ["0", "7", "12", "-3", "2.5", "1e3"],
                   "text": ["maybe", "=1+1", "+5", "@SUM(A1)", "Agree-ish", "Ag ree"]}[kind]
        records[row][column] = draw(st.sampled_from(choices))
    return fixture, lambda p: _write(fixture, records, p)


@given(case=damaged())
@settings(FUZZ, max_examples=160)
def test_damaged_files_import_correctly_or_fail_cleanly(case):
    fixture, write = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / fixture.file
        write(path)
        outcome, ws, before = _attempt(fixture, path)
        _check(outcome, path, ws, before)


@given(fixture=st.sampled_from(FIXTURES), data=st.data())
@settings(FUZZ, max_examples=40)
def test_bad_answer_cells_name_their_row_and_column(fixture, data):
    instrument = load_instrument()
    parsed = parse_survey(fixture.path, instrument, mapping=fixture.mapping_path)
    answered = parsed.answers.dropna(subset=["value"])
    row, item = data.draw(st.sampled_from(list(answered[["row", "item"]].itertuples(index=False))))
    value = data.draw(st.sampled_from(["0", "7", "-3", "2.5", "maybe", "=1+1", "+5", "@SUM(A1)"]))
    records = _records(fixture)
    records[row - 1][_column_of(fixture, records, item)] = value  # rows count from the header
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(fixture, records, Path(tmp) / fixture.file)
        outcome, ws, before = _attempt(fixture, path)
        assert isinstance(outcome, IntakeError), outcome
        assert outcome.row == row and outcome.column
        assert repr(value) in str(outcome)
        _check(outcome, path, ws, before)


@given(fixture=st.sampled_from(FIXTURES), data=st.data())
@settings(FUZZ, max_examples=40)
def test_harmless_changes_import_identically(fixture, data):
    records = _records(fixture)
    kind = data.draw(st.sampled_from(["extra", "formula_comment", "rewrite", "reencode"]))
    expected = dict(_clean(fixture))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / fixture.file
        if kind == "reencode" and fixture.encoding:
            target = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
            path.write_bytes(fixture.path.read_bytes().decode(fixture.encoding).encode(target))
        elif kind == "formula_comment":
            parsed = parse_survey(fixture.path, load_instrument(), mapping=fixture.mapping_path)
            # Not a row that another one duplicates: a new comment would tell them apart.
            originals = {int(m) for s in parsed.skipped
                         for m in re.findall(r"duplicate of row (\d+)", s["reason"])}
            row = data.draw(st.sampled_from(sorted(set(parsed.respondents["row"]) - originals)))
            text = data.draw(st.sampled_from(FORMULA_STARTS)) + "HYPERLINK(\"http://x\",\"y\")"
            records[row - 1][_column_of(fixture, records, "comment")] = text
            _write(fixture, records, path)
        elif kind == "extra":
            _extra_column(fixture, records)
            expected["unmapped"] = [*expected["unmapped"], "Browser"]
            _write(fixture, records, path)
        else:
            _write(fixture, records, path)
        outcome, ws, _ = _attempt(fixture, path)
        assert isinstance(outcome, ImportResult), outcome
        assert _comparable(outcome) == expected
        if kind == "formula_comment":
            assert text in set(ws.respondents("acme", "fuzz")["comment"])


def test_empty_file_is_one_clear_error():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "empty.csv"
        path.write_bytes(b"")
        outcome, ws, before = _attempt(FIXTURES[0], path)
        assert isinstance(outcome, IntakeError)
        assert str(outcome) == "empty.csv: the file is empty; export the responses again"
        assert _snapshot(ws) == before


@pytest.mark.parametrize("fixture", NON_ASCII, ids=lambda f: f.file)
def test_latin1_reencoding_names_the_first_bad_row(fixture):
    # These fixtures hold a comment with non-ASCII letters in a data row.
    text = fixture.path.read_bytes().decode(fixture.encoding)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / fixture.file
        path.write_bytes(text.encode("latin-1", errors="replace"))
        outcome, ws, before = _attempt(fixture, path)
        assert isinstance(outcome, IntakeError), outcome
        assert outcome.row is not None and outcome.column
        assert "CSV UTF-8" in str(outcome)
        _check(outcome, path, ws, before)
