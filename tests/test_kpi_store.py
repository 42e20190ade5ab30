"""KPI observations in the workspace: record, load, and import a file in one transaction."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import snapshot

from alignkit.exceptions import IntakeError, StoreError
from alignkit.intake.kpis import import_kpis
from alignkit.store.kpis import load_kpis, record_kpi
from alignkit.store.workspace import Workspace

TRACKING = Path(__file__).parent / "data" / "tracking"
SLA, MEETINGS, LEAKAGE = "first_touch_within_sla", "joint_meetings_held", "untouched_mql_share"


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
    "missing column": ("kpi,observed_on\nsla,2026-06-01\n", 1, None, "value"),
    "unknown kpi": (HEADER + "sla,2026-06-01,0.5,\nnps,2026-06-01,3,\n", 3, "kpi",
                    "not a KPI"),
    "empty kpi": (HEADER + ",2026-06-01,0.5,\n", 2, "kpi", "empty"),
    "bad date": (HEADER + "sla,June 2026,0.5,\n", 2, "observed_on", "YYYY-MM-DD"),
    "twice in the file": (HEADER + "sla,2026-06-01,0.5,\nSLA compliance,2026-06-01,0.6,\n", 3,
                          "observed_on", "already given in row 2"),
    "share as a whole number": (HEADER + "sla,2026-06-01,55,\n", 2, "value",
                                "fraction between 0 and 1"),
    "text value": (HEADER + "meetings,2026-06-01,four,\n", 2, "value", "not a number"),
    "bad target": (HEADER + "sla,2026-06-01,0.5,150%\n", 2, "target", "fraction"),
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
    with pytest.raises(IntakeError, match="row 3.*different figure") as err:
        import_kpis(path, company="acme", workspace=workspace)
    assert err.value.column == "value"
    assert snapshot(workspace) == before  # row 2 was rolled back, the raw copy removed
    done = import_kpis(path, company="acme", workspace=workspace, replace=True)
    assert (done.added, done.replaced) == (1, 1)
    assert load_kpis(workspace, "acme")["value"].tolist() == [0.5, 0.6]
