"""The scenario explorer of a saved report recomputes offline, exactly as the Python model.

The page script is translated from :mod:`alignkit.plan.scenarios`
(:func:`~alignkit.plan.scenarios.model_javascript`). Fast tests check the HTML
piece itself; the slow ones run the script in Node.js and in the system
Chromium with every network request aborted, move the sliders to seeded
random settings and compare what the page shows with the Python model.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from helpers import OfflinePage, launched_chromium

from alignkit.plan.scenarios import (
    Baseline,
    Levers,
    compare_scenarios,
    funnel_figures,
    lever_changes,
    levers_from_values,
    model_javascript,
    project,
    scenario_table,
)
from alignkit.text.escaping import escape_html
from alignkit.text.money import format_money
from alignkit.widgets import scenario_page
from alignkit.widgets.offline import WIDGET_VIEW, prefer_offline_html
from alignkit.widgets.scenario_page import (
    explorer_html,
    readout,
    slider_specs,
    summary_figures,
    today_values,
)

TODAY = Baseline(leads_per_month=400, lead_to_mql=0.25, mql_to_sql=0.4, sql_to_won=0.15,
                 deal_size=20_000, fast_contact_share=0.2)
#: Baselines for the browser: round figures, measured-looking ones, rates near their cap
#: (the cap at 100% applies), and a large volume of small deals; each with its currency.
BASELINES = {
    "round-eur": (TODAY, "EUR"),
    "measured-chf": (Baseline(leads_per_month=437.3, lead_to_mql=0.2317, mql_to_sql=0.3871,
                              sql_to_won=0.1423, deal_size=18_734.56, fast_contact_share=0.0734,
                              source="crm"), "CHF"),
    "near-cap-usd": (Baseline(leads_per_month=12, lead_to_mql=0.9, mql_to_sql=0.95,
                              sql_to_won=0.9, deal_size=250_000, fast_contact_share=0.9), "USD"),
    "volume-jpy": (Baseline(leads_per_month=5_000, lead_to_mql=0.12, mql_to_sql=0.22,
                            sql_to_won=0.31, deal_size=950, fast_contact_share=0.4), "JPY"),
}


# -- the HTML piece, without a browser ---------------------------------------------------
def test_each_explorer_has_its_own_ids_and_labels_point_at_its_inputs() -> None:
    first, second = explorer_html(TODAY), explorer_html(TODAY)
    ids = [html.split("id='", 1)[1].split("'", 1)[0] for html in (first, second)]
    assert ids[0] != ids[1] and all(i.startswith("ak-scn-") for i in ids)
    for spec in slider_specs(TODAY):
        assert f"<label for='{ids[0]}-{spec.name}'>" in first
        assert f"id='{ids[0]}-{spec.name}'" in first
    assert "id='plan-explorer'" in explorer_html(TODAY, element_id="plan-explorer")


def test_nothing_in_the_piece_is_fetched() -> None:
    html = explorer_html(TODAY)
    for needle in ("src=", "href=", "http://", "https://", "@import", "url("):
        assert needle not in html.replace("http://www.w3.org/2000/svg", ""), needle


def test_a_currency_cannot_break_out_of_the_script() -> None:
    html = explorer_html(TODAY, currency="</script><b>x")
    assert html.lower().count("</script>") == 1  # only the script's own end
    assert "<b>x" not in html.lower()
    assert escape_html(format_money(20_000, "</script><b>x")) in html  # the readout, escaped


def test_the_piece_opens_on_today() -> None:
    html = explorer_html(TODAY, currency="GBP")
    figures = summary_figures(TODAY, Levers(), "GBP")
    assert f"<span data-ak='won'>{figures['won']}</span>" in html
    assert f"<span data-ak='revenue'>{escape_html(figures['revenue'])}</span>" in html
    assert f"<b data-ak='change'>{figures['change']}</b>" in html
    assert figures == {"won": "6.0", "revenue": "\u00a3120,000", "change": "+0%"}
    for spec in slider_specs(TODAY):
        value = today_values(TODAY)[spec.name]
        assert f"value='{value!r}'" in html
        assert f">{escape_html(readout(spec, value, 'GBP'))}</output>" in html


def test_the_print_table_is_the_plan_reports_scenario_table() -> None:
    html = explorer_html(TODAY, currency="USD")
    printed = html.split("<div class='ak-scn-print'>", 1)[1]
    table = scenario_table(TODAY, compare_scenarios(TODAY), currency="USD")
    position = 0
    for name, row in table.iterrows():
        for text in [str(name), *row.astype(str)]:
            found = printed.find(f">{escape_html(text)}</", position)
            assert found >= 0, (name, text)
            position = found
    assert list(table.index) == ["Today", "Conservative", "Expected", "Ambitious"]


def test_no_change_is_shown_when_today_earns_nothing() -> None:
    nothing = Baseline(leads_per_month=0, lead_to_mql=0.25, mql_to_sql=0.4, sql_to_won=0.15,
                       deal_size=20_000)
    assert summary_figures(nothing, Levers())["change"] == ""
    assert "data-ak='change-text' hidden>" in explorer_html(nothing)


# -- which representation a report shows -----------------------------------------------
def _notebook_with_widget_outputs() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    tagged = nbformat.v4.new_code_cell("scenario_explorer(baseline)")
    tagged.metadata["tags"] = ["scenario-widget"]
    tagged.outputs = [nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: view, "text/html": "<div class='ak-scn'></div>", "text/plain": "VBox()"})]
    nb.cells = [tagged]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {}}}}
    return nb


def test_the_report_shows_the_offline_version_of_a_tagged_cell() -> None:
    nb = _notebook_with_widget_outputs()
    assert prefer_offline_html(nb) == 1
    data = nb.cells[0].outputs[0]["data"]
    assert WIDGET_VIEW not in data and data["text/html"] == "<div class='ak-scn'></div>"
    assert "widgets" not in nb.metadata  # no other widget: no widget library in the page


def test_other_widgets_keep_their_view_and_the_widget_state() -> None:
    nb = _notebook_with_widget_outputs()
    other = nbformat.v4.new_code_cell("slider")
    other.outputs = [nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"model_id": "def"}, "text/html": "<p>x</p>"})]
    nb.cells.append(other)
    assert prefer_offline_html(nb) == 1
    assert WIDGET_VIEW in nb.cells[1].outputs[0]["data"] and "widgets" in nb.metadata


# -- the generated script against the Python model, in Node.js ---------------------------
_NODE_HARNESS = """
const cases = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const out = {
  funnel: cases.funnel.map((args) => funnel_figures(...args)),
  levers: cases.levers.map((args) => lever_changes(...args)),
  formats: cases.formats.map(([value, spec]) => formatSpec(value, spec)),
  money: cases.money.map(([value, sign, compact]) => money(value, sign, compact)),
};
process.stdout.write(JSON.stringify(out));
"""
_TIES = [0.5, 1.5, 2.5, 0.125, 0.375, 2.675, 1234.5, 999_999.5, 12.25, 0.25, -0.0, -0.001,
         0.0049999, 0.995, 9.95, 99.95, 1e-9, 123_456_789.125, 0.045, 1 / 3, 2 / 3, 0.005,
         -0.005, 0.015, -2.5, 7.0, 0.0]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_generated_script_computes_and_formats_as_python(tmp_path: Path) -> None:
    rng = random.Random(14)

    def share() -> float:
        return rng.choice([0.0, 1.0, rng.random(), rng.uniform(0, 0.2)])

    funnel = [[rng.uniform(0, 5000), share(), share(), share(), rng.uniform(0, 500_000),
               share(), rng.uniform(-0.9, 2), rng.uniform(-0.9, 2), rng.uniform(-0.9, 2),
               rng.uniform(-0.9, 2), rng.uniform(-1, 1), rng.choice([1.5, 1.0, 3.0])]
              for _ in range(400)]
    levers = [[rng.uniform(0, 900), share(), share(), rng.uniform(0, 9e4), share(),
               rng.choice([0.0, rng.uniform(1, 900)]), share(), share(),
               rng.uniform(0, 9e4), share()] for _ in range(200)]
    values = _TIES + [rng.uniform(-2, 2) * 10 ** rng.randint(-3, 7) for _ in range(300)]
    specs = [".1f", "+.0%", ".1%", ".0%", ",.0f"]
    formats = [[v, s] for v in values for s in specs]
    amounts = [*_TIES, 999_499.0, 999_500.0, 9_999.4, 9_999.5, 10_000.0, 1_049.9, 1_050.0,
               -45_500.0, *[rng.uniform(0, 3e6) for _ in range(200)]]
    money = [[a, sign, compact] for a in amounts for sign in ["\u20ac", "CHF "]
             for compact in (False, True)]
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps({"funnel": funnel, "levers": levers, "formats": formats,
                                 "money": money}), encoding="utf-8")
    script = tmp_path / "check.js"
    script.write_text(model_javascript() + scenario_page._FORMAT_JS + _NODE_HARNESS,
                      encoding="utf-8")
    done = subprocess.run(["node", str(script), str(cases)], capture_output=True, text=True,
                          check=True, timeout=60)
    result = json.loads(done.stdout)

    for args, got in zip(funnel, result["funnel"], strict=True):
        assert got == list(funnel_figures(*args)), args  # bit for bit
    for args, got in zip(levers, result["levers"], strict=True):
        assert got == list(lever_changes(*args)), args
    for (value, spec), got in zip(formats, result["formats"], strict=True):
        assert got == format(value, spec), (value, spec)
    currencies = {"\u20ac": "EUR", "CHF ": "CHF"}
    for (amount, sign, compact), got in zip(money, result["money"], strict=True):
        assert got == format_money(amount, currencies[sign], compact=compact), (amount, compact)


# -- in the system Chromium, offline ------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    yield from launched_chromium()


class ScenarioPage(OfflinePage):
    """The explorer's page, opened offline."""

    def shown(self) -> dict:
        """What the explorer shows: summary figures, readouts, slider values, chart texts."""
        return self.page.evaluate("""() => {
          const root = document.querySelector('.ak-scn');
          const text = (selector) => root.querySelector(selector).textContent;
          const readouts = {}, inputs = {};
          root.querySelectorAll('output[data-ak]').forEach(o => { readouts[o.dataset.ak] = o.textContent; });
          root.querySelectorAll('input[data-ak]').forEach(i => { inputs[i.dataset.ak] = i.value; });
          return {won: text('[data-ak=won]'), revenue: text('[data-ak=revenue]'),
                  change: text('[data-ak=change]'),
                  changeHidden: root.querySelector('[data-ak=change-text]').hidden,
                  readouts, inputs,
                  chart: Array.from(root.querySelectorAll('svg.ak-scn-chart text')).map(t => t.textContent)};
        }""")


def _page(tmp_path: Path, baseline: Baseline, currency: str) -> Path:
    path = tmp_path / f"explorer-{currency}.html"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Scenario</title>"
                    f"</head><body>{explorer_html(baseline, currency=currency)}</body></html>",
                    encoding="utf-8")
    return path


def _expected(baseline: Baseline, values: dict[str, float], currency: str) -> dict:
    levers = levers_from_values(baseline, **values)
    figures = summary_figures(baseline, levers, currency)
    scenario, today = project(baseline, levers), project(baseline)
    chart = [format_money(today.pipeline, currency, compact=True),
             format_money(today.revenue, currency, compact=True)]
    for now, was in ((scenario.pipeline, today.pipeline), (scenario.revenue, today.revenue)):
        label = format_money(now, currency, compact=True)
        chart.append(f"{label}  ({(now - was) / was:+.0%})" if was else label)
    readouts = {s.name: readout(s, values[s.name], currency) for s in slider_specs(baseline)}
    return {**figures, "readouts": readouts, "chart": chart}


def _check(shown: dict, expected: dict) -> None:
    assert (shown["won"], shown["revenue"], shown["change"]) == (
        expected["won"], expected["revenue"], expected["change"])
    assert shown["changeHidden"] == (expected["change"] == "")
    assert shown["readouts"] == expected["readouts"]
    for label in expected["chart"]:
        assert label in shown["chart"], (label, shown["chart"])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BASELINES))
def test_sliders_show_exactly_what_the_python_model_gives(browser, tmp_path: Path,
                                                          name: str) -> None:
    baseline, currency = BASELINES[name]
    opened = ScenarioPage(browser, _page(tmp_path, baseline, currency))
    today = today_values(baseline)
    _check(opened.shown(), _expected(baseline, today, currency))
    rng = random.Random(f"scenario-{name}")
    specs = slider_specs(baseline)
    values = dict(today)
    for _round in range(25):
        moved = rng.sample(specs, rng.randint(1, len(specs)))
        for spec in moved:
            steps = round((spec.high - spec.low) / spec.step)
            opened.page.fill(f"input[data-ak={spec.name}]",
                             repr(spec.low + rng.randint(0, steps) * spec.step))
        shown = opened.shown()
        for spec in moved:  # the value the browser settled on (snapped to the slider's step)
            values[spec.name] = float(shown["inputs"][spec.name])
        _check(shown, _expected(baseline, values, currency))
    # every slider at once, at both ends of its range
    for end in ("low", "high"):
        for spec in specs:
            opened.page.fill(f"input[data-ak={spec.name}]", repr(getattr(spec, end)))
        shown = opened.shown()
        values = {s.name: float(shown["inputs"][s.name]) for s in specs}
        _check(shown, _expected(baseline, values, currency))

    opened.page.click("button[data-ak=reset]")
    shown = opened.shown()
    _check(shown, _expected(baseline, today, currency))
    assert shown["change"] == "+0%"
    assert opened.errors == [] and opened.network == []
    opened.page.close()


@pytest.mark.slow
def test_the_keyboard_moves_a_slider_and_back_to_today_restores_it(browser, tmp_path: Path) -> None:
    opened = ScenarioPage(browser, _page(tmp_path, TODAY, "EUR"))
    before = opened.shown()
    opened.page.focus("input[data-ak=sql_to_won]")
    for _ in range(4):
        opened.page.keyboard.press("ArrowRight")  # 4 steps of half a point: 15% -> 17%
    shown = opened.shown()
    values = {**today_values(TODAY), "sql_to_won": float(shown["inputs"]["sql_to_won"])}
    assert values["sql_to_won"] == pytest.approx(0.17)
    _check(shown, _expected(TODAY, values, "EUR"))
    assert shown["change"] == "+13%" and shown["revenue"] == "\u20ac136,000"
    opened.page.focus("button[data-ak=reset]")
    opened.page.keyboard.press("Enter")
    after = opened.shown()
    assert {k: after[k] for k in ("won", "revenue", "change", "readouts", "chart")} == {
        k: before[k] for k in ("won", "revenue", "change", "readouts", "chart")}
    assert opened.errors == [] and opened.network == []
    opened.page.close()


@pytest.mark.slow
def test_print_hides_the_controls_and_shows_the_preset_scenarios(browser, tmp_path: Path) -> None:
    opened = ScenarioPage(browser, _page(tmp_path, TODAY, "EUR"))
    page = opened.page
    assert page.locator(".ak-scn-controls").is_visible()
    assert not page.locator("table.ak-scn-table").is_visible()
    page.emulate_media(media="print")
    for hidden in (".ak-scn-controls", "button[data-ak=reset]", ".ak-scn-summary",
                   "svg.ak-scn-chart"):
        assert not page.locator(hidden).is_visible(), hidden
    table = page.locator("table.ak-scn-table")
    assert table.is_visible()
    rows = page.eval_on_selector_all(
        "table.ak-scn-table tbody tr",
        "rows => rows.map(r => Array.from(r.children).map(c => c.textContent.trim()))")
    expected = scenario_table(TODAY, compare_scenarios(TODAY), currency="EUR")
    assert rows == [[str(name), *map(str, row)] for name, row in expected.iterrows()]
    pdf = page.pdf(format="A4")  # prints without error
    assert pdf.startswith(b"%PDF")
    opened.page.close()


# -- a rendered Plan report ---------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alignkit.demo import build_demo_workspace
    from alignkit.factory.batch import render_batch

    root = tmp_path_factory.mktemp("plan-offline")
    workspace = build_demo_workspace(root / "ws").root
    result = render_batch(workspace, out_dir=root / "out", companies=["bluepeak-logistics"],
                          stages=["plan"], workers=1)
    assert result.ok, [(e.company, e.stage, e.error_message) for e in result.entries]
    return root / "out" / "bluepeak-logistics" / "plan.html"


@pytest.mark.slow
def test_the_plan_report_explorer_recomputes_offline(browser, plan_report: Path) -> None:
    html = plan_report.read_text(encoding="utf-8")
    assert html.count("class='ak-scn'") == 1
    assert "widget-state+json" not in html  # the widget library is not needed any more
    opened = ScenarioPage(browser, plan_report)
    page = opened.page
    assert page.locator(".widget-hslider").count() == 0
    config = page.evaluate("""() => {
      const script = document.querySelector('.ak-scn script').textContent;
      return JSON.parse(script.split('const CONFIG = ')[1].split(';\\n')[0]);
    }""")
    baseline = Baseline(**config["baseline"])
    today = today_values(baseline)
    # the page opens on the report's own figures: today's row of its scenario table
    table = page.eval_on_selector_all(
        "table.ak-scn-table tbody tr",
        "rows => rows.map(r => Array.from(r.children).map(c => c.textContent.trim()))")
    shown = opened.shown()
    assert table[0][0] == "Today" and shown["won"] in table[0] and shown["revenue"] in table[0]
    _check(shown, _expected(baseline, today, "USD"))
    rng = random.Random(2026)
    values = dict(today)
    for _round in range(10):
        for spec in slider_specs(baseline):
            steps = round((spec.high - spec.low) / spec.step)
            page.fill(f"input[data-ak={spec.name}]",
                      repr(spec.low + rng.randint(0, steps) * spec.step))
        shown = opened.shown()
        values = {name: float(value) for name, value in shown["inputs"].items()}
        _check(shown, _expected(baseline, values, "USD"))
    assert shown["revenue"].startswith("$")
    page.click("button[data-ak=reset]")
    _check(opened.shown(), _expected(baseline, today, "USD"))
    assert not math.isnan(project(baseline).revenue)
    assert opened.errors == [] and opened.network == []
    page.close()
