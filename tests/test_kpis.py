"""KPI observations: names, storage, file import, and the comparison with the target."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignkit.exceptions import IntakeError, StoreError
from alignkit.kpis import (
    HEADLINE_KPIS,
    format_kpi_value,
    import_kpis,
    kpi_catalogue,
    kpi_findings,
    kpi_id,
    kpi_summary,
    kpi_table,
    load_kpis,
    record_kpi,
)
from alignkit.playbook import load_playbook
from alignkit.store import Workspace

TRACKING = Path(__file__).parent / "data" / "tracking"
SLA, MEETINGS, LEAKAGE = "first_touch_within_sla", "joint_meetings_held", "untouched_mql_share"


@pytest.mark.parametrize(("name", "expected"), [
    ("first_touch_within_sla", SLA), ("SLA compliance", SLA), ("sla", SLA),
    ("MQLs first contacted within the agreed time", SLA),  # the playbook's own name
    ("Hand-off leakage", LEAKAGE), ("meetings held", MEETINGS),
    ("MQL → SQL conversion", "mql_to_sql_rate"), ("MQL->SQL", "mql_to_sql_rate"),
    ("  Win rate ", "sql_win_rate"),
])
def test_kpi_names_resolve_to_playbook_ids(name: str, expected: str) -> None:
    assert kpi_id(name) == expected


def test_an_unknown_kpi_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match="did you mean sla_compliance"):
        kpi_id("sla_complience")
    with pytest.raises(ValueError, match="alignkit kpi catalogue"):
        kpi_id("net promoter score")


def test_catalogue_is_the_playbook_headline_first() -> None:
    catalogue = kpi_catalogue()
    assert list(catalogue)[:4] == list(HEADLINE_KPIS)
    assert set(catalogue) == {k.id for k in load_playbook().kpis}
    assert catalogue[LEAKAGE].unit == "share" and not catalogue[LEAKAGE].higher_is_better
    assert catalogue[MEETINGS].unit == "count" and catalogue[MEETINGS].higher_is_better


@pytest.mark.parametrize(("kpi", "value", "text"), [
    (SLA, 0.825, "82%"), (MEETINGS, 4.0, "4"), (MEETINGS, 3.5, "3.5"), (SLA, np.nan, "\u2013"),
])
def test_values_are_formatted_by_unit(kpi: str, value: float, text: str) -> None:
    assert format_kpi_value(kpi, value) == text


def test_record_is_idempotent_and_refuses_silent_overwrites(workspace: Workspace) -> None:
    day = date(2026, 6, 1)
    assert record_kpi(workspace, "acme", "SLA compliance", day, 0.5, 0.9) == "added"
    assert record_kpi(workspace, "acme", SLA, day, 0.5, 0.9) == "unchanged"
    with pytest.raises(StoreError, match="different figure.*--replace"):
        record_kpi(workspace, "acme", SLA, day, 0.55, 0.9)
    assert record_kpi(workspace, "acme", SLA, day, 0.55, 0.9, replace=True) == "replaced"
    assert load_kpis(workspace, "acme")["value"].tolist() == [0.55]


@pytest.mark.parametrize(("kpi", "value", "target", "message"), [
    (SLA, 82, None, "fraction between 0 and 1"), (SLA, 0.8, 1.2, "fraction between 0 and 1"),
    (MEETINGS, -1, None, "cannot be negative"), (SLA, float("nan"), None, "must be a number"),
    ("nps", 10, None, "not a KPI of the playbook"),
])
def test_record_refuses_values_out_of_range(workspace: Workspace, kpi, value, target,
                                            message) -> None:
    with pytest.raises(StoreError, match=message):
        record_kpi(workspace, "acme", kpi, date(2026, 6, 1), value, target)
    assert load_kpis(workspace, "acme").empty


def test_load_until_leaves_out_later_days(workspace: Workspace) -> None:
    for month in (6, 7, 8):
        record_kpi(workspace, "acme", MEETINGS, date(2026, month, 1), month - 5, 4)
    frame = load_kpis(workspace, "acme", until=date(2026, 7, 1))
    assert frame["observed_on"].tolist() == [pd.Timestamp("2026-06-01"),
                                             pd.Timestamp("2026-07-01")]
    assert frame["value"].tolist() == [1.0, 2.0]


def test_observations_of_another_company_stay_apart(workspace: Workspace) -> None:
    workspace.add_company("beta", "Beta Ltd")
    record_kpi(workspace, "beta", MEETINGS, date(2026, 6, 1), 2, 4)
    assert load_kpis(workspace, "acme").empty and len(load_kpis(workspace, "beta")) == 1


def snapshot(ws: Workspace) -> tuple[str, list[str]]:
    con = sqlite3.connect(ws.db_path)
    try:
        dump = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()
    return dump, sorted(p.name for p in ws.raw_dir.glob("*")) if ws.raw_dir.exists() else []


def test_import_of_the_fixture_file(workspace: Workspace) -> None:
    result = import_kpis(TRACKING / "kpis.csv", company="acme", workspace=workspace)
    assert (result.rows, result.added, result.replaced, result.unchanged) == (5, 5, 0, 0)
    frame = load_kpis(workspace, "acme")
    sla = frame[frame["kpi"] == SLA]
    assert sla["value"].tolist() == [0.5, 0.6, 0.72] and sla["target"].tolist() == [0.9] * 3
    meetings = frame[frame["kpi"] == MEETINGS]
    assert meetings["value"].tolist() == [1.0, 3.0]
    assert meetings["target"].iloc[0] == 4 and np.isnan(meetings["target"].iloc[1])
    before = snapshot(workspace)
    again = import_kpis(TRACKING / "kpis.csv", company="acme", workspace=workspace)
    assert again.unchanged == 5 and snapshot(workspace) == before


HEADER = "kpi,observed_on,value,target\n"
BAD_FILES = {
    "missing column": ("kpi,observed_on\nsla,2026-06-01\n", 0, None, "value"),
    "unknown kpi": (HEADER + "sla,2026-06-01,0.5,\nnps,2026-06-01,3,\n", 2, "kpi",
                    "not a KPI"),
    "empty kpi": (HEADER + ",2026-06-01,0.5,\n", 1, "kpi", "empty"),
    "bad date": (HEADER + "sla,June 2026,0.5,\n", 1, "observed_on", "YYYY-MM-DD"),
    "twice in the file": (HEADER + "sla,2026-06-01,0.5,\nSLA compliance,2026-06-01,0.6,\n", 2,
                          "observed_on", "already given in row 1"),
    "share as a whole number": (HEADER + "sla,2026-06-01,55,\n", 1, "value",
                                "fraction between 0 and 1"),
    "text value": (HEADER + "meetings,2026-06-01,four,\n", 1, "value", "not a number"),
    "bad target": (HEADER + "sla,2026-06-01,0.5,150%\n", 1, "target", "fraction"),
    "header only": (HEADER, None, None, "no observations"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_names_row_and_column_and_stores_nothing(workspace: Workspace,
                                                           tmp_path: Path, case: str) -> None:
    text, row, column, needle = BAD_FILES[case]
    path = tmp_path / "kpis.csv"
    path.write_text(text, encoding="utf-8")
    record_kpi(workspace, "acme", MEETINGS, date(2026, 1, 1), 1, 4)
    before = snapshot(workspace)
    with pytest.raises(IntakeError) as err:
        import_kpis(path, company="acme", workspace=workspace)
    assert (err.value.row, err.value.column) == (row, column)
    assert needle in str(err.value) and "kpis.csv" in str(err.value)
    assert snapshot(workspace) == before


def test_a_conflicting_row_stops_the_whole_import(workspace: Workspace, tmp_path: Path) -> None:
    record_kpi(workspace, "acme", SLA, date(2026, 7, 1), 0.7, 0.9)
    path = tmp_path / "k.csv"
    path.write_text(HEADER + "sla,2026-06-01,0.5,0.9\nsla,2026-07-01,0.6,0.9\n", encoding="utf-8")
    before = snapshot(workspace)
    with pytest.raises(IntakeError, match="row 2.*different figure") as err:
        import_kpis(path, company="acme", workspace=workspace)
    assert err.value.column == "value"
    assert snapshot(workspace) == before  # row 1 was rolled back, the raw copy removed
    done = import_kpis(path, company="acme", workspace=workspace, replace=True)
    assert (done.added, done.replaced) == (1, 1)
    assert load_kpis(workspace, "acme")["value"].tolist() == [0.5, 0.6]


def observations(kpi: str, values: list[float], target: float | None) -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"kpi": kpi, "observed_on": days, "value": values,
                         "target": np.nan if target is None else target})


# status of a KPI from its monthly figures and target (worked out by hand)
SUMMARY_CASES = {
    "met, higher is better": (SLA, [0.5, 0.7, 0.92], 0.9, "met"),
    "met, lower is better": (LEAKAGE, [0.3, 0.2, 0.05], 0.05, "met"),
    "improving": (SLA, [0.5, 0.55, 0.6], 0.9, "improving"),  # trend covers 25% of 0.4
    "improving, lower is better": (LEAKAGE, [0.3, 0.25, 0.2], 0.05, "improving"),
    "stalled": (SLA, [0.5, 0.52, 0.5, 0.53], 0.9, "stalled"),
    "worsening": (MEETINGS, [3, 2, 1], 4, "worsening"),
    "a small rise far from target": (MEETINGS, [2, 2, 2, 2, 3], 10, "stalled"),  # 0.8 of 8.2
    "one observation": (SLA, [0.5], 0.9, "single"),
    "no target": (MEETINGS, [1, 2], None, "no_target"),
}


@pytest.mark.parametrize("case", sorted(SUMMARY_CASES))
def test_kpi_status(case: str) -> None:
    kpi, values, target, status = SUMMARY_CASES[case]
    row = kpi_summary(observations(kpi, values, target)).iloc[0]
    assert row["status"] == status
    assert (row["first"], row["latest"]) == (values[0], values[-1])


def test_summary_orders_headline_kpis_first_and_uses_the_latest_target() -> None:
    frame = pd.concat([observations("sql_win_rate", [0.2, 0.3], 0.25),
                       observations(MEETINGS, [1, 2], 4)])
    frame.loc[frame.index[-1], "target"] = 5
    summary = kpi_summary(frame)
    assert summary["kpi"].tolist() == [MEETINGS, "sql_win_rate"]
    assert summary.loc[0, "target"] == 5


def test_words_and_table() -> None:
    summary = kpi_summary(pd.concat([observations(SLA, [0.5, 0.7, 0.92], 0.9),
                                     observations(MEETINGS, [3, 2, 1], 4)]))
    text = kpi_findings(summary)
    assert "reached its target: 92% against 90%" in text
    assert "moved away from its target of 4 (3 → 1)" in text
    table = kpi_table(summary).data
    assert table.columns.tolist() == ["KPI", "First", "Latest", "Target", "Status"]
    assert table.iloc[0].tolist()[1:] == ["50% (Jan 2026)", "92% (Mar 2026)", "90%", "target met"]
    assert kpi_findings(summary.iloc[0:0]) == "No KPI figures have been recorded yet."
    assert kpi_findings(summary.iloc[0:0], say_if_empty=False) == ""
