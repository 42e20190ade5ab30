"""Words for the Identify report's funnel sections, from tests/data/crm/leads_small.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignkit.analysis.funnel import analyse_funnel
from alignkit.charts import identify_text as narrative
from alignkit.intake.crm import import_funnel
from alignkit.store.funnel import load_funnel_counts, load_leads
from alignkit.store.workspace import Workspace

CRM = Path(__file__).parent / "data" / "crm"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("narrative") / "ws")
    for slug in ("leads", "counts", "none"):
        ws.add_company(slug)
    import_funnel(CRM / "leads_small.csv", company="leads", workspace=ws)
    import_funnel(CRM / "counts_wide.csv", company="counts", workspace=ws)
    return ws


def analysed(ws: Workspace, slug: str, sla: float = 24):
    return analyse_funnel(load_leads(ws, slug), load_funnel_counts(ws, slug), sla_hours=sla)


def test_no_funnel_is_one_sentence(ws: Workspace) -> None:
    text = narrative.funnel_overview(analysed(ws, "none"), "Acme Corp")
    assert text == ("No CRM funnel export has been imported for Acme Corp yet, so this report "
                    "reads the survey only.")
    for section in (narrative.speed_to_lead_markdown, narrative.sourced_pipeline_markdown):
        assert section(analysed(ws, "none")) == ""
    assert narrative.speed_to_lead_table(analysed(ws, "none")) is None


def test_counts_only_says_what_cannot_be_computed(ws: Workspace) -> None:
    funnel = analysed(ws, "counts")
    text = narrative.funnel_overview(funnel, "Acme Corp")
    assert "stage counts for 2024-01 to 2024-03 (1,800 leads)" in text
    assert "speed to lead" in text and "cannot be computed" in text
    assert "**31%** of leads became marketing qualified." in text  # 560 / 1,800
    assert narrative.speed_to_lead_markdown(funnel) == ""
    assert narrative.sourced_pipeline_markdown(funnel) == ""


def test_lead_level_overview(ws: Workspace) -> None:
    text = narrative.funnel_overview(analysed(ws, "leads"), "Acme Corp")
    assert text.startswith("**12 leads** were created between January 2024 and January 2024; "
                           "**3** of them have been won so far.")
    assert "- **75%** of leads became marketing qualified." in text
    assert "- **67%** of MQLs were accepted by sales." in text
    assert "- **60%** of opportunities were won." in text
    # Leakage counts marketing-sourced MQLs only (6 of the 7 MQLs; alignkit.analysis.metrics' basis).
    assert ("Of the **6 MQLs** marketing handed over, **50%** were never accepted by sales and "
            "**33%** were never contacted at all.") in text


def test_speed_to_lead_text_and_table(ws: Workspace) -> None:
    funnel = analysed(ws, "leads", sla=8)
    text = narrative.speed_to_lead_markdown(funnel)
    assert text.startswith("### Speed to lead")
    assert "**8 hours**" in text
    # marketing: 0.33 h, 8 h, 0.5 h, 48 h, two never touched
    assert ("- Marketing-sourced leads: **33%** contacted within an hour, **50%** within the SLA;"
            " median first touch after 4 hours, 2 never contacted.") in text
    assert "- Sales-sourced leads: **67%** contacted within an hour, **67%** within the SLA" in text
    table = narrative.speed_to_lead_table(funnel)
    assert list(table.index) == ["All leads handed to sales", "Marketing-sourced",
                                 "Sales-sourced", "Other sources", "MQLs owned by Inside Sales",
                                 "MQLs owned by Field Sales"]
    assert table.loc["All leads handed to sales"].tolist() == ["10", "50%", "60%", "45 minutes",
                                                               "2"]
    assert "Within SLA (8 h)" in table.columns


def test_sourced_pipeline_text(ws: Workspace) -> None:
    funnel = analysed(ws, "leads")
    text = narrative.sourced_pipeline_markdown(funnel)
    assert ("- Marketing sourced **8 leads** and **2 opportunities** (26% of the pipeline value);"
            " it wins **50%** of the opportunities that have closed.") in text
    assert "- Sales sourced **3 leads** and **2 opportunities** (48% of the pipeline value)" in text


def test_sourced_pipeline_text_without_recorded_losses(ws: Workspace) -> None:
    leads = load_leads(ws, "leads")
    leads["outcome"] = leads["outcome"].where(leads["outcome"] != "lost")
    text = narrative.sourced_pipeline_markdown(analyse_funnel(leads))
    assert "records no lost deals" in text


def test_disconnects_markdown() -> None:
    table = pd.DataFrame({"rank": [1, 2], "source": ["funnel", "survey"],
                          "area": ["Speed to lead", "Perception gap"],
                          "finding": ["**Slow.**", "Apart."], "severity": [0.9, 0.5],
                          "dimension": ["sla", "sla"]})
    assert narrative.disconnects_markdown(table) == (
        "1. **Slow.** *(Speed to lead, CRM funnel)*\n2. Apart. *(Perception gap, survey)*")
    assert narrative.disconnects_markdown(table.iloc[:0]).startswith("No clear disconnect")
