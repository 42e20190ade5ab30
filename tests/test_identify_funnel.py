"""The Identify report's funnel sections, rendered: with lead data, and with none at all."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from alignkit.demo import DEMO_COMPANIES, build_demo_workspace
from alignkit.demo.survey import write_demo_survey
from alignkit.intake.survey import import_survey
from alignkit.report.render import render_report
from alignkit.store.workspace import Workspace

IMG = re.compile(r'<div class="jp-RenderedSVG[^>]*>\s*<img[^>]+src="data:image/svg\+xml;base64,')  # a chart


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's demo workspace (root conftest.py), only read; else a new one."""
    shared = os.environ.get("ALIGNKIT_WORKSPACE")
    if shared and Workspace(shared).exists():
        return Path(shared)
    return build_demo_workspace(tmp_path_factory.mktemp("demo")).root


@pytest.fixture(scope="module")
def survey_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose one company has a survey wave and no funnel data."""
    ws = Workspace(tmp_path_factory.mktemp("plain") / "ws")
    plain = dataclasses.replace(DEMO_COMPANIES[2], slug="plain-survey", name="Plain Survey Ltd")
    ws.add_company(plain.slug, plain.name)
    survey = write_demo_survey(plain, ws.root / "inbox" / "plain.csv")
    import_survey(survey, company=plain.slug, wave="baseline", workspace=ws)
    return ws.root


def render(workspace: Path, slug: str, out: Path) -> str:
    done = render_report(slug, "identify", out, workspace=workspace)
    return done.html.read_text(encoding="utf-8")


def test_funnel_sections_with_their_research_context(demo: Path, tmp_path: Path) -> None:
    html = render(demo, "northwind-software", tmp_path)
    for text in ("From lead to customer", "Speed to lead", "Who fills the pipeline",
                 "Where the disconnects are", "Harvard Business Review", "Aberdeen Group",
                 "MarketingProfs", "never accepted by sales", "MQLs owned by Inside Sales",
                 "(Hand-off leakage, CRM funnel)"):
        assert text in html, text
    assert len(IMG.findall(html)) >= 7  # four survey charts and three funnel charts
    for other in DEMO_COMPANIES[1:]:
        assert other.name not in html and other.slug not in html
    assert "Traceback" not in html and "Warning" not in html


def test_a_company_without_funnel_data_gets_one_sentence(survey_only: Path,
                                                         tmp_path: Path) -> None:
    html = render(survey_only, "plain-survey", tmp_path)
    assert html.count("No CRM funnel export has been imported for Plain Survey Ltd yet") == 1
    assert "Speed to lead" not in html and "Who fills the pipeline" not in html
    assert "CRM funnel)" not in html  # the disconnects come from the survey only
    assert len(IMG.findall(html)) == 4  # the survey charts only
    assert "Where the disconnects are" in html
