"""Reading CRM funnel exports as HubSpot, Salesforce and alignkit write them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignkit.exceptions import IntakeError
from alignkit.intake.funnel import parse_funnel

CRM = Path(__file__).parent / "data" / "crm"
HEADER = ["lead_id", "created_at", "source", "mql_at", "sal_at", "sql_at", "opportunity_at",
          "closed_at", "outcome", "first_touch_at", "owner", "owner_team", "amount"]
GOOD = {"lead_id": "A1", "created_at": "2024-01-02 09:00", "source": "Organic Search",
        "mql_at": "2024-01-03 10:00", "sal_at": "2024-01-03 11:00", "sql_at": "2024-01-05 10:00",
        "opportunity_at": "2024-01-08 10:00", "closed_at": "2024-02-01 10:00", "outcome": "won",
        "first_touch_at": "2024-01-03 10:30", "owner": "Ann Hale", "owner_team": "Inside Sales",
        "amount": "1000"}


def write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_hubspot_contacts_export_is_auto_mapped() -> None:
    parsed = parse_funnel(CRM / "hubspot_contacts.csv")
    assert (parsed.source, parsed.kind) == ("hubspot", "leads")
    assert parsed.columns["lead"] == "Record ID"
    assert parsed.columns["created_at"] == "Create Date"
    assert parsed.columns["mql_at"] == "Became a Marketing Qualified Lead Date"
    assert parsed.columns["sal_at"].startswith("Date entered")
    assert parsed.columns["won_at"] == "Became a Customer Date"
    assert parsed.columns["first_touch_at"] == "First outreach date"
    assert parsed.columns["owner"] == "Contact owner"
    assert parsed.columns["owner_team"] == "HubSpot Team"
    # personal data is never mapped, so never stored
    assert {"First Name", "Last Name", "Email"} <= set(parsed.unmapped)
    leads = parsed.leads.set_index("lead")
    assert len(leads) == 6
    assert list(leads["source"]) == ["marketing", "marketing", "marketing", "sales", "marketing",
                                     "marketing"]
    first = leads.loc["51234001"]
    assert first["created_at"] == "2024-03-04 09:12:00"
    assert (first["outcome"], first["closed_at"]) == ("won", "2024-04-18 16:05:00")
    assert first["amount"] == 18500.0
    assert first["owner_team"] == "Inside Sales"
    assert pd.isna(leads.loc["51234005", "owner"])


def test_salesforce_report_is_auto_mapped_and_its_footer_dropped() -> None:
    parsed = parse_funnel(CRM / "salesforce_leads.csv")
    assert (parsed.source, parsed.kind) == ("salesforce", "leads")
    assert parsed.columns["opportunity_at"] == "Converted Date"
    assert parsed.columns["owner"] == "Owner Full Name"
    assert parsed.columns["amount"] == "Opportunity Amount"
    leads = parsed.leads.set_index("lead")
    assert len(leads) == 5 and parsed.skipped == []
    won = leads.loc["00Q5e00001AbCdE"]
    assert won["created_at"] == "2024-03-14 09:42:00"  # 3/14/2024, 9:42 AM
    assert won["opportunity_at"] == "2024-03-20"  # a date without a time stays a date
    assert (won["outcome"], won["closed_at"], won["amount"]) == ("won", "2024-04-30", 24300.0)
    lost = leads.loc["00Q5e00001AbCdG"]
    assert (lost["source"], lost["outcome"]) == ("sales", "lost")
    open_deal = leads.loc["00Q5e00001AbCdI"]  # Negotiation/Review: an open deal's close date
    assert pd.isna(open_deal["outcome"]) and pd.isna(open_deal["closed_at"])  # is a forecast
    assert open_deal["source"] == "other"
    assert leads.loc["00Q5e00001AbCdF", "owner_team"] == "Sales Development Rep"


def test_alignkit_columns_and_default_period() -> None:
    parsed = parse_funnel(CRM / "leads_small.csv")
    assert parsed.source == "alignkit"
    assert set(parsed.leads["period"]) == {"2024-01"}
    assert parse_funnel(CRM / "leads_small.csv", period="2024-H1").leads["period"].eq(
        "2024-H1").all()


def test_wide_stage_counts() -> None:
    parsed = parse_funnel(CRM / "counts_wide.csv")
    assert (parsed.source, parsed.kind) == ("counts", "counts")
    counts = parsed.counts.set_index(["period", "stage"])["count"]
    assert len(counts) == 18
    assert counts[("2024-03", "lead")] == 1020  # "1,020"
    assert counts[("2024-02", "won")] == 12


def test_long_stage_counts_need_a_period() -> None:
    with pytest.raises(IntakeError, match="--period"):
        parse_funnel(CRM / "counts_long.csv")
    parsed = parse_funnel(CRM / "counts_long.csv", period="2024-Q1")
    assert dict(zip(parsed.counts["stage"], parsed.counts["count"], strict=True)) == {
        "lead": 250, "mql": 100, "sql": 40, "opportunity": 20, "won": 5}
    assert set(parsed.counts["period"]) == {"2024-Q1"}


def test_dates_read_day_first_when_the_file_says_so(tmp_path: Path) -> None:
    rows = [{**GOOD, "created_at": "02/01/2024 09:00", "mql_at": "13/01/2024 10:00",
             "sal_at": "", "sql_at": "", "opportunity_at": "", "closed_at": "", "outcome": "",
             "first_touch_at": "13/01/2024 10:30"}]
    leads = parse_funnel(write(tmp_path / "eu.csv", rows)).leads
    assert leads.loc[0, "created_at"] == "2024-01-02 09:00:00"


# -- bad files: one error naming file, row and column ------------------------------------
BAD_ROWS = {
    "sal before mql": ({"sal_at": "2024-01-03 09:00"}, "sal_at", "before the MQL date"),
    "sql before created": ({"mql_at": "", "sal_at": "", "sql_at": "2024-01-01 08:00"},
                           "sql_at", "before the created date"),
    "touch before created": ({"first_touch_at": "2024-01-01 10:00"}, "first_touch_at",
                             "before the lead was created"),
    "won before opportunity": ({"closed_at": "2024-01-07 10:00"}, "closed_at",
                               "before the opportunity date"),
    "unparseable date": ({"mql_at": "next Tuesday"}, "mql_at", "is not a date"),
    "impossible date": ({"sql_at": "2024-02-30"}, "sql_at", "is not a date"),
    "no created date": ({"created_at": ""}, "created_at", "no created date"),
    "no lead id": ({"lead_id": ""}, "lead_id", "no lead id"),
    "amount text": ({"amount": "a lot"}, "amount", "not an amount"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_names_row_and_column(tmp_path: Path, case: str) -> None:
    change, column, needle = BAD_ROWS[case]
    path = write(tmp_path / "leads.csv", [GOOD, {**GOOD, "lead_id": "A2", **change}])
    with pytest.raises(IntakeError) as err:
        parse_funnel(path)
    assert (err.value.row, err.value.column) == (3, column)  # the header is row 1
    assert needle in err.value.message
    assert str(err.value).startswith(f"leads.csv, row 3, column '{column}': ")
    assert "\n" not in str(err.value)


def test_same_day_date_without_time_is_not_out_of_order(tmp_path: Path) -> None:
    row = {**GOOD, "opportunity_at": "2024-01-05", "sql_at": "2024-01-05 16:00"}
    assert len(parse_funnel(write(tmp_path / "ok.csv", [row])).leads) == 1


def test_first_problem_reported_with_a_count_of_the_others(tmp_path: Path) -> None:
    rows = [{**GOOD, "lead_id": f"A{i}", "mql_at": "garbage" if i in (3, 5, 6) else GOOD["mql_at"]}
            for i in range(1, 8)]
    with pytest.raises(IntakeError) as err:
        parse_funnel(write(tmp_path / "leads.csv", rows))
    assert err.value.row == 4
    assert "(2 more rows have problems)" in str(err.value)


def test_duplicate_lead_names_both_rows(tmp_path: Path) -> None:
    with pytest.raises(IntakeError) as err:
        parse_funnel(write(tmp_path / "leads.csv", [GOOD, GOOD]))
    assert (err.value.row, err.value.column) == (3, "lead_id")
    assert "first in row 2" in str(err.value)


@pytest.mark.parametrize(("header", "needle"), [
    (["lead_id", "created_at", "mql_at"], "no lead source column"),
    (["lead_id", "source", "mql_at"], "no created date column"),
    (["name", "email"], "neither a lead-level export"),
])
def test_missing_columns(tmp_path: Path, header: list[str], needle: str) -> None:
    path = write(tmp_path / "x.csv", [dict.fromkeys(header, "1")], header)
    with pytest.raises(IntakeError, match=needle):
        parse_funnel(path)


@pytest.mark.parametrize(("cell", "needle"), [("-3", "not a count"), ("12.5", "not a count"),
                                              ("many", "not a count")])
def test_bad_counts(tmp_path: Path, cell: str, needle: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"Month,Leads,MQLs\n2024-01,10,4\n2024-02,{cell},3\n", encoding="utf-8")
    with pytest.raises(IntakeError) as err:
        parse_funnel(path)
    assert (err.value.row, err.value.column) == (3, "Leads")
    assert needle in str(err.value)


def test_repeated_period_stage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("period,stage,count\n2024-01,MQL,4\n2024-01,mqls,5\n", encoding="utf-8")
    with pytest.raises(IntakeError, match="first given in row 2") as err:
        parse_funnel(path)
    assert err.value.row == 3


def test_unknown_sources_are_counted_as_other_and_reported(tmp_path: Path) -> None:
    rows = [{**GOOD, "lead_id": "A1", "source": "Trade fair"},
            {**GOOD, "lead_id": "A2", "source": "Trade fair"},
            {**GOOD, "lead_id": "A3", "source": ""}]
    parsed = parse_funnel(write(tmp_path / "leads.csv", rows))
    assert list(parsed.leads["source"]) == ["other"] * 3
    assert "'Trade fair' (2)" in parsed.notes[0] and "'(empty)' (1)" in parsed.notes[0]


def test_blank_rows_are_skipped_and_listed(tmp_path: Path) -> None:
    path = write(tmp_path / "leads.csv", [GOOD, {}, {**GOOD, "lead_id": "A2"}])
    parsed = parse_funnel(path)
    assert len(parsed.leads) == 2
    assert parsed.skipped == [{"row": 3, "reason": "empty row"}]
    assert list(parsed.leads["row"]) == [2, 4]


# -- fuzz: any file ends in a correct parse or one IntakeError, never a traceback -------
CELLS = st.one_of(
    st.sampled_from(["", "2024-01-05", "2024-01-05 10:00", "1/5/2024, 9:00 AM", "13/01/2024",
                     "Organic Search", "Outbound", "won", "Closed Lost", "12,500.00", "=1+1",
                     "+cmd", "-2", "@SUM(A1)", "0000-00-00", "9999-12-31", "\u00e9t\u00e9"]),
    st.text(max_size=30),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(HEADER + ["Create Date", "Lead Source", "junk", ""]),
                       min_size=1, max_size=8),
       rows=st.lists(st.lists(CELLS, min_size=0, max_size=9), max_size=6))
def test_fuzzed_files_parse_or_fail_cleanly(tmp_path: Path, header: list[str],
                                            rows: list[list[str]]) -> None:
    path = tmp_path / "fuzz.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    try:
        parsed = parse_funnel(path, period="2024-Q1")
    except IntakeError as err:
        assert "\n" not in str(err) and str(err).startswith("fuzz.csv")
    else:
        assert parsed.kind in {"leads", "counts"}
        assert not (parsed.leads.empty and parsed.counts.empty)


def test_a_cell_with_line_breaks_is_quoted_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "leads.csv", [{**GOOD, "mql_at": "soon\nish, " + "x" * 60}])
    with pytest.raises(IntakeError) as err:
        parse_funnel(path)
    assert "\n" not in str(err.value) and "'soon ish, xxxx" in str(err.value)
