"""The scenario explorer as a self-contained piece of HTML that works offline.

A saved report has no kernel behind it, so ipywidgets sliders there can move
but cannot recompute anything. :func:`explorer_html` writes the same explorer
as plain HTML: five range inputs, the summary line, a chart drawn as inline
SVG, and one inline script. The script carries the scenario model translated
from Python by :func:`alignkit.plan.scenarios.model_javascript`, never a
second copy written by hand, and formats numbers exactly as Python's format
specifications and :func:`alignkit.text.money.format_money` do (rounding half
to even on the exact binary value). Nothing is fetched.

In print the controls, the summary and the chart are hidden and the table of
the preset scenarios (:func:`alignkit.plan.scenarios.scenario_table`) takes
their place.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, replace

from alignkit.charts.plan import SCENARIO_COLOURS, TODAY_COLOUR
from alignkit.charts.style import GRID, INK, MUTED, RULE
from alignkit.plan.scenarios import (
    Baseline,
    Levers,
    change_share,
    compare_scenarios,
    model_javascript,
    project,
    scenario_table,
)
from alignkit.text.escaping import escape_html
from alignkit.text.money import DEFAULT_CURRENCY, currency_sign, format_money

__all__ = ["PAGE_NOTE", "SUMMARY_FORMATS", "SliderSpec", "explorer_html", "readout",
           "slider_specs", "summary_figures", "summary_html", "today_values"]

#: What the offline explorer says above its sliders.
PAGE_NOTE = ("Move a slider and the figures and the chart recompute projected pipeline and "
             "revenue against today, right in this page (nothing is sent anywhere). "
             "\u201cBack to today\u201d puts every slider back.")
#: Python format specifications of the summary figures (the page script reads the same ones).
SUMMARY_FORMATS = {"won": ".1f", "change": "+.0%"}
_SCENARIO_COLOUR = SCENARIO_COLOURS[2]
_SERIAL = itertools.count(1)  # explorers made in this process: one id each, the same every run


@dataclass(frozen=True)
class SliderSpec:
    """One lever's slider: name (a :func:`today_values` key), label, range, step and readout.

    ``readout`` is a Python format specification (``",.0f"``, ``".1%"``),
    which ipywidgets reads as a d3 format and the page script as Python would;
    the page writes an amount (``money``) with the currency, as
    :func:`alignkit.text.money.format_money` does.
    """

    name: str
    description: str
    low: float
    high: float
    step: float
    readout: str
    money: bool = False


def today_values(baseline: Baseline) -> dict[str, float]:
    """The slider values that mean "today": the baseline's own figures."""
    b = baseline
    return {"leads_per_month": b.leads_per_month, "mql_to_sql": b.mql_to_sql,
            "sql_to_won": b.sql_to_won, "fast_contact_share": b.fast_contact_share,
            "deal_size": b.deal_size}


def slider_specs(baseline: Baseline) -> list[SliderSpec]:
    """The five sliders, each range widened so that today's value always fits in it."""
    leads, deal = baseline.leads_per_month, baseline.deal_size
    specs = [
        SliderSpec("leads_per_month", "Leads a month", round(leads * 0.5), round(leads * 2),
                   max(1.0, round(leads / 100)), ",.0f"),
        SliderSpec("mql_to_sql", "MQL\u2192SQL", 0.01, 1.0, 0.005, ".1%"),
        SliderSpec("sql_to_won", "SQL\u2192won", 0.01, 1.0, 0.005, ".1%"),
        SliderSpec("fast_contact_share", "Reached in 1 hour", 0.0, 1.0, 0.05, ".0%"),
        SliderSpec("deal_size", "Average deal", round(deal * 0.5), round(deal * 2),
                   max(1.0, round(deal / 100)), ",.0f", money=True),
    ]
    today = today_values(baseline)
    return [replace(s, low=min(s.low, today[s.name]), high=max(s.high, today[s.name]))
            for s in specs]


def readout(spec: SliderSpec, value: float, currency: str = DEFAULT_CURRENCY) -> str:
    """A slider's value as the offline page shows it next to the slider."""
    return format_money(value, currency) if spec.money else format(value, spec.readout)


def summary_figures(baseline: Baseline, levers: Levers, currency: str = DEFAULT_CURRENCY
                    ) -> dict[str, str]:
    """The summary's figures as shown: ``won``, ``revenue`` and ``change`` ("" when today is 0)."""
    scenario = project(baseline, levers)
    change = change_share(scenario.revenue, project(baseline).revenue)
    return {"won": format(scenario.won, SUMMARY_FORMATS["won"]),
            "revenue": format_money(scenario.revenue, currency),
            "change": "" if math.isnan(change) else format(change, SUMMARY_FORMATS["change"])}


def summary_html(figures: dict[str, str]) -> str:
    """The summary sentence; the page script rewrites the three marked figures."""
    hidden = "" if figures["change"] else " hidden"
    return ("<p class='ak-scn-summary' style='margin:8px 0' aria-live='polite'>"
            "<b>Your scenario:</b> "
            f"<span data-ak='won'>{escape_html(figures['won'])}</span> won deals and "
            f"<span data-ak='revenue'>{escape_html(figures['revenue'])}</span> of revenue a month"
            f"<span data-ak='change-text'{hidden}> (<b data-ak='change'>"
            f"{escape_html(figures['change'])}</b> against today)</span>.</p>")


def _script_json(value: object) -> str:
    """JSON that can sit inside a ``<script>`` element whatever its strings hold."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


#: Number formatting, as Python does it: half to even on the exact binary value.
_FORMAT_JS = r"""
function exactDigits(x, places) {
  const text = Math.abs(x).toFixed(100);
  const dot = text.indexOf(".");
  const fraction = text.slice(dot + 1);
  let kept = text.slice(0, dot) + fraction.slice(0, places);
  const rest = fraction.slice(places);
  const beyond = /[1-9]/.test(rest.slice(1));
  const odd = Number(kept[kept.length - 1]) % 2 === 1;
  if (rest[0] > "5" || (rest[0] === "5" && (beyond || odd))) {
    const digits = kept.split("");
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === "9") { digits[i] = "0"; i -= 1; }
    if (i < 0) { digits.unshift("1"); } else { digits[i] = String(Number(digits[i]) + 1); }
    kept = digits.join("");
  }
  return [kept.slice(0, kept.length - places), kept.slice(kept.length - places)];
}
function grouped(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function formatSpec(x, spec) {
  const parts = /^(\+?)(,?)\.(\d+)([f%])$/.exec(spec);
  const value = parts[4] === "%" ? x * 100 : x;
  let body;
  if (Number.isNaN(value)) { body = "nan"; }
  else if (!Number.isFinite(value)) { body = "inf"; }
  else {
    const [whole, fraction] = exactDigits(value, Number(parts[3]));
    body = (parts[2] ? grouped(whole) : whole) + (fraction ? "." + fraction : "");
  }
  const negative = value < 0 || Object.is(value, -0);
  return (negative ? "-" : parts[1]) + body + (parts[4] === "%" ? "%" : "");
}
function money(value, sign, compact) {
  if (value === null || Number.isNaN(value)) { return "\u2013"; }
  const amount = Math.abs(value);
  const trim = (text) => text.replace(/0+$/, "").replace(/\.$/, "");
  let text;
  if (compact && amount >= 999500) { text = trim(formatSpec(amount / 1e6, ".1f")) + "M"; }
  else if (compact && amount >= 10000) { text = formatSpec(amount / 1e3, ".0f") + "k"; }
  else if (compact && amount >= 1000) { text = trim(formatSpec(amount / 1e3, ".1f")) + "k"; }
  else { text = formatSpec(amount, ",.0f"); }
  return (value < 0 ? "\u2212" : "") + sign + text;
}
"""

#: The page behaviour: read the sliders, run the model, write the figures, draw the chart.
_PAGE_JS = r"""
const root = document.getElementById(CONFIG.id);
const b = CONFIG.baseline;
const today = Object.assign({}, CONFIG.today);
let values = Object.assign({}, today);
const SVG = "http://www.w3.org/2000/svg";
function figures(v) {
  const levers = lever_changes(v.leads_per_month, v.mql_to_sql, v.sql_to_won, v.deal_size,
    v.fast_contact_share, b.leads_per_month, b.mql_to_sql, b.sql_to_won, b.deal_size,
    b.fast_contact_share);
  return funnel_figures(b.leads_per_month, b.lead_to_mql, b.mql_to_sql, b.sql_to_won,
    b.deal_size, b.fast_contact_share, levers[0], levers[1], levers[2], levers[3], levers[4],
    SPEED_MULTIPLIER);
}
const base = funnel_figures(b.leads_per_month, b.lead_to_mql, b.mql_to_sql, b.sql_to_won,
  b.deal_size, b.fast_contact_share, 0.0, 0.0, 0.0, 0.0, 0.0, SPEED_MULTIPLIER);
function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) { node.setAttribute(key, value); }
  if (text !== undefined) { node.textContent = text; }
  return node;
}
function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const factor of [1, 2, 2.5, 5, 10]) { if (factor * power >= raw) { return factor * power; } }
  return 10 * power;
}
function panel(svg, left, width, heading, now, was) {
  const top = 84, rowHeight = 34, barHeight = 24;
  const largest = Math.max(now, was, 1);
  const step = Math.max(1, niceStep(largest * 1.45 / 4));
  const end = Math.ceil(largest * 1.45 / step) * step;
  const x = (value) => left + width * Math.max(0, value) / end;
  svg.appendChild(element("text", {x: left, y: top - 12, "font-weight": "bold",
    "font-size": 13, fill: CONFIG.colours.ink}, heading));
  const axis = top + 2 * rowHeight + 6;
  for (let tick = 0; tick <= end + step / 2; tick += step) {
    svg.appendChild(element("line", {x1: x(tick), x2: x(tick), y1: top - 4, y2: axis,
      stroke: tick === 0 ? CONFIG.colours.rule : CONFIG.colours.grid, "stroke-width": 1}));
    svg.appendChild(element("line", {x1: x(tick), x2: x(tick), y1: axis, y2: axis + 4,
      stroke: CONFIG.colours.rule}));
    svg.appendChild(element("text", {x: x(tick), y: axis + 17, "text-anchor": "middle",
      "font-size": 11, fill: CONFIG.colours.muted}, money(tick, CONFIG.sign, true)));
  }
  svg.appendChild(element("line", {x1: left, x2: left + width, y1: axis, y2: axis,
    stroke: CONFIG.colours.rule}));
  const rows = [[was, CONFIG.colours.today, ""],
                [now, CONFIG.colours.scenario, change_share(now, was)]];
  rows.forEach(([value, colour, change], k) => {
    const y = top + k * rowHeight + (rowHeight - barHeight) / 2;
    svg.appendChild(element("rect", {x: left, y: y, width: x(value) - left, height: barHeight,
      fill: colour}));
    let label = money(value, CONFIG.sign, true);
    if (change !== "" && !Number.isNaN(change)) { label += "  (" + formatSpec(change, "+.0%") + ")"; }
    svg.appendChild(element("text", {x: x(value) + 5, y: y + barHeight / 2 + 4, "font-size": 12,
      fill: CONFIG.colours.ink, style: "white-space: pre"}, label));
  });
  svg.appendChild(element("line", {x1: x(was), x2: x(was), y1: top - 4, y2: axis,
    stroke: "#5F676B", "stroke-width": 1, "stroke-dasharray": "4 3"}));
}
function draw(now) {
  const svg = root.querySelector("svg.ak-scn-chart");
  while (svg.firstChild) { svg.removeChild(svg.firstChild); }
  svg.appendChild(element("text", {x: 0, y: 20, "font-weight": "bold", "font-size": 15,
    fill: CONFIG.colours.ink}, "Your scenario against today"));
  svg.appendChild(element("text", {x: 0, y: 40, "font-size": 12, fill: CONFIG.colours.muted},
    "A month. Grey is today and the dashed line marks it; the percentage is the change against today."));
  const labels = 112, gap = 64, width = (CONFIG.width - labels - gap - 36) / 2;
  ["Today", "Your scenario"].forEach((name, k) => {
    svg.appendChild(element("text", {x: labels - 10, y: 84 + k * 34 + 21, "text-anchor": "end",
      "font-size": 12, fill: CONFIG.colours.ink}, name));
  });
  panel(svg, labels, width, "Value of new SQLs", now[4], base[4]);
  panel(svg, labels + width + gap, width, "Won revenue", now[5], base[5]);
}
function render() {
  const now = figures(values);
  const change = change_share(now[5], base[5]);
  root.querySelector("[data-ak=won]").textContent = formatSpec(now[3], CONFIG.formats.won);
  root.querySelector("[data-ak=revenue]").textContent = money(now[5], CONFIG.sign, false);
  const changeText = root.querySelector("[data-ak=change-text]");
  changeText.hidden = Number.isNaN(change);
  root.querySelector("[data-ak=change]").textContent =
    Number.isNaN(change) ? "" : formatSpec(change, CONFIG.formats.change);
  for (const spec of CONFIG.sliders) {
    root.querySelector("output[data-ak=" + spec.name + "]").textContent = spec.money
      ? money(values[spec.name], CONFIG.sign, false) : formatSpec(values[spec.name], spec.readout);
  }
  draw(now);
  root.querySelector("svg.ak-scn-chart").setAttribute("aria-label",
    "Your scenario against today. " + root.querySelector(".ak-scn-summary").textContent);
}
for (const spec of CONFIG.sliders) {
  const input = root.querySelector("input[data-ak=" + spec.name + "]");
  input.addEventListener("input", () => { values[spec.name] = parseFloat(input.value); render(); });
}
root.querySelector("button[data-ak=reset]").addEventListener("click", () => {
  values = Object.assign({}, today);
  for (const spec of CONFIG.sliders) {
    root.querySelector("input[data-ak=" + spec.name + "]").value = String(today[spec.name]);
  }
  render();
});
render();
"""

_CSS = """
#{id} {{ font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: {ink};
         max-width: 980px; }}
#{id} .ak-scn-note {{ color: {muted}; margin: 0 0 8px; }}
#{id} .ak-scn-controls {{ display: grid; grid-template-columns: repeat(2, minmax(0, 470px));
                          gap: 6px 24px; align-items: center; }}
#{id} .ak-scn-control {{ display: grid; grid-template-columns: 140px 1fr 104px; gap: 8px;
                         align-items: center; font-size: 14px; }}
#{id} .ak-scn-control input {{ width: 100%; accent-color: {scenario}; margin: 0; }}
#{id} .ak-scn-control output {{ text-align: right; font-variant-numeric: tabular-nums;
                                white-space: nowrap; }}
#{id} .ak-scn-reset {{ justify-self: start; font: inherit; font-size: 14px; padding: 4px 14px;
                       border: 1px solid {rule}; border-radius: 3px; background: #F7F9FB;
                       color: {ink}; cursor: pointer; }}
#{id} .ak-scn-reset:hover {{ background: #ECEFF2; }}
#{id} svg.ak-scn-chart {{ width: 100%; max-width: {width}px; height: auto; display: block;
                          margin-top: 4px; }}
@media screen and (max-width: 900px) {{
  #{id} .ak-scn-controls {{ grid-template-columns: minmax(0, 470px); }}
}}
#{id} .ak-scn-print {{ display: none; }}
#{id} table.ak-scn-table {{ border-collapse: collapse; font-size: 12px; margin: 4px 0; }}
#{id} table.ak-scn-table th, #{id} table.ak-scn-table td {{ padding: 4px 8px; text-align: right;
                                                           border: none; }}
#{id} table.ak-scn-table td {{ white-space: nowrap; font-variant-numeric: tabular-nums; }}
#{id} table.ak-scn-table thead th {{ border-bottom: 1px solid {rule}; vertical-align: bottom; }}
#{id} table.ak-scn-table tbody th {{ text-align: left; }}
#{id} table.ak-scn-table tbody tr:first-child {{ color: {muted}; }}
@media print {{
  #{id} .ak-scn-live {{ display: none !important; }}
  #{id} .ak-scn-print {{ display: block !important; }}
}}
"""


def explorer_html(baseline: Baseline, *, currency: str = DEFAULT_CURRENCY,
                  element_id: str | None = None) -> str:
    """The explorer as one ``<div>`` with inline CSS and script; works from a file, offline.

    Parameters
    ----------
    baseline
        Today's funnel; the sliders start at its values.
    currency
        ISO code of the engagement's currency (:mod:`alignkit.text.money`).
    element_id
        Id of the outer element. By default one made of the baseline and a
        serial number, unique within a notebook's run and the same when the
        report is made again, so several explorers can share a page.
    """
    seed = hashlib.sha256(repr((baseline, currency)).encode()).hexdigest()[:8]
    root = element_id or f"ak-scn-{seed}-{next(_SERIAL)}"
    width = 900
    specs = slider_specs(baseline)
    colours = {"ink": INK, "muted": MUTED, "rule": RULE, "grid": GRID, "today": TODAY_COLOUR,
               "scenario": _SCENARIO_COLOUR}
    config = {"id": root, "baseline": asdict(baseline), "today": today_values(baseline),
              "sliders": [asdict(s) for s in specs], "sign": currency_sign(currency),
              "formats": SUMMARY_FORMATS, "colours": colours, "width": width}
    today = today_values(baseline)
    controls = []
    for spec in specs:
        input_id = f"{root}-{spec.name}"
        controls.append(
            f"<div class='ak-scn-control'><label for='{input_id}'>"
            f"{escape_html(spec.description)}</label>"
            f"<input type='range' id='{input_id}' data-ak='{spec.name}' min='{spec.low!r}' "
            f"max='{spec.high!r}' step='{spec.step!r}' value='{today[spec.name]!r}'>"
            f"<output data-ak='{spec.name}' for='{input_id}'>"
            f"{escape_html(readout(spec, today[spec.name], currency))}</output></div>")
    controls.append("<button type='button' class='ak-scn-reset' data-ak='reset'>"
                    "Back to today</button>")
    table = scenario_table(baseline, compare_scenarios(baseline), currency=currency)
    css = _CSS.format(id=root, width=width, **colours)
    script = (f"(function () {{\n\"use strict\";\nconst CONFIG = {_script_json(config)};\n"
              f"{model_javascript()}{_FORMAT_JS}{_PAGE_JS}}})();")
    return (
        f"<div class='ak-scn' id='{root}'>\n<style>{css}</style>\n"
        "<div class='ak-scn-live'>\n"
        f"<p class='ak-scn-note'>{escape_html(PAGE_NOTE)}</p>\n"
        f"<div class='ak-scn-controls'>{''.join(controls)}</div>\n"
        f"{summary_html(summary_figures(baseline, Levers(), currency))}\n"
        f"<svg class='ak-scn-chart' xmlns='http://www.w3.org/2000/svg' role='img' "
        f"aria-label='Your scenario against today' viewBox='0 0 {width} 200' "
        f"font-family='DejaVu Sans, Liberation Sans, Arial, sans-serif'></svg>\n"
        "</div>\n<div class='ak-scn-print'>\n"
        "<p class='ak-scn-note'>The preset scenarios against today, a month (the interactive "
        "sliders are in the report's web page).</p>\n"
        f"{table.to_html(classes='ak-scn-table', border=0, escape=True)}\n</div>\n"
        f"<script>\n{script}\n</script>\n</div>")
