"""Comment themes: only comments that may be shown, people masked, lexicon placing, stable."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alignkit.analysis.comments import COMMENT_MIN_GROUP, comment_themes, mask_people
from alignkit.catalog.instrument import Instrument
from alignkit.cli import main
from alignkit.intake.survey import import_survey
from alignkit.store.workspace import Workspace

SIZES = {"sales": 12, "marketing": 11, "leadership": 8}


def _themes(comments: pd.DataFrame, **kw: object):
    return comment_themes(comments, SIZES, threshold=5, **kw)


def _quoted(result) -> list[str]:
    return [text for theme in result.themes for _, text in theme.quotes]


def test_comments_of_a_group_of_eight_never_appear() -> None:
    comments = pd.DataFrame({"team": ["leadership"] * 8 + ["sales"] * 2,
                             "comment": ["Our CRM is broken, secret leader view"] * 8
                             + ["The CRM needs an integration", "Weekly meetings please"]})
    result = _themes(comments)
    assert result.withheld == 8 and result.used == 2
    assert result.min_group == COMMENT_MIN_GROUP
    assert not any("secret" in q for q in _quoted(result))
    assert sum(t.count for t in result.themes) == 2


def test_a_higher_anonymity_threshold_raises_the_comment_minimum() -> None:
    comments = pd.DataFrame({"team": ["sales"], "comment": ["Our CRM is fine"]})
    result = comment_themes(comments, {"sales": 12}, threshold=15)
    assert result.min_group == 15 and result.used == 0 and result.withheld == 1


@pytest.mark.parametrize("text, hidden", [
    ("Write to jane.doe@acme.example for the deck", "jane.doe@acme.example"),
    ("Call me on +44 20 7946 0958 about the SLA", "7946"),
    ("Ask Priya about the hand-off", "Priya"),
    ("Dana Whitfield never replies to leads", "Whitfield"),
    ("dana whitfield owns the CRM", "whitfield"),
])
def test_emails_phones_and_known_names_are_masked(text: str, hidden: str) -> None:
    masked = mask_people(pd.Series([text]), names=["Dana Whitfield"], first_names=["Priya"])[0]
    assert hidden not in masked and "[" in masked
    result = _themes(pd.DataFrame({"team": ["sales"], "comment": [text]}),
                     names=["Dana Whitfield"])
    assert not any(hidden in q for q in _quoted(result))


@pytest.mark.parametrize("text, dimension", [
    ("We need one shared revenue target for both teams", "goals"),
    ("Nobody agrees on what counts as an MQL", "definitions"),
    ("Leads go cold because the hand-off takes days", "handoff"),
    ("The CRM and marketing automation are not integrated", "tools"),
    ("Bonuses should reward lead quality on both sides", "incentives"),
    ("Let marketers shadow a few sales calls", "shadowing"),
])
def test_lexicon_comments_land_in_their_dimensions_theme(text: str, dimension: str) -> None:
    result = _themes(pd.DataFrame({"team": ["sales"], "comment": [text]}))
    (theme,) = result.themes
    assert theme.dimensions[0] == dimension and theme.count == 1 and theme.source == "lexicon"


def _many(n: int) -> pd.DataFrame:
    stems = ["the CRM loses data and duplicates pile up", "leads go cold after the hand-off",
             "we never meet, a weekly meeting would help", "great case studies from marketing",
             "bonus plans pull us apart", "pizza friday was fun", "the new office coffee is bad",
             "more budget for events and trade shows", "travel budget for trade shows is small",
             "events bring good conversations at trade shows"]
    return pd.DataFrame({"team": ["sales", "marketing"] * (n // 2),
                         "comment": [f"{stems[i % len(stems)]} ({i % 7})" for i in range(n)]})


def test_the_same_input_gives_the_same_themes_in_any_order() -> None:
    comments = _many(120)
    first = _themes(comments)
    again = _themes(comments.sample(frac=1.0, random_state=3))
    assert first == again
    assert sum(t.count for t in first.themes) == 120
    assert any(t.source == "clusters" for t in first.themes)
    assert all(1 <= len(t.quotes) <= 3 for t in first.themes)


def test_five_hundred_comments_are_themed(capsys: pytest.CaptureFixture[str]) -> None:
    comments = _many(500)
    start = time.perf_counter()
    result = _themes(comments)
    with capsys.disabled():
        print(f"\n500 comments themed in {time.perf_counter() - start:.2f} s "
              f"({len(result.themes)} themes)")
    assert result.used == 500


def test_cli_prints_themes_as_json(tmp_path: Path, instrument: Instrument,
                                   write_survey: Callable[..., Path]) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.add_company("acme", "Acme Corp")
    items = {i.id: "3" for i in instrument.items}
    rows = [{"respondent_id": f"s{k}", "team": "sales", **items,
             "comment": "The hand-off is slow, leads go cold" if k % 2 else
             "Our CRM data is a mess, mail sam.lee@acme.example"} for k in range(12)]
    rows += [{"respondent_id": f"m{k}", "team": "marketing", **items,
              "comment": "Sales never gives feedback on which campaigns work"} for k in range(8)]
    import_survey(write_survey(rows), company="acme", wave="baseline", workspace=ws)
    out = CliRunner().invoke(main, ["comments", "--company", "acme", "--wave", "baseline",
                                    "--json", "--workspace", str(ws.root)])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["comments_used"] == 12 and payload["comments_withheld"] == 8
    themes = {t["dimensions"][0]: t for t in payload["themes"]}
    assert set(themes) == {"handoff", "tools"}
    assert themes["handoff"]["count"] == 6 and themes["handoff"]["lean"] == "negative"
    assert all(t["quotes"] and {"team", "text"} <= set(t["quotes"][0]) for t in themes.values())
    assert "sam.lee" not in out.output and "campaigns" not in out.output
