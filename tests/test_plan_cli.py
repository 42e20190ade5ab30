"""``alignkit plan`` as a consultant uses it, and the Plan report it leads to."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from alignkit.analysis.wave import load_wave, score_wave
from alignkit.catalog.instrument import load_instrument
from alignkit.catalog.playbook import load_playbook
from alignkit.cli.app import main
from alignkit.intake.survey import import_survey
from alignkit.plan.actions import gap_sizes, must_cover
from alignkit.store.actions import load_actions
from alignkit.store.workspace import Workspace

ITEMS = load_instrument().items


def answers(team: str, n: int, sla_value: int, start: int) -> list[dict[str, str]]:
    """``n`` people of ``team``: ``sla_value`` on the SLA items, 3 everywhere else."""
    return [{"respondent_id": f"{team[0]}{start + k}", "team": team,
             **{i.id: str(sla_value if i.dimension == "sla" else 3) for i in ITEMS}}
            for k in range(n)]


@pytest.fixture
def ws(workspace: Workspace, write_survey) -> Workspace:
    # Sales rates the SLA 2, marketing 4: a clear perception gap; every other facet is at 3.
    survey = write_survey(answers("Sales", 6, 2, 0) + answers("Marketing", 6, 4, 100))
    import_survey(survey, company="acme", wave="baseline", workspace=workspace)
    workspace.add_company("globex", "Globex Industries")
    return workspace


def run(ws: Workspace, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(ws.root)])


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("command", ["build", "show", "edit", "export", "sla", "tactics"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, ["plan", command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_build_stores_once_and_refuses_a_second_time(ws: Workspace) -> None:
    result = run(ws, "plan", "build", "--company", "acme", "--start", "2026-03-02", "--top", "4")
    assert result.exit_code == 0, result.output
    assert "stored 4 actions" in result.output
    stored = load_actions(ws, "acme")
    assert len(stored) == 4
    again = run(ws, "plan", "build", "--company", "acme")
    one_line_error(again, "already has a plan of 4 actions", "--replace")
    assert load_actions(ws, "acme")[["id", "title"]].equals(stored[["id", "title"]])
    replaced = run(ws, "plan", "build", "--company", "acme", "--replace", "--top", "2", "--json")
    assert replaced.exit_code == 0
    actions = json.loads(replaced.output)["actions"]
    # The three lowest-scoring facets (the SLA, with its clear gap, then two of the facets
    # tied at 3) must each get an action, so "--top 2" still stores three, numbered 1..3.
    gaps = gap_sizes(score_wave(load_wave("acme", "baseline", workspace=ws)))
    cover = must_cover(gaps)
    assert len(cover) == 3 and cover[0] == "sla"
    assert {a["dimension"] for a in actions} == set(cover)
    assert actions[0]["dimension"] == "sla"  # the largest need comes first
    assert [a["id"] for a in actions] == [1, 2, 3]


def test_the_plan_ranks_the_sla_gap_first_with_due_dates(ws: Workspace) -> None:
    run(ws, "plan", "build", "--company", "acme", "--start", "2026-03-02")
    shown = json.loads(run(ws, "plan", "show", "--company", "acme", "--json").output)
    actions = shown["actions"]
    book = load_playbook()
    first = book.tactic(actions[0]["tactic"])
    assert "sla" in first.dimensions
    assert [a["rank"] for a in actions] == list(range(1, len(actions) + 1))
    for action in actions:
        weeks = book.tactic(action["tactic"]).weeks_to_impact
        assert action["due"] == (date(2026, 3, 2) + timedelta(weeks=weeks)).isoformat()
        assert action["sales_owner"] == action["marketing_owner"] == "to be named"
    text = run(ws, "plan", "show", "--company", "acme")
    assert text.exit_code == 0 and first.name in text.output


def test_edit_names_owners_and_reads_targets_in_the_kpis_unit(ws: Workspace) -> None:
    run(ws, "plan", "build", "--company", "acme")
    actions = load_actions(ws, "acme")
    units = {k.id: k.unit for k in load_playbook().kpis}
    share = int(actions[actions["kpi"].map(units) == "percent"]["id"].iloc[0])
    result = run(ws, "plan", "edit", str(share), "--company", "acme", "--sales-owner", "Priya",
                 "--marketing-owner", "Lena", "--target", "85%", "--due", "2026-06-30", "--json")
    assert result.exit_code == 0, result.output
    changed = json.loads(result.output)
    assert (changed["sales_owner"], changed["marketing_owner"]) == ("Priya", "Lena")
    assert changed["target"] == 0.85 and changed["due"] == "2026-06-30"
    one_line_error(run(ws, "plan", "edit", str(share), "--company", "acme", "--target", "lots"),
                   "lots")
    one_line_error(run(ws, "plan", "edit", "9999", "--company", "acme", "--sales-owner", "X"),
                   "no action 9999")
    one_line_error(run(ws, "plan", "edit", str(share), "--company", "acme"), "nothing to change")


def test_export_writes_the_client_workbook(ws: Workspace, tmp_path: Path) -> None:
    missing = run(ws, "plan", "export", "--company", "acme", "--out", str(tmp_path / "x.xlsx"))
    one_line_error(missing, "no action plan yet", "plan build")
    run(ws, "plan", "build", "--company", "acme")
    out = tmp_path / "plan.xlsx"
    result = run(ws, "plan", "export", "--company", "acme", "--out", str(out),
                 "--revenue-goal", "1200000", "--marketing-share", "0.6", "--deal-size", "20000")
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Action plan", "SLA"]
    assert book["Action plan"]["A1"].value == "Joint action plan: Acme Corp"
    texts = [c.value for row in book["SLA"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("Deliver 50 MQLs a month" in t for t in texts)


def test_sla_arithmetic_on_the_command_line() -> None:
    result = CliRunner().invoke(main, ["plan", "sla", "--revenue-goal", "90000", "--period",
                                       "month", "--marketing-share", "1", "--deal-size", "15000",
                                       "--sla-hours", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # 90,000 / 15,000 = 6 customers; default rates 0.25, 0.6, 0.5, 0.8, 0.25 back up the funnel:
    # opportunities 24, SQLs 40, SALs 80, MQLs 100, leads 400.
    needed = {row["stage"]: row["commit_month"] for row in payload["needed"]}
    assert needed == {"won": 6, "opportunity": 24, "sql": 40, "sal": 80, "mql": 100, "lead": 400}
    assert payload["goal"]["origin"]["amount"] == "stated"
    assert payload["sales"]["first_touch_hours"] == 2


def test_unknown_company_is_refused_everywhere(ws: Workspace) -> None:
    for args in (["plan", "build", "--company", "nope"], ["plan", "show", "--company", "nope"],
                 ["plan", "sla", "--company", "nope"]):
        one_line_error(run(ws, *args), "unknown company 'nope'")


def test_tactics_lists_the_playbook() -> None:
    result = CliRunner().invoke(main, ["plan", "tactics", "--json"])
    assert len(json.loads(result.output)["tactics"]) >= 15


def test_plan_report_drafts_without_writing_and_shows_one_company(ws: Workspace) -> None:
    result = run(ws, "report", "--company", "acme", "--stage", "plan")
    assert result.exit_code == 0, result.output
    html = (ws.root / "reports" / "acme" / "plan.html").read_text(encoding="utf-8")
    assert load_actions(ws, "acme").empty  # a report run never writes a plan
    for expected in ("Acme Corp", "actions proposed", "Marketing commits to",
                     "priority = need \u00d7 impact \u00f7 effort", "Most in need",
                     "Value of new SQLs", "What moving each lever is worth",
                     "class='ak-scn'", "Back to today"):  # the offline scenario explorer
        assert expected in html, expected
    assert "Globex" not in html and "globex" not in html
    assert "Traceback" not in html and "import alignkit" not in html
