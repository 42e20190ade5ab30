"""Real survey-tool exports: detection, counts, per-item n and means, CLI and privacy.

The fixtures in ``tests/data/exports/`` are written in each tool's own shape
(see ``tests/data/exports/README.md``). Each accepted respondent answers every
statement with one "base" value, except for the cells noted below, so every
expected n and mean is worked out by hand from the construction. "Row k" below
counts responses (row 1 = the first response); messages and results show the
spreadsheet row, k + the number of header rows (1, 2 for SurveyMonkey, 3 for
Qualtrics):

* google_forms.csv (goals_1-4, handoff_1-4, outcome_1; chronological)
  rows 1-9: base 4, 2, 5, 3, 1, 4, 5, -, 4. Row 7 repeats row 1's e-mail (other
  case) -> duplicate; row 8 leaves the grid empty. Row 2 skips handoff_4, row 3
  answers goals_2 "N/A", row 9 answers outcome_1 "N/A".
  Kept 1,2,3,4,5,6,9: sum 4+2+5+3+1+4+4 = 23 over 7 -> 3.285714; goals_2 without
  row 3: 18/6 = 3.0; handoff_4 without row 2: 21/6 = 3.5; outcome_1 without
  row 9: 19/6 = 3.166667. Teams: sales 1,2; marketing 3,4,9; leadership 5;
  other 6 ("RevOps" typed into Other).
* microsoft_forms.xlsx (definitions_1-4, sla_1-4, outcome_1)
  IDs 1-9: base 4, 2, 5, 3, 4, 2, 1, -, 5. ID 7 repeats ID 3's e-mail; ID 8 has
  an empty grid; ID 2 answers sla_3 "N/A"; ID 4 skips definitions_1.
  Kept 1-6, 9: 25/7 = 3.571429; sla_3 23/6 = 3.833333; definitions_1 22/6 =
  3.666667. Teams: sales 1,2; marketing 3,4; leadership 5,9; other 6.
* surveymonkey.csv / .xlsx (communication_1-4, data_1-4, outcome_1; newest
  first, so submission k is data row 10 - k)
  submissions 1-9: base 4, 3, 5, 2, 4, 5, -, 4, 1. Submission 6 repeats 3 from
  the same IP with identical answers -> duplicate (row 4 of row 7); submission 7
  has an empty grid (row 3); submission 9 shares 2's IP with other answers and
  counts. Submission 2 answers data_2 "N/A", 4 skips communication_3.
  Kept: 4+3+5+2+4+4+1 = 23/7 = 3.285714; data_2 20/6 = 3.333333;
  communication_3 21/6 = 3.5. Teams: sales 1,4; marketing 2,8,9; leadership 5;
  other 3 ("RevOps" in "Other (please specify)").
* qualtrics_choice_text.csv / qualtrics_numeric.csv / qualtrics_choice_text.tsv
  (goals_1-4, sponsorship_1-3, outcome_1) rows 1-9: row 1 Survey Preview, row 4
  unfinished (Progress 38), row 7 repeats row 2's e-mail. Kept rows 2, 3, 5, 6,
  8, 9 with base 4, 3, 5, 2, 1, 4: 19/6 = 3.166667; goals_3 (row 3 N/A) 16/5 =
  3.2; sponsorship_2 (row 5 -99) 14/5 = 2.8; outcome_1 (row 9 N/A) 15/5 = 3.0.
  Teams: sales 2; marketing 3, 8, 9; leadership 5; other 6.
* typeform.csv (handoff_1-4, content_1-4, outcome_1; newest first, submission
  k is row 9 - k) submissions 1-8: base 4, 3, partial, 5, 2, 5, 4, 1.
  Submission 6 repeats 4 from the same Network ID (row 3 of row 5); submission 3
  is partial (row 6); submission 2 skips content_2. Kept: 4+3+5+2+4+1 = 19/6 =
  3.166667; content_2 16/5 = 3.2. Teams: sales 1, 8; marketing 2, 7;
  leadership 5; other 4.
* limesurvey_fulltext.csv (``;``) and limesurvey_codes.csv (``,`` + mapping)
  (process_1-4, tools_1-3, outcome_1) ids 1-8: base 4, 5, -, 2, 3, 4, 1, 4. Id 3
  has no "Date submitted"; id 8 repeats id 6 from the same IP. Id 2 answers
  process_2 N/A (no answer in the codes file), id 5 leaves tools_2 empty. Kept:
  4+5+2+3+4+1 = 19/6 = 3.166667; process_2 14/5 = 2.8; tools_2 16/5 = 3.2.
  Teams: sales 1, 7; marketing 2, 6; leadership 5; other 4.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from alignkit.cli.app import main
from alignkit.exceptions import IntakeError
from alignkit.intake import detect, parse_survey, read_table, sources
from alignkit.intake.survey import import_survey
from alignkit.intake.table import read_raw
from alignkit.store.workspace import Workspace

EXPORTS = Path(__file__).parent / "data" / "exports"
TRICKY = ('Shared targets, please \u2014 and one "single" pipeline review.\n'
          'Zo\u00eb, J\u00fcrgen & \u7530\u4e2d agree \u2713')


@dataclass(frozen=True)
class Expected:
    file: str
    source: str
    by_team: dict[str, int]
    base_mean: float
    items: tuple[str, ...]
    exceptions: dict[str, tuple[int, float]]
    skipped: dict[int, str]
    mapping: str | None = None
    unmapped: tuple[str, ...] = ()

    @property
    def respondents(self) -> int:
        return sum(self.by_team.values())

    def item_stats(self) -> dict[str, tuple[int, float]]:
        return {i: self.exceptions.get(i, (self.respondents, self.base_mean)) for i in self.items}


def _items(*groups: tuple[str, int]) -> tuple[str, ...]:
    return tuple(f"{name}_{k}" for name, count in groups for k in range(1, count + 1)) + ("outcome_1",)


GOOGLE = Expected(
    "google_forms.csv", "google-forms", {"sales": 2, "marketing": 3, "leadership": 1, "other": 1},
    23 / 7, _items(("goals", 4), ("handoff", 4)),
    {"goals_2": (6, 3.0), "handoff_4": (6, 3.5), "outcome_1": (6, 19 / 6)},
    {8: "duplicate of row 2 (same e-mail address)", 9: "no answered item"},
    unmapped=("How did you hear about this survey?",),
)
MSFORMS = Expected(
    "microsoft_forms.xlsx", "microsoft-forms", {"sales": 2, "marketing": 2, "leadership": 2, "other": 1},
    25 / 7, _items(("definitions", 4), ("sla", 4)),
    {"sla_3": (6, 23 / 6), "definitions_1": (6, 22 / 6)},
    {8: "duplicate of row 4 (same e-mail address)", 9: "no answered item"},
)
SURVEYMONKEY = Expected(
    "surveymonkey.csv", "surveymonkey", {"sales": 2, "marketing": 3, "leadership": 1, "other": 1},
    23 / 7, _items(("communication", 4), ("data", 4)),
    {"data_2": (6, 20 / 6), "communication_3": (6, 3.5)},
    {5: "no answered item", 6: "duplicate of row 9 (same network address and identical answers)"},
)
QUALTRICS = Expected(
    "qualtrics_choice_text.csv", "qualtrics", {"sales": 1, "marketing": 3, "leadership": 1, "other": 1},
    19 / 6, _items(("goals", 4), ("sponsorship", 3)),
    {"goals_3": (5, 3.2), "sponsorship_2": (5, 2.8), "outcome_1": (5, 3.0)},
    {4: "Survey Preview", 7: "incomplete response (Finished = ", 10: "duplicate of row 5 (same e-mail"},
)
TYPEFORM = Expected(
    "typeform.csv", "typeform", {"sales": 2, "marketing": 2, "leadership": 1, "other": 1},
    19 / 6, _items(("handoff", 4), ("content", 4)), {"content_2": (5, 3.2)},
    {4: "duplicate of row 6 (same network address", 7: "incomplete response (Response Type 'partial')"},
)
LIMESURVEY = Expected(
    "limesurvey_fulltext.csv", "limesurvey", {"sales": 2, "marketing": 2, "leadership": 1, "other": 1},
    19 / 6, _items(("process", 4), ("tools", 3)), {"process_2": (5, 2.8), "tools_2": (5, 3.2)},
    {4: "incomplete response (no 'Date submitted')", 9: "duplicate of row 7 (same network address"},
)


def _variant(base: Expected, file: str, mapping: str | None = None) -> Expected:
    return Expected(file, base.source, base.by_team, base.base_mean, base.items, base.exceptions,
                    base.skipped, mapping)


CASES = [
    GOOGLE, MSFORMS, SURVEYMONKEY, _variant(SURVEYMONKEY, "surveymonkey.xlsx"),
    QUALTRICS, _variant(QUALTRICS, "qualtrics_numeric.csv"),
    _variant(QUALTRICS, "qualtrics_choice_text.tsv"), TYPEFORM, LIMESURVEY,
    _variant(LIMESURVEY, "limesurvey_codes.csv", "limesurvey_codes_map.csv"),
]
IDS = [c.file for c in CASES]


def _mapping(case: Expected) -> Path | None:
    return EXPORTS / case.mapping if case.mapping else None


def _check_result(payload: dict, case: Expected) -> None:
    assert payload["source"] == case.source
    assert payload["respondents"] == case.respondents
    assert payload["by_team"] == case.by_team
    assert payload["unmapped"] == list(case.unmapped)
    got = {item: (v["n"], v["mean"]) for item, v in payload["items"].items()}
    expected = case.item_stats()
    assert set(got) == set(expected)
    for item, (n, mean) in expected.items():
        assert got[item][0] == n, item
        assert got[item][1] == pytest.approx(mean, abs=1e-4), item
    reasons = {s["row"]: s["reason"] for s in payload["skipped"]}
    assert set(reasons) == set(case.skipped)
    for row, start in case.skipped.items():
        assert start in reasons[row], (row, reasons[row])


def _dump(ws: Workspace) -> tuple[list[str], dict[str, bytes]]:
    with sqlite3.connect(ws.db_path) as con:
        lines = list(con.iterdump())
    raw = {p.name: p.read_bytes() for p in sorted(ws.raw_dir.glob("*"))} if ws.raw_dir.exists() else {}
    return lines, raw


# -- detection ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_export_is_detected_as_its_tool(instrument, case):
    table = read_raw(EXPORTS / case.file)
    assert detect(table, instrument).SOURCE == case.source


def test_sources_lists_every_tool_most_specific_first():
    assert sources() == ["qualtrics", "surveymonkey", "limesurvey", "typeform", "microsoft-forms",
                         "google-forms", "alignkit"]


def test_forcing_a_source_and_an_unknown_source(instrument):
    parsed = parse_survey(EXPORTS / "google_forms.csv", instrument, source="google-forms")
    assert parsed.source == "google-forms"
    with pytest.raises(IntakeError, match="unknown source 'spss'; choose one of qualtrics"):
        parse_survey(EXPORTS / "google_forms.csv", instrument, source="spss")
    # Forced onto the wrong tool, the file is refused rather than misread.
    with pytest.raises(IntakeError) as info:
        parse_survey(EXPORTS / "google_forms.csv", instrument, source="qualtrics")
    assert str(info.value).startswith("google_forms.csv")


# -- library import into a real workspace -------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_import_into_workspace(instrument, workspace, case):
    result = import_survey(EXPORTS / case.file, company="acme", wave="baseline",
                           workspace=workspace, mapping=_mapping(case))
    assert result.imported
    _check_result(result.to_json(), case)
    stored = workspace.answers("acme", "baseline").dropna(subset=["value"])
    stats = stored.groupby("item", observed=True)["value"].agg(["count", "mean"])
    for item, (n, mean) in case.item_stats().items():
        assert stats.loc[item, "count"] == n
        assert stats.loc[item, "mean"] == pytest.approx(mean)
    people = workspace.respondents("acme", "baseline")
    assert people["team"].value_counts().to_dict() == {t: n for t, n in case.by_team.items() if n}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_store_holds_no_email_name_or_ip(instrument, workspace, case):
    import_survey(EXPORTS / case.file, company="acme", wave="baseline", workspace=workspace,
                  mapping=_mapping(case))
    text = "\n".join(_dump(workspace)[0])
    for secret in ("client.example", "L\u00f3pez", "Okafor", "203.0.113.", "198.51.100.",
                   "192.0.2.", "1f2e3d4c5b", "R_2Xk9fLmQa1BcD3e"):
        assert secret not in text
    pseudonyms = workspace.respondents("acme", "baseline")["respondent"]
    assert pseudonyms.str.fullmatch(r"[0-9a-f]{16}").all()


@pytest.mark.parametrize("case", [GOOGLE, MSFORMS, SURVEYMONKEY, QUALTRICS, TYPEFORM, LIMESURVEY],
                         ids=lambda c: c.source)
def test_comments_keep_commas_quotes_newlines_and_formula_like_text(instrument, case):
    parsed = parse_survey(EXPORTS / case.file, instrument)
    comments = set(parsed.respondents["comment"])
    assert TRICKY in comments
    formula_like = {"=SUM(A1:A3)", "+1 for a shared dashboard", "@channel please share the MQL list",
                    "-5% churn is our target", '=HYPERLINK("https://example.com","see our plan")',
                    "-- less e-mail, more talking"}
    assert comments & formula_like  # imported data stays text, exactly as written


def test_keys_are_response_ids_or_email_derived(instrument):
    qualtrics = parse_survey(EXPORTS / "qualtrics_choice_text.csv", instrument)
    assert qualtrics.respondents["key"].str.startswith("R_").all()
    google = parse_survey(EXPORTS / "google_forms.csv", instrument)
    assert list(google.respondents["key"])[:2] == ["email:ana.lopez@client.example",
                                                   "email:ben.okafor@client.example"]
    assert not google.respondents[["role", "comment"]].apply(
        lambda col: col.str.contains("@client.example")).any().any()


def test_qualtrics_numeric_and_tsv_match_choice_text(instrument):
    text = parse_survey(EXPORTS / "qualtrics_choice_text.csv", instrument)
    for other in ("qualtrics_numeric.csv", "qualtrics_choice_text.tsv"):
        parsed = parse_survey(EXPORTS / other, instrument)
        assert parsed.respondents.equals(text.respondents)
        assert parsed.answers.equals(text.answers)


def test_surveymonkey_xlsx_matches_csv(instrument):
    csv_parsed = parse_survey(EXPORTS / "surveymonkey.csv", instrument)
    xlsx_parsed = parse_survey(EXPORTS / "surveymonkey.xlsx", instrument)
    assert xlsx_parsed.respondents.equals(csv_parsed.respondents)
    assert xlsx_parsed.answers.equals(csv_parsed.answers)


def test_newest_first_exports_keep_the_earliest_submission(instrument):
    # Typeform lists newest first: row 6 is the earlier of the two identical
    # submissions from one network, so row 4 is the one reported as duplicate.
    parsed = parse_survey(EXPORTS / "typeform.csv", instrument)
    assert 6 in set(parsed.respondents["row"]) and 4 not in set(parsed.respondents["row"])


def test_partial_row_values_are_not_validated(instrument):
    # The unfinished Qualtrics response (spreadsheet row 7, below three header
    # rows) answered only two statements; nothing of it is stored.
    parsed = parse_survey(EXPORTS / "qualtrics_numeric.csv", instrument)
    assert 7 not in set(parsed.answers["row"])


# -- mapping ------------------------------------------------------------------------------
def test_reworded_grid_needs_a_mapping(instrument, workspace):
    path = EXPORTS / "google_forms_reworded.csv"
    with pytest.raises(IntakeError) as info:
        import_survey(path, company="acme", wave="baseline", workspace=workspace)
    message = str(info.value)
    assert message.startswith("google_forms_reworded.csv: no column matches a survey item")
    assert "--mapping" in message and "Which department do you work in?" in message
    assert not workspace.waves("acme")
    # Every respondent answered all four goals_* statements with 4, 2, 5, 3, 1:
    # n = 5 and mean 15 / 5 = 3.0; teams Sales, Marketing, Sales, Leadership and
    # "Marketing Ops" (an operations alias, so other).
    result = import_survey(path, company="acme", wave="baseline", workspace=workspace,
                           mapping=EXPORTS / "google_forms_reworded_map.csv")
    assert result.respondents == 5
    assert result.by_team == {"sales": 2, "marketing": 1, "leadership": 1, "other": 1}
    assert result.items == {f"goals_{k}": {"n": 5, "mean": 3.0} for k in range(1, 5)}


def test_limesurvey_codes_without_mapping_are_refused(instrument):
    with pytest.raises(IntakeError, match="no column matches a survey item"):
        parse_survey(EXPORTS / "limesurvey_codes.csv", instrument)


# -- CLI --------------------------------------------------------------------------------
def _cli(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, list(args))
    return outcome.exit_code, outcome.output


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_dry_run_then_import(workspace, case):
    base = ["import", "survey", str(EXPORTS / case.file), "--company", "acme", "--wave", "w1",
            "--workspace", str(workspace.root), "--json"]
    if case.mapping:
        base += ["--mapping", str(_mapping(case))]
    before = _dump(workspace)
    code, out = _cli(*base, "--dry-run")
    assert code == 0, out
    dry = json.loads(out)
    _check_result(dry, case)
    assert dry["imported"] is False and "dry run" in dry["message"]
    assert _dump(workspace) == before  # nothing written, no raw copy
    code, out = _cli(*base)
    assert code == 0, out
    done = json.loads(out)
    _check_result(done, case)
    assert done["imported"] is True
    assert {k: v for k, v in done.items() if k not in {"imported", "message"}} == \
        {k: v for k, v in dry.items() if k not in {"imported", "message"}}


def test_cli_reports_a_bad_cell_in_one_line(workspace, tmp_path):
    text = (EXPORTS / "typeform.csv").read_text(encoding="utf-8")
    lines = text.split("\n")
    cells = lines[1].split(",")
    cells[2] = "7"  # first statement of the newest response (spreadsheet row 2)
    lines[1] = ",".join(cells)
    bad = tmp_path / "typeform-bad.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    code, out = _cli("import", "survey", str(bad), "--company", "acme", "--wave", "w1",
                     "--workspace", str(workspace.root))
    assert code == 1
    assert out.strip().count("\n") == 0
    assert out.startswith("error: typeform-bad.csv, row 2, column 'When marketing passes a lead")
    assert "outside the 1–5 scale" in out


def test_read_table_still_reads_one_header_row():
    table = read_table(EXPORTS / "google_forms.csv")
    assert table.header[:2] == ("Timestamp", "Email Address")
    assert len(table.rows) == 9
