"""KPI definitions: the names people type, the catalogue order, values shown in their unit."""

from __future__ import annotations

import numpy as np
import pytest

from alignkit.catalog.kpis import (
    HEADLINE_KPIS,
    check_kpi_value,
    format_kpi_value,
    kpi_catalogue,
    kpi_definition,
    kpi_id,
)
from alignkit.catalog.playbook import load_playbook

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


def test_an_id_the_playbook_lost_gets_a_neutral_definition() -> None:
    lost = kpi_definition("partner_referrals")
    assert (lost.label, lost.unit, lost.higher_is_better) == ("Partner referrals", "count", True)
    assert format_kpi_value("partner_referrals", 12.0) == "12"


@pytest.mark.parametrize(("kpi", "value", "message"), [
    (SLA, 1.2, "fraction between 0 and 1"), (SLA, -0.1, "fraction between 0 and 1"),
    (MEETINGS, -2, "cannot be negative"), (MEETINGS, np.inf, "must be a number"),
])
def test_a_value_that_does_not_fit_the_unit_is_refused(kpi: str, value: float,
                                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_kpi_value(kpi, value, "value")


@pytest.mark.parametrize(("kpi", "value"), [(SLA, 0.0), (SLA, 1.0), (MEETINGS, 12)])
def test_a_value_that_fits_comes_back_as_a_float(kpi: str, value: float) -> None:
    checked = check_kpi_value(kpi, value, "target")
    assert checked == value and isinstance(checked, float)
