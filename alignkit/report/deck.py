"""The editable steering deck: one PowerPoint file per company, built with python-pptx.

Slides: title, the one-pager, maturity, heatmap, perception gaps, funnel, key
drivers (when the company has a driver view), plan and service level agreement,
execution status, recap changes and next steps; the stages chosen decide which
of them appear. Charts are native PowerPoint charts (their data sit in the
embedded sheet, so a consultant can restyle or edit them); the heatmap is a
native table with coloured cells. The narrative a report prints next to a
chart goes into the slide's speaker notes.

Every figure comes from the functions the stage reports use
(:func:`alignkit.report.onepager.company_facts`, which reads
:func:`alignkit.track.summary.load_engagement`, plus
:func:`alignkit.analysis.funnel.analyse_funnel` and
:func:`alignkit.track.recap.load_recap`): only the groups those functions publish
(at least the anonymity threshold) appear, and only this company's data.

A client template (``.pptx`` or ``.potx`` saved as ``.pptx``) lends its slide
masters, layouts, fonts and theme: slides are made from its layouts, picked by
their placeholders (a title-only layout for content, the title layout for the
cover), and the template's own slides are removed.
"""

from __future__ import annotations

import html
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from alignkit.exceptions import ReportError
from alignkit.report.formats import CompanyContext
from alignkit.report.onepager import STAGE_WORDS, CompanyFacts, company_facts

__all__ = ["build_deck", "plain_text", "write_deck"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPED = re.compile(r"\\(.)")
_EMPHASIS = re.compile(r"(?<!\\)\*{1,2}")
SLIDE_WIDTH_IN, SLIDE_HEIGHT_IN = 13.333, 7.5
BODY_PT, SMALL_PT, TABLE_PT = 16, 12, 12


def plain_text(markdown: str) -> str:
    """Report Markdown as plain text for slides and notes: emphasis and escapes removed."""
    text = _EMPHASIS.sub("", str(markdown))
    text = _ESCAPED.sub(r"\1", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    return _CONTROL.sub("", html.unescape(text)).strip()


def _typed(value: Any) -> str:
    """A value a user typed, as literal slide text (python-pptx writes it as XML text)."""
    return _CONTROL.sub("", str(value))


# -- the presentation and its layouts ------------------------------------------------------------
def _presentation(template: Path | None) -> Any:
    from pptx import Presentation
    from pptx.util import Inches

    if template is None:
        prs = Presentation()
        prs.slide_width, prs.slide_height = Inches(SLIDE_WIDTH_IN), Inches(SLIDE_HEIGHT_IN)
        return prs
    try:
        prs = Presentation(str(template))
    except Exception as err:  # noqa: BLE001 - python-pptx raises several kinds
        raise ReportError(f"{Path(template).name}: not a PowerPoint template python-pptx can "
                          f"read ({type(err).__name__})") from None
    slide_ids = prs.slides._sldIdLst  # the template's own slides go; its layouts stay
    for slide_id in list(slide_ids):
        prs.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)
    return prs


def _kinds(layout: Any) -> list[str]:
    return [str(ph.placeholder_format.type).split()[0].split(".")[-1] for ph in layout.placeholders]


def _layout(prs: Any, cover: bool) -> Any:
    """The template's layout for a cover (centre title) or a content slide (title only)."""
    layouts = list(prs.slide_layouts)

    def score(layout: Any) -> tuple[int, int]:
        kinds = _kinds(layout)
        titled = "CENTER_TITLE" in kinds if cover else "TITLE" in kinds
        others = [k for k in kinds if k not in ("TITLE", "CENTER_TITLE", "SUBTITLE", "DATE",
                                                 "FOOTER", "SLIDE_NUMBER")]
        return (0 if titled else 1, len(others))

    return min(layouts, key=score)


def _strip_placeholders(slide: Any, keep: tuple[str, ...]) -> None:
    """Remove the placeholders a slide will not fill, so no "Click to add" shows."""
    for ph in list(slide.placeholders):
        kind = str(ph.placeholder_format.type).split()[0].split(".")[-1]
        if kind not in keep:
            ph._element.getparent().remove(ph._element)


class _Deck:
    """Slides in the brand's look on the template's layouts."""

    def __init__(self, facts: CompanyFacts, template: Path | None) -> None:
        from pptx.dml.color import RGBColor
        from pptx.util import Emu

        self.facts = facts
        self.prs = _presentation(template)
        self.templated = template is not None
        self.accent = RGBColor.from_string(facts.brand.accent.lstrip("#"))
        self.width, self.height = Emu(self.prs.slide_width), Emu(self.prs.slide_height)
        self.logo = _logo_png(facts.brand.logo)
        self.company = _typed(facts.summary["name"])

    # geometry in inches of this presentation
    def inch(self, value: float) -> Any:
        from pptx.util import Inches

        return Inches(value)

    @property
    def w_in(self) -> float:
        return self.width / 914400

    @property
    def h_in(self) -> float:
        return self.height / 914400

    def slide(self, title: str, notes: str = "") -> Any:
        slide = self.prs.slides.add_slide(_layout(self.prs, cover=False))
        _strip_placeholders(slide, ("TITLE",))
        title_shape = slide.shapes.title
        if title_shape is None:
            title_shape = slide.shapes.add_textbox(self.inch(0.5), self.inch(0.3),
                                                   self.inch(self.w_in - 1), self.inch(0.9))
        # the title keeps the layout's font and theme but sits where the content expects it,
        # clear of the logo, on a template's layout as on ours
        title_shape.left, title_shape.top = self.inch(0.5), self.inch(0.3)
        title_shape.width, title_shape.height = self.inch(self.w_in - 2.2), self.inch(0.85)
        frame = title_shape.text_frame
        frame.text = title
        frame.word_wrap = True
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = self._pt(28 if self.w_in > 11 else 22)
                run.font.bold = True
                if not self.templated:
                    run.font.color.rgb = self.accent
        if not self.templated:
            from pptx.enum.text import PP_ALIGN

            paragraph = frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.LEFT
        self._chrome(slide)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def _pt(self, size: float) -> Any:
        from pptx.util import Pt

        return Pt(size)

    def _chrome(self, slide: Any) -> None:
        from pptx.enum.shapes import MSO_SHAPE

        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.width, self.inch(0.12))
        bar.fill.solid()
        bar.fill.fore_color.rgb = self.accent
        bar.line.fill.background()
        self.text(slide, f"{self.facts.brand.name} · prepared for {self.company} · confidential · "
                         f"as of {self.facts.summary['as_of']}",
                  0.5, self.h_in - 0.45, self.w_in - 1.0, 0.35, size=10, colour="6B7378")
        if self.logo is not None:
            slide.shapes.add_picture(io.BytesIO(self.logo), self.inch(self.w_in - 1.2),
                                     self.inch(0.35), height=self.inch(0.6))

    def text(self, slide: Any, text: str | list[str], left: float, top: float, width: float,
             height: float, *, size: float = BODY_PT, bold: bool = False,
             colour: str | None = None, bullets: bool = False) -> Any:
        from pptx.dml.color import RGBColor

        box = slide.shapes.add_textbox(self.inch(left), self.inch(top), self.inch(width),
                                       self.inch(height))
        frame = box.text_frame
        frame.word_wrap = True
        lines = [text] if isinstance(text, str) else list(text)
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = ("• " if bullets else "") + line
            run.font.size = self._pt(size)
            run.font.bold = bold
            if colour:
                run.font.color.rgb = RGBColor.from_string(colour)
            paragraph.space_after = self._pt(size * 0.5)
        return box

    def cover(self, subtitle: str) -> None:
        slide = self.prs.slides.add_slide(_layout(self.prs, cover=True))
        _strip_placeholders(slide, ("TITLE", "CENTER_TITLE", "SUBTITLE"))
        title = slide.shapes.title
        if title is None:
            title = self.text(slide, "", 0.8, 2.2, self.w_in - 1.6, 1.4)
        if not self.templated:  # the default layouts are 4:3: place the cover on this slide
            title.left, title.top = self.inch(0.8), self.inch(2.0)
            title.width, title.height = self.inch(self.w_in - 1.6), self.inch(1.5)
        title.text_frame.text = self.company
        title.text_frame.word_wrap = True
        for run in title.text_frame.paragraphs[0].runs:
            run.font.size = self._pt(40)
            run.font.bold = True
            if not self.templated:
                run.font.color.rgb = self.accent
        sub = [p for p in slide.placeholders
               if str(p.placeholder_format.type).split()[0].endswith("SUBTITLE")]
        if sub:
            if not self.templated:
                sub[0].left, sub[0].top = self.inch(0.8), self.inch(3.7)
                sub[0].width, sub[0].height = self.inch(self.w_in - 1.6), self.inch(1.6)
            sub[0].text_frame.text = subtitle
            for paragraph in sub[0].text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = self._pt(22)
        else:
            self.text(slide, subtitle, 0.8, 3.8, self.w_in - 1.6, 1.0, size=20)
        self._chrome(slide)
        slide.notes_slide.notes_text_frame.text = (
            f"Steering deck for {self.company}, prepared by {self.facts.brand.name}. Every figure "
            "is the one the stage reports state; groups smaller than the anonymity threshold "
            "are never shown.")

    # -- native charts and tables ----------------------------------------------------------------
    def chart(self, slide: Any, kind: str, categories: list[str], series: dict[str, list[float]],
              *, left: float = 0.5, top: float = 1.3, width: float | None = None,
              height: float | None = None, number_format: str = "0.0",
              value_range: tuple[float, float] | None = None, colours: list[str] | None = None,
              legend: bool = True, reverse: bool = False, axis_format: str | None = None) -> Any:
        from pptx.chart.data import CategoryChartData
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

        data = CategoryChartData(number_format=number_format)
        data.categories = categories
        for name, values in series.items():
            data.add_series(name, [None if v is None or pd.isna(v) else float(v) for v in values])
        width = width if width is not None else self.w_in - 1.0
        height = height if height is not None else self.h_in - 2.0
        chart = slide.shapes.add_chart(getattr(XL_CHART_TYPE, kind), self.inch(left), self.inch(top),
                                       self.inch(width), self.inch(height), data).chart
        chart.font.size = self._pt(SMALL_PT)
        chart.has_title = False
        chart.has_legend = legend and len(series) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.TOP
            chart.legend.include_in_layout = False
            chart.legend.font.size = self._pt(SMALL_PT)
        plot = chart.plots[0]
        plot.has_data_labels = True
        labels = plot.data_labels
        labels.number_format, labels.number_format_is_linked = number_format, False
        # two bars per category: thicker bars and smaller labels, so no two labels touch
        labels.font.size = self._pt(10 if len(series) > 1 and len(categories) > 8 else 11)
        if hasattr(plot, "gap_width"):
            plot.gap_width = 25 if len(series) > 1 and len(categories) > 8 else 60
            plot.overlap = 0
        value_axis = chart.value_axis
        value_axis.has_major_gridlines = False
        value_axis.tick_labels.font.size = self._pt(SMALL_PT)
        value_axis.tick_labels.number_format = axis_format or number_format
        value_axis.tick_labels.number_format_is_linked = False
        if value_range is not None:
            value_axis.minimum_scale, value_axis.maximum_scale = value_range
        chart.category_axis.tick_labels.font.size = self._pt(SMALL_PT)
        chart.category_axis.reverse_order = reverse
        for i, s in enumerate(plot.series):
            colour = (colours or [self.facts.brand.accent])[i % len(colours or [0])]
            s.format.fill.solid()
            s.format.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))
        return chart

    def table(self, slide: Any, header: list[str], rows: list[list[str]], widths: list[float], *,
              left: float = 0.5, top: float = 1.3, size: float = TABLE_PT,
              fills: list[list[str | None]] | None = None, row_height: float = 0.38) -> Any:
        from pptx.dml.color import RGBColor

        room = self.w_in - left - 0.5  # a narrower (e.g. 4:3) template: the widest column gives way
        if sum(widths) > room:
            widths = list(widths)
            wide = widths.index(max(widths))
            widths[wide] = max(1.5, widths[wide] - (sum(widths) - room))
            if sum(widths) > room:
                widths = [w * room / sum(widths) for w in widths]
        shape = slide.shapes.add_table(len(rows) + 1, len(header), self.inch(left), self.inch(top),
                                       self.inch(sum(widths)), self.inch(row_height * (len(rows) + 1)))
        table = shape.table
        for j, width in enumerate(widths):
            table.columns[j].width = self.inch(width)
        for i in range(len(rows) + 1):
            table.rows[i].height = self.inch(row_height)
        for i, values in enumerate([header, *rows]):
            for j, value in enumerate(values):
                cell = table.cell(i, j)
                cell.margin_top = cell.margin_bottom = self.inch(0.03)
                frame = cell.text_frame
                frame.word_wrap = True
                frame.text = _typed(value)
                for paragraph in frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = self._pt(size)
                        run.font.bold = i == 0
                fill = self.facts.brand.accent if i == 0 else (
                    fills[i - 1][j] if fills is not None else None)
                if fill:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#"))
                    dark = _dark(fill)
                    for paragraph in frame.paragraphs:
                        for run in paragraph.runs:
                            run.font.color.rgb = RGBColor.from_string("FFFFFF" if dark else "2D3436")
                elif i > 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string("FFFFFF" if i % 2 else "F4F5F5")
                    for paragraph in frame.paragraphs:
                        for run in paragraph.runs:
                            run.font.color.rgb = RGBColor.from_string("2D3436")
        return table

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def _dark(colour: str) -> bool:
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5


@lru_cache(maxsize=4)  # a batch draws the brand's logo once, not once per company
def _logo_png(uri: str) -> bytes | None:
    """The brand's logo as PNG or JPEG bytes for a slide (an SVG is drawn by Chromium), or ``None``."""
    import base64

    if not uri:
        return None
    kind, payload = uri.split(",", 1)
    data = base64.b64decode(payload)
    if "svg" not in kind:
        return data
    return _svg_to_png(data)


def _svg_to_png(svg: bytes) -> bytes | None:
    """Draw an SVG logo at 4x with the system Chromium; ``None`` when that is not possible."""
    import subprocess
    import tempfile

    from alignkit.report.html import CHROMIUM_FLAGS, find_chromium

    try:
        chromium = find_chromium()
    except ReportError:
        return None
    with tempfile.TemporaryDirectory(prefix="alignkit-logo-") as folder:
        page, shot = Path(folder) / "logo.html", Path(folder) / "logo.png"
        page.write_text("<html><body style='margin:0;background:transparent'><img style="
                        "'height:240px;display:block' src='data:image/svg+xml;base64,"
                        + __import__("base64").b64encode(svg).decode("ascii") + "'></body></html>",
                        encoding="utf-8")
        try:
            subprocess.run([chromium, "--headless", *CHROMIUM_FLAGS, "--hide-scrollbars",
                            "--default-background-color=00000000", "--window-size=240,240",
                            f"--screenshot={shot}", page.as_uri()], check=False, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return _trimmed(shot.read_bytes()) if shot.is_file() else None


def _trimmed(png: bytes) -> bytes:
    """The PNG without its transparent margin."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    box = image.getbbox()
    out = io.BytesIO()
    (image.crop(box) if box else image).save(out, format="PNG")
    return out.getvalue()


# -- the slides ------------------------------------------------------------------------------------
def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"].astype(bool)] if "suppressed" in frame else frame


def _score_fill(mean: float) -> str:
    from matplotlib.colors import to_hex

    from alignkit.charts.style import SCORE_CMAP, SCORE_NORM

    return to_hex(SCORE_CMAP(SCORE_NORM(mean)))


def _onepager_slide(deck: _Deck) -> None:
    facts, doc = deck.facts, deck.facts.summary
    mid = round(deck.w_in * 0.525, 2)  # the right-hand column starts here
    slide = deck.slide("At a glance", notes="The executive one-pager: index and maturity, the "
                       "three findings that matter most, the agreed actions, the service level "
                       "agreement and the next date.")
    if doc["index"] is not None:
        head = (f"Alignment index {doc['index']:.0f} of 100 (level {doc['maturity']['level']}, "
                f"{doc['maturity']['name']})")
    else:
        head = f"Alignment index: not available for wave {doc['wave']}"
    heads = [head] + ([f"Maturity on the HBR 2006 framework: level {facts.hbr['level']} "
                       f"({facts.hbr['level_name']})"] if facts.hbr else [])
    deck.text(slide, heads, 0.5, 1.15, deck.w_in - 1.0, 0.9, size=18, bold=True)
    findings = [f"{f['name']}: {f['headline']}; {f['detail']}" for f in facts.findings] or [
        "No survey findings can be shown for this wave."]
    deck.text(slide, f"Top findings (by {facts.ranked_by})", 0.5, 2.25, mid - 0.9, 0.4,
              size=14, bold=True, colour=facts.brand.accent.lstrip("#"))
    deck.text(slide, findings, 0.5, 2.7, mid - 0.9, 3.6, size=14, bullets=True)
    deck.text(slide, "Service level agreement", mid, 2.25, deck.w_in - mid - 0.5, 0.4, size=14,
              bold=True, colour=facts.brand.accent.lstrip("#"))
    deck.text(slide, list(facts.sla_lines), mid, 2.7, deck.w_in - mid - 0.5, 1.7, size=14)
    nxt = facts.next_date
    deck.text(slide, "Next date", mid, 4.55, deck.w_in - mid - 0.5, 0.4, size=14, bold=True,
              colour=facts.brand.accent.lstrip("#"))
    deck.text(slide, (f"{nxt['date']}: " if nxt["date"] else "") + _typed(nxt["what"]) + ".",
              mid, 5.0, deck.w_in - mid - 0.5, 1.4, size=14)


def _maturity_slide(deck: _Deck) -> None:
    from alignkit.charts.insight_text import hbr_maturity_markdown
    from alignkit.charts.style import team_label

    eng, doc = deck.facts.engagement, deck.facts.summary
    shown = _shown(eng.scores.index).dropna(subset=["index"])
    categories = [f"{team_label(str(g))} (n={int(n)})" for g, n in zip(shown["group"], shown["n"],
                                                                        strict=True)]
    values = [round(float(v), 1) for v in shown["index"]]
    notes = plain_text(hbr_maturity_markdown(eng.scores))
    title = (f"Alignment index {doc['index']:.0f} of 100: level {doc['maturity']['level']}, "
             f"{doc['maturity']['name']}" if doc["index"] is not None else "Alignment index")
    slide = deck.slide(title, notes=notes)
    deck.chart(slide, "COLUMN_CLUSTERED", categories, {"Alignment index (0-100)": values},
               value_range=(0, 100), width=deck.w_in - 1.0, height=deck.h_in - 2.0,
               axis_format="0")


def _heatmap_slide(deck: _Deck) -> None:
    from alignkit.charts.identify_text import key_findings
    from alignkit.charts.style import team_label

    scores = deck.facts.engagement.scores
    dims = _shown(scores.dimensions)
    groups = [g for g in dict.fromkeys(dims["group"].astype(str))]
    sizes = {str(g): int(n) for g, n in zip(_shown(scores.sizes)["group"], _shown(scores.sizes)["n"],
                                            strict=True)}
    order = list(dict.fromkeys(dims["dimension"]))
    names = dims.drop_duplicates("dimension").set_index("dimension")["dimension_name"]
    grid = dims.pivot_table(index="dimension", columns=dims["group"].astype(str), values="mean",
                            observed=True, aggfunc="first")
    header = ["Facet (mean score 1-5)"] + [f"{team_label(g)}\n(n={sizes.get(g, '?')})" for g in groups]
    rows, fills = [], []
    for d in order:
        values = [grid.at[d, g] if g in grid.columns else float("nan") for g in groups]
        rows.append([str(names[d])] + ["–" if pd.isna(v) else f"{v:.1f}" for v in values])
        fills.append([None] + [None if pd.isna(v) else _score_fill(float(v)) for v in values])
    hidden = (f" Groups with fewer than {scores.threshold} respondents are not shown."
              if scores.hidden else "")
    slide = deck.slide("Where the teams stand, facet by facet",
                       notes=plain_text(key_findings(scores)) + hidden)
    first = min(5.6, round(0.33 * deck.w_in, 2))
    rest = (deck.w_in - 1.0 - first) / max(1, len(groups))
    row_h = min(0.38, (deck.h_in - 2.0) / (len(rows) + 1))
    deck.table(slide, header, rows, [first] + [rest] * len(groups), top=1.25, fills=fills,
               size=9 if deck.w_in < 11 else 11 if len(rows) > 12 else TABLE_PT, row_height=row_h)


def _gap_slide(deck: _Deck) -> None:
    from alignkit.charts.identify_text import key_findings

    scores = deck.facts.engagement.scores
    gaps = scores.gaps
    slide = deck.slide("How sales and marketing see each facet",
                       notes=plain_text(key_findings(scores)))
    if gaps.empty:
        deck.text(slide, f"Sales and marketing cannot be compared: one of the two teams has fewer "
                         f"than {scores.threshold} respondents.", 0.5, 1.5, deck.w_in - 1, 1.0)
        return
    from alignkit.charts.style import team_colour

    names = [str(n) + (" ◆" if clear else "") for n, clear in zip(gaps["dimension_name"],
                                                                   gaps["clear"], strict=True)]
    deck.chart(slide, "BAR_CLUSTERED", names,
               {f"Sales (n={int(gaps['n_a'].max())})": list(gaps["a_mean"]),
                f"Marketing (n={int(gaps['n_b'].max())})": list(gaps["b_mean"])},
               value_range=(1, 5), colours=[team_colour("sales"), team_colour("marketing")],
               reverse=True, top=1.2, height=deck.h_in - 2.0)
    deck.text(slide, "Mean score, 1 (strongly disagree) to 5 (strongly agree). ◆ the gap is "
                     "clear (bootstrap, Holm-adjusted).", 0.5, deck.h_in - 0.8, deck.w_in - 1.0,
              0.35, size=11, colour="6B7378")


def _funnel_slide(deck: _Deck) -> None:
    from alignkit.analysis.funnel import analyse_funnel
    from alignkit.charts.identify_text import funnel_overview
    from alignkit.store.funnel import load_funnel

    eng = deck.facts.engagement
    try:
        crm = analyse_funnel(*load_funnel(deck.workspace, eng.company.slug),
                             sla_hours=eng.settings.sla_hours)
    except Exception:  # noqa: BLE001 - no CRM data for this company: no funnel slide
        return
    wf = crm.waterfall[crm.waterfall["tracked"].astype(bool)]
    slide = deck.slide("The funnel from lead to won deal", notes=plain_text(
        funnel_overview(crm, eng.company.name, kpis=eng.snapshot.kpi_baselines())))
    series = {"Marketing-sourced": list(wf["marketing"]), "Sales-sourced": list(wf["sales"])}
    if wf["other"].sum() > 0:
        series["Other"] = list(wf["other"])
    from alignkit.charts.style import team_colour

    chart = deck.chart(slide, "COLUMN_CLUSTERED", [str(x) for x in wf["label"]], series,
                       number_format="#,##0", colours=[team_colour("marketing"),
                                                       team_colour("sales"), team_colour("other")])
    chart.plots[0].gap_width = 40


def _drivers_slide(deck: _Deck) -> None:
    from alignkit.charts.insight_text import drivers_markdown

    drivers = deck.facts.drivers
    if drivers is None or not drivers.available or drivers.table.empty:
        return
    table = drivers.table
    slide = deck.slide("What moves the sense of working as one team",
                       notes=plain_text(drivers_markdown(drivers)))
    deck.chart(slide, "BAR_CLUSTERED", [str(n) for n in table["dimension_name"]],
               {"Share of R² (general dominance)": [round(float(v), 4) for v in table["importance"]]},
               number_format="0.000", reverse=True, top=1.2, height=deck.h_in - 2.0)
    whose = "this company's answers" if drivers.source == "company" else "the pooled answers"
    deck.text(slide, f"From {whose} (n = {drivers.n}); the facets together explain "
                     f"{drivers.r2:.0%} of the outcome statement.", 0.5, deck.h_in - 0.8,
              deck.w_in - 1.0, 0.35, size=11, colour="6B7378")


def _plan_slide(deck: _Deck) -> None:
    from alignkit.plan.sla import agreement_markdown

    facts = deck.facts
    eng = facts.engagement
    actions = [a for a in facts.summary["actions"] if a["status"] != "dropped"]
    slide = deck.slide("The joint plan and the service level agreement", notes=plain_text(
        agreement_markdown(eng.agreement, company=eng.company.name, currency=eng.currency)))
    rows = [[str(a["id"]), a["title"], a["sales_owner"] or "to be named",
             a["marketing_owner"] or "to be named", a["due"] or "–"] for a in actions]
    if not rows:
        deck.text(slide, "No action has been agreed yet.", 0.5, 1.4, deck.w_in - 1.0, 0.6)
        deck.text(slide, list(facts.sla_lines), 0.5, 2.2, deck.w_in - 1.0, 1.2, size=15)
        return
    deck.table(slide, ["#", "Action", "Sales owner", "Marketing owner", "Due"], rows,
               [0.5, 6.2, 1.9, 2.0, 1.7], top=1.25, size=13, row_height=0.4)
    deck.text(slide, list(facts.sla_lines), 0.5, deck.h_in - 1.75, deck.w_in - 1.0, 1.2, size=15)


def _execute_slide(deck: _Deck) -> None:
    from alignkit.track.actions import STATUS_LABELS, execute_findings

    eng = deck.facts.engagement
    status = eng.status.sort_values("id")
    status = status[status["status"] != "dropped"]
    if status.empty:
        return
    slide = deck.slide(f"Where the actions stand on {eng.as_of.isoformat()}", notes=plain_text(
        execute_findings(eng.status, as_of=eng.as_of)))
    rows, fills = [], []
    for r in status.itertuples(index=False):
        late = bool(r.late)
        rows.append([str(int(r.id)), _typed(r.title), r.due.date().isoformat() if pd.notna(r.due)
                     else "–", STATUS_LABELS.get(r.status, r.status) + (" (late)" if late else ""),
                     "–" if pd.isna(r.progress) else f"{r.progress:.0%}"])
        fills.append([None, None, None, "F6D6D2" if late else None, None])
    row_h = min(0.45, (deck.h_in - 2.2) / (len(rows) + 1))
    deck.table(slide, ["#", "Action", "Due", "Status", "Progress"], rows, [0.5, 6.6, 1.7, 2.1, 1.4],
               top=1.3, size=13, row_height=row_h, fills=fills)


def _recap_slides(deck: _Deck, rc: Any) -> None:
    from alignkit.charts.recap_text import recap_findings

    if rc is None or not rc.has_followup or rc.changes.empty:
        return
    overall = rc.changes[rc.changes["group"].astype(str) == "overall"]
    if overall.empty:
        return
    slide = deck.slide(f"What moved between {rc.baseline} and {rc.followup}",
                       notes=plain_text(recap_findings(rc)))
    names = [str(n) + (" ◆" if s else "") for n, s in zip(overall["dimension_name"],
                                                           overall["significant"], strict=True)]
    deck.chart(slide, "BAR_CLUSTERED", names,
               {f"{_typed(rc.baseline).capitalize()} (n={int(overall['n_before'].max())})":
                list(overall["before"]),
                f"{_typed(rc.followup).capitalize()} (n={int(overall['n_after'].max())})":
                list(overall["after"])},
               value_range=(1, 5), colours=["#A9B2B7", deck.facts.brand.accent], reverse=True,
               top=1.2, height=deck.h_in - 2.0)
    deck.text(slide, "Mean score of all respondents, 1 to 5. ◆ the change is clear "
                     "(bootstrap, Holm-adjusted).", 0.5, deck.h_in - 0.8, deck.w_in - 1.0, 0.35,
              size=11, colour="6B7378")


def _next_steps_slide(deck: _Deck, rc: Any) -> None:
    facts = deck.facts
    items: list[str] = []
    notes = ""
    if rc is not None and rc.has_followup:
        from alignkit.charts.recap_text import next_cycle
        from alignkit.track.kpis import kpi_summary

        eng = facts.engagement
        advice = next_cycle(rc, kpi_summary(eng.series, eng.kpis), eng.status)
        notes = "\n".join(plain_text(a) for a in advice)
        items = [_shorten(plain_text(a)) for a in advice][:5]
    nxt = facts.next_date
    items.append((f"Next date {nxt['date']}: " if nxt["date"] else "") + _typed(nxt["what"]))
    slide = deck.slide("Next steps", notes=notes or "The next date of the plan.")
    deck.text(slide, items, 0.5, 1.3, deck.w_in - 1.0, deck.h_in - 2.0, size=16, bullets=True)


def _shorten(text: str, limit: int = 240) -> str:
    """``text`` within ``limit`` characters for a slide (the notes keep it whole).

    A point reads "list: what to do"; when it is too long the list loses its
    last names ("and others"), the instruction after the colon stays whole.

    >>> _shorten("Keep what worked on Alpha, Beta, Gamma, Delta: write it down.", 60)
    'Keep what worked on Alpha, Beta and others: write it down.'
    """
    if len(text) <= limit:
        return text
    head, sep, tail = text.partition(": ")
    if sep and ", " in head:
        names = head.split(", ")
        while len(names) > 1 and len(", ".join(names)) + len(" and others: ") + len(tail) > limit:
            names.pop()
        return f"{', '.join(names)} and others: {tail}"
    cut = text[:limit].rfind(";")
    return (text[:cut] if cut > 0 else text[:limit].rsplit(" ", 1)[0]).rstrip(",;: ") + \
        " and more (see the notes)."


def build_deck(context: CompanyContext, facts: CompanyFacts | None = None) -> bytes:
    """The steering deck of ``context.company`` as ``.pptx`` bytes."""
    from alignkit.store.workspace import as_workspace

    facts = facts or company_facts(context)
    deck = _Deck(facts, context.template)
    deck.workspace = as_workspace(context.workspace)
    stages = list(context.stages)
    cycle = " → ".join(STAGE_WORDS.get(s, s) for s in stages)
    deck.cover(f"Sales and marketing as one team · steering meeting\n{cycle} · as of "
               f"{facts.summary['as_of']} · {facts.brand.name}")
    _onepager_slide(deck)
    scores = facts.engagement.scores
    if "identify" in stages and scores is not None:
        if facts.summary["index"] is not None:
            _maturity_slide(deck)
        _heatmap_slide(deck)
        _gap_slide(deck)
        _funnel_slide(deck)
        _drivers_slide(deck)
    if "plan" in stages:
        _plan_slide(deck)
    if "execute" in stages:
        _execute_slide(deck)
    rc = None
    if "recap" in stages and scores is not None:
        from alignkit.track.recap import load_recap

        rc = load_recap(context.company, context.wave, context.followup_wave,
                        workspace=deck.workspace, anonymity_min=context.anonymity_min)
        _recap_slides(deck, rc)
    _next_steps_slide(deck, rc)
    return deck.to_bytes()


def write_deck(context: CompanyContext, out: str | Path) -> Path:
    """Write the deck to ``out`` and return its path."""
    from alignkit.report.render import write_atomic

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, build_deck(context))
    return target
