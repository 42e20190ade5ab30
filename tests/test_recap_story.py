"""The words and tables of the Recap report, from a comparison built by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from alignkit.charts.recap_text import (
    change_table,
    comparison_note,
    gap_table,
    next_cycle,
    process_findings,
    recap_findings,
    recap_heading,
    recommendations_markdown,
)
from alignkit.store.workspace import Company
from alignkit.track.recap import CHANGE_COLUMNS, GAP_CHANGE_COLUMNS, WaveComparison

MINUS = "\u2212"
# dimension, name, before, after, low, high, p (Holm), clear
CHANGES = [
    ("sla", "Two-way service level agreement", 2.4, 3.2, 0.5, 1.1, 0.0004, True),
    ("goals", "Shared goals and revenue targets", 3.5, 2.9, -0.9, -0.3, 0.01, True),
    ("content", "Content collaboration", 2.0, 2.1, -0.2, 0.4, 0.6, False),
    ("meetings", "Joint meetings", 2.5, 2.5, -0.3, 0.3, 1.0, False),
]
# dimension, name, (sales, marketing, low, high) before, the same after, status
GAPS = [
    ("leads", "Lead definitions", (3.6, 2.6, 0.7, 1.3), (3.5, 2.9, 0.3, 0.9), "narrowed"),
    ("crm", "CRM hygiene", (3.0, 2.6, 0.1, 0.7), (3.6, 2.8, 0.5, 1.1), "widened"),
    ("sla", "Two-way service level agreement", (3.0, 1.8, 0.9, 1.5), (3.2, 3.1, -0.2, 0.4),
     "closed"),
    ("goals", "Shared goals and revenue targets", (3.2, 3.1, -0.2, 0.4), (3.0, 3.0, -0.3, 0.3),
     "none"),
]


def changes() -> pd.DataFrame:
    rows = [("overall", d, name, 40, 38, b, a, a - b, lo, hi, 0.6, p, p, clear)
            for d, name, b, a, lo, hi, p, clear in CHANGES]
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _wave(sales: float, marketing: float, low: float, high: float) -> tuple:
    """One wave's gap columns; clear (p_holm left out) when the interval excludes zero."""
    return sales, marketing, sales - marketing, low, high, np.nan, low > 0 or high < 0


def gaps() -> pd.DataFrame:
    rows = [(d, name, *_wave(*before), *_wave(*after), status)
            for d, name, before, after, status in GAPS]
    return pd.DataFrame(rows, columns=GAP_CHANGE_COLUMNS)


def process(agree_after: float = 0.4) -> pd.DataFrame:
    return pd.DataFrame({
        "item": ["process_1", "process_3"], "group": "overall", "n_before": 40, "n_after": 38,
        "text": ["Both teams follow the agreed lead process.",
                 "We review the joint plan together."],
        "mean_before": [2.5, 3.4], "mean_after": [2.8, 3.6],
        "fav_before": [0.3, 0.6], "fav_after": [agree_after, 0.7]})


@pytest.fixture
def rc() -> WaveComparison:
    index = pd.DataFrame({"group": ["overall"], "before": [48.0], "after": [55.0],
                          "level_before": ["Developing"], "level_after": ["Defined"],
                          "low": [2.5], "high": [11.0], "p_value": [0.004]})
    return WaveComparison(
        company=Company("acme", "Acme Corp", None), baseline="baseline", followup="followup",
        has_followup=True, changes=changes(), gaps=gaps(), process=process(), index=index,
        not_compared=frozenset(), respondents=(40, 38), threshold=5, confidence=0.95,
        alpha=0.05)


def test_heading_names_both_waves_and_their_sizes(rc: WaveComparison) -> None:
    heading = recap_heading(rc)
    assert heading.startswith("# Recap: what moved at Acme Corp?")
    assert "(*followup*, 38 people)" in heading and "(*baseline*, 40 people)" in heading


def test_findings_by_hand(rc: WaveComparison) -> None:
    text = recap_findings(rc)
    assert "**Alignment index 48 → 55** of 100, a clear change (95% interval of the change " \
           "+2.5 to +11.0 points; maturity Developing → Defined)." in text
    assert "**Clearly better:** Two-way service level agreement (+0.8)." in text
    assert f"**Clearly worse:** Shared goals and revenue targets ({MINUS}0.6)." in text
    assert ("closed: Two-way service level agreement; narrowed: Lead definitions; "
            "widened: CRM hygiene.") in text


def test_change_table_formats_signs_intervals_and_p_values(rc: WaveComparison) -> None:
    table = change_table(rc).data
    assert table.columns.tolist() == ["Dimension", "Baseline", "Follow-up", "Change",
                                      "95% interval", "p (Holm)", "Clear change"]
    assert table.iloc[0].tolist()[1:] == ["2.40", "3.20", "+0.8", "+0.5 to +1.1", "<0.001",
                                          "yes"]
    assert table.iloc[1][["Change", "95% interval", "p (Holm)"]].tolist() == \
        [f"{MINUS}0.6", f"{MINUS}0.9 to {MINUS}0.3", "0.010"]
    assert table.iloc[3][["Change", "Clear change"]].tolist() == ["0.0", ""]
    assert change_table(rc, "sales").data.empty


def test_gap_table_largest_baseline_gap_first_without_gaps_that_never_were(
        rc: WaveComparison) -> None:
    table = gap_table(rc).data
    assert table["Dimension"].tolist() == ["Two-way service level agreement",
                                           "Lead definitions", "CRM hygiene"]
    assert table["What happened"].tolist() == ["Closed", "Narrowed, still open", "Widened"]
    assert table.iloc[0][["Gap at baseline", "Gap now"]].tolist() == ["+1.2", "+0.1"]


@pytest.mark.parametrize(("hidden", "followup", "text"), [
    (frozenset(), False, "_Nothing has been compared yet._"),
    (frozenset(), True, "Every team had enough respondents in both surveys"),
    (frozenset({"other", "leadership"}), True,
     "Leadership and Other are not compared: in at least one of the surveys, too few of "
     "them answered to be shown (fewer than 5)"),
    (frozenset({"leadership"}), True, "Leadership is not compared"),
])
def test_comparison_note(rc: WaveComparison, hidden: frozenset[str], followup: bool,
                         text: str) -> None:
    assert text in comparison_note(replace(rc, not_compared=hidden, has_followup=followup))


def test_process_findings_show_now_and_the_baseline(rc: WaveComparison) -> None:
    assert process_findings(rc).splitlines() == [
        "- *Both teams follow the agreed lead process.* \u2014 **40% agree** (baseline 30%).",
        "- *We review the joint plan together.* \u2014 **70% agree** (baseline 60%).",
    ]
    hidden = replace(rc, process=rc.process.iloc[0:0])
    assert "Too few people answered" in process_findings(hidden)


def test_next_cycle_rules_in_order(rc: WaveComparison) -> None:
    kpis = pd.DataFrame({"label": ["SLA compliance", "Joint meetings"],
                         "status": ["stalled", "met"]})
    actions = pd.DataFrame({"status": ["done", "in_progress", "planned"]})
    advice = next_cycle(rc, kpis, actions, limit=10)
    starts = [a.split(":")[0] for a in advice]
    assert starts == [
        "**Shared goals and revenue targets fell** (3.5 → 2.9)",  # a clear decline first
        "**Sales and marketing still see CRM hygiene differently** (sales 3.6, marketing 2.8)",
        "**Sales and marketing still see lead definitions differently** (sales 3.5, "
        "marketing 2.9)",
        "**Still among the weakest and not moving",
        "Only 40% agree that *both teams follow the agreed lead process*",
        "**Not moving towards target",
        "**2 of 3 actions are not finished**",
        "**Keep what worked** on Two-way service level agreement",
    ]
    assert "Content collaboration, Joint meetings" in advice[3]
    assert advice[6].endswith("the next plan or is dropped on purpose.")
    assert next_cycle(rc, kpis, actions, limit=3) == advice[:3]


def test_next_cycle_leaves_out_what_is_fine(rc: WaveComparison) -> None:
    calm = replace(rc, process=process(agree_after=0.5), gaps=gaps().iloc[2:])
    advice = next_cycle(calm, pd.DataFrame({"label": ["x"], "status": ["improving"]}),
                        pd.DataFrame({"status": ["done", "dropped"]}))
    assert not any(a.startswith(("Only", "**Sales and marketing", "**Not moving", "**2 of"))
                   for a in advice)
    assert len(advice) == 3


def test_without_a_followup_the_first_advice_is_to_run_it(rc: WaveComparison) -> None:
    before = replace(rc, has_followup=False, changes=rc.changes.iloc[0:0],
                     process=process().assign(fav_after=np.nan))
    advice = next_cycle(before)
    assert advice[0].startswith("Run the follow-up survey")
    assert advice[1].startswith("Only 30% agree")  # read from the baseline


@pytest.mark.parametrize(("items", "text"), [
    ([], "Nothing stands out: keep the current routines and survey again in six months."),
    (["First.", "Second."], "1. First.\n2. Second."),
])
def test_recommendations_are_numbered(items: list[str], text: str) -> None:
    assert recommendations_markdown(items) == text


def test_an_interval_beyond_zero_next_to_no_clear_change_says_why(rc: WaveComparison) -> None:
    from alignkit.analysis.uncertainty import HOLM_MARK, holm_note
    from alignkit.charts.recap import change_chart

    held = rc.changes.copy()
    held.loc[2, ["low", "high", "p_value", "p_adjusted"]] = [0.2, 0.8, 0.01, 0.04 * 2]
    held_rc = replace(rc, changes=held)
    table = change_table(held_rc).data.set_index("Dimension")
    assert table.loc["Content collaboration", "Clear change"] == \
        "no: not clear after Holm adjustment"
    assert table.loc["Joint meetings", "Clear change"] == ""  # its interval spans zero
    assert "For Content collaboration the 95% interval of the change excludes zero, but the " \
        "change is not clear after Holm adjustment for the 4 dimensions compared." \
        in recap_findings(held_rc)
    assert "For Content" not in recap_findings(rc)
    fig = change_chart(held)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert f"+0.1 {HOLM_MARK}" in texts and holm_note(4) in texts
    assert holm_note(4) not in [t.get_text() for t in change_chart(rc.changes).texts]
