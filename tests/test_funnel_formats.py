"""The vocabulary of CRM exports: dates, amounts, sources and stage words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from alignkit.catalog.funnel_formats import (
    LEAD_COLUMNS,
    LEAD_SOURCE_TEAMS,
    date_order,
    normalise_header,
    outcome_of,
    parse_amount,
    parse_when,
    source_team,
)
from alignkit.exceptions import IntakeError


@pytest.mark.parametrize(("text", "order", "expected"), [
    ("2024-03-14", "mdy", (datetime(2024, 3, 14), False)),
    ("2024-03-14 09:42", "mdy", (datetime(2024, 3, 14, 9, 42), True)),
    ("2024-03-14T09:42:10", "mdy", (datetime(2024, 3, 14, 9, 42, 10), True)),
    ("2024-03-14T09:42:10.123Z", "mdy", (datetime(2024, 3, 14, 9, 42, 10), True)),
    ("2024-03-14T09:42:00+02:00", "mdy", (datetime(2024, 3, 14, 7, 42), True)),
    ("2024-03-14T00:00:00", "mdy", (datetime(2024, 3, 14), False)),  # a spreadsheet date cell
    ("3/14/2024", "mdy", (datetime(2024, 3, 14), False)),
    ("3/14/2024, 9:42 AM", "mdy", (datetime(2024, 3, 14, 9, 42), True)),
    ("3/14/2024 12:05 PM", "mdy", (datetime(2024, 3, 14, 12, 5), True)),
    ("3/14/2024 12:05 AM", "mdy", (datetime(2024, 3, 14, 0, 5), True)),
    ("3/14/2024, 9:42 pm", "mdy", (datetime(2024, 3, 14, 21, 42), True)),
    ("14/03/2024 21:42", "dmy", (datetime(2024, 3, 14, 21, 42), True)),
    ("04/03/2024", "dmy", (datetime(2024, 3, 4), False)),
    ("04/03/2024", "mdy", (datetime(2024, 4, 3), False)),
    ("14.03.24", "dmy", (datetime(2024, 3, 14), False)),
])
def test_parse_when(text: str, order: str, expected: tuple[datetime, bool]) -> None:
    assert parse_when(text, order) == expected


@pytest.mark.parametrize("text", ["", "soon", "2024-13-01", "2/30/2024", "14/03/2024 25:00",
                                  "2024/03/14", "=1+1", "44995"])
def test_parse_when_refuses_what_is_not_a_date(text: str) -> None:
    assert parse_when(text, "mdy") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("12500", 12500.0), ("12,500.00", 12500.0), ("$12,500.00", 12500.0),
    ("USD 24,300.00", 24300.0), ("EUR 12.500,00", 12500.0), ("1.234.567", 1234567.0),
    ("12,5", 12.5), ("-300", -300.0), ("", None),
])
def test_parse_amount(text: str, expected: float | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["n/a", "twelve", "1-2"])
def test_parse_amount_refuses_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(("value", "team"), [
    ("Organic Search", "marketing"), ("Paid Social", "marketing"),
    ("Email Marketing", "marketing"), ("Web", "marketing"), ("Trade Show", "marketing"),
    ("Offline Sources", "sales"), ("Sales prospecting", "sales"), ("Outbound", "sales"),
    ("Cold Call", "sales"), ("Partner Referral", "other"), ("  paid   search ", "marketing"),
    ("Seminar - Internal", "marketing"), ("Trade fair", None), ("", None),
])
def test_source_team(value: str, team: str | None) -> None:
    assert source_team(value) == team


def test_the_source_table_only_names_the_three_teams() -> None:
    assert set(LEAD_SOURCE_TEAMS.values()) == {"marketing", "sales", "other"}
    assert all(key == normalise_header(key) for key in LEAD_SOURCE_TEAMS)


def test_column_aliases_are_normalised_and_unique() -> None:
    aliases = [a for names in LEAD_COLUMNS.values() for a in names]
    assert all(a == normalise_header(a) for a in aliases)
    assert len(aliases) == len(set(aliases))


@pytest.mark.parametrize(("text", "expected"), [
    ("Closed Won", "won"), ("Closed - Lost", "lost"), ("won", "won"),
    ("Negotiation/Review", None), ("", None), ("Wonderful", None),
])
def test_outcome_of(text: str, expected: str | None) -> None:
    assert outcome_of(text) == expected


@pytest.mark.parametrize(("cells", "expected"), [
    (["3/14/2024", "4/1/2024"], ("mdy", True)),
    (["14/03/2024", "01/04/2024"], ("dmy", True)),
    (["14.03.2024"], ("dmy", True)),
    (["03/04/2024"], ("mdy", False)),
    (["2024-03-14"], ("mdy", True)),
])
def test_date_order(cells: list[str], expected: tuple[str, bool]) -> None:
    assert date_order([(i + 1, "Created Date", c) for i, c in enumerate(cells)],
                      Path("x.csv")) == expected


def test_mixed_date_orders_name_the_later_conflicting_cell() -> None:
    cells = [(1, "Created Date", "14/03/2024"), (2, "MQL Date", "3/15/2024")]
    with pytest.raises(IntakeError) as err:
        date_order(cells, Path("leads.csv"))
    assert (err.value.row, err.value.column) == (2, "MQL Date")
    assert str(err.value).startswith("leads.csv, row 2, column 'MQL Date': mixes")


@pytest.mark.parametrize("text", ["0001-01-01", "1/1/0001", "2999-01-01", "12/31/1899"])
def test_implausible_years_are_not_dates(text: str) -> None:
    assert parse_when(text, "mdy") is None
