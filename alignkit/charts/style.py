"""The shared look of alignkit's charts: palette, type sizes and layout helpers.

Every chart module builds its figures with these helpers so that all reports
share one style: 10 in wide, a bold left-aligned title, a grey "how to read
this" line, no top/right spines, and the team palette :data:`TEAM_COLOURS`.
Figures are built without pyplot, so nothing leaks between reports.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd
from matplotlib import cbook, rcParams
from matplotlib.axes import Axes
from matplotlib.backend_bases import register_backend
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from alignkit.charts.svg import agg_text_width
from alignkit.text.labels import TEAM_LABELS

# SVG ids (clip paths, glyphs) come from a salted hash: a fixed salt makes the same chart
# the same bytes every time, so a report rendered twice is byte-identical.
rcParams["svg.hashsalt"] = "alignkit"
rcParams["svg.fonttype"] = "path"  # text as outlines: a chart never depends on the reader's fonts
# Text stays outlines (no dependence on the reader's fonts), but each string's glyph layout
# and each glyph's path data are worked out once per process: see alignkit.charts.svg.
register_backend("svg", "alignkit.charts.svg", "Scalable Vector Graphics")

__all__ = [
    "BAND_CMAP", "FIG_WIDTH", "GRID", "GROUP_ORDER", "INK", "MARGIN", "MUTED", "ROW_LABEL",
    "ROW_LABEL_WIDTH", "RULE", "SCALE_NAMES", "SCORE_CMAP", "SCORE_COLUMNS", "SCORE_NORM", "TEAM_COLOURS",
    "TEAM_LABELS", "group_info", "hidden_note", "labelled_axes", "message_figure", "new_figure",
    "ordered_groups", "rect", "require_columns", "row_height", "row_grid", "row_labels",
    "style_axes", "team_colour", "team_label", "text_width", "wrap",
]

TEAM_COLOURS: dict[str, str] = {"sales": "#1F5F8B", "marketing": "#E07A1F",
                                 "leadership": "#6B5B95", "other": "#7F8C8D",
                                 "overall": "#2D3436"}
#: Order in which groups appear in every chart; unknown groups follow in input order.
GROUP_ORDER: tuple[str, ...] = ("overall", "sales", "marketing", "leadership", "other")

FIG_WIDTH = 10.0  # inches, every chart
MARGIN = 0.2  # inches, outer margin left/right
INK, MUTED, RULE, GRID = "#2D3436", "#6B7378", "#C9CED1", "#ECEEEF"  # text, notes, axes, grid
# Diverging 1-5 scale, neutral at 3: brick red -> amber -> cream -> teal. Red/teal stays
# distinguishable for red-green colour-blind readers, unlike a red/green scale.
SCORE_CMAP = LinearSegmentedColormap.from_list(
    "alignkit_score", ["#B2352B", "#EE9A4D", "#F7F1DC", "#72B7AC", "#17706A"])
SCORE_NORM = Normalize(vmin=1, vmax=5)
SCALE_NAMES = ("Strongly\ndisagree", "Disagree", "Neutral", "Agree", "Strongly\nagree")
BAND_CMAP = LinearSegmentedColormap.from_list("alignkit_bands", ["#F1F1EE", "#BFDCD5"])
ROW_LABEL = "row label"  # artist label of the texts written by :func:`row_labels`


def team_label(group: str) -> str:
    return TEAM_LABELS.get(group, str(group).replace("_", " ").capitalize())


def team_colour(group: str) -> str:
    return TEAM_COLOURS.get(group, TEAM_COLOURS["other"])


def ordered_groups(groups: Iterable[str]) -> list[str]:
    present = list(dict.fromkeys(groups))
    return [g for g in GROUP_ORDER if g in present] + [g for g in present if g not in GROUP_ORDER]


#: Characters per line of a wrapped dimension name beside a chart's rows.
ROW_LABEL_WIDTH = 30


def wrap(text: str, width: int = ROW_LABEL_WIDTH) -> str:
    return textwrap.fill(str(text), width, break_long_words=False, break_on_hyphens=False)


def rect(fig: Figure, left: float, bottom: float, width: float, height: float) -> tuple:
    """Convert an axes rectangle given in inches into figure fractions."""
    w, h = fig.get_size_inches()
    return (left / w, bottom / h, width / w, height / h)


def text_width(texts: Iterable[str], size: float = 10, weight: str = "normal") -> float:
    """Width in inches of the widest of ``texts`` when rendered at ``size`` points."""
    font = FontProperties(size=size, weight=weight)  # the current default family and style
    return max((_pixel_width(text, font) for text in texts), default=0.0) / _PROBE_DPI


_PROBE_DPI = 100
_probes = threading.local()  # one measuring text per thread: matplotlib is not thread-safe


def _probe() -> tuple[Text, RendererAgg]:
    """This thread's off-screen text and renderer used to measure strings."""
    if not hasattr(_probes, "text"):
        fig = Figure(dpi=_PROBE_DPI)
        _probes.renderer = FigureCanvasAgg(fig).get_renderer()
        _probes.text = fig.text(0, 0, "")
    return _probes.text, _probes.renderer


@lru_cache(maxsize=4096)
def _pixel_width(text: str, font: FontProperties) -> float:
    """Rendered width of ``text`` in pixels at 100 dpi; cached, as reports repeat their labels.

    As matplotlib's Agg renderer lays a text out: the widest of its lines. Plain
    text is measured straight from the font (see :func:`~alignkit.charts.svg.agg_text_width`),
    math text by laying it out.
    """
    lines = text.split("\n")
    if any(cbook.is_math_text(line) for line in lines):
        probe, renderer = _probe()
        probe.set_fontproperties(font)
        probe.set_text(text)
        return probe.get_window_extent(renderer).width
    return max((agg_text_width(line.replace(r"\$", "$"), font, _PROBE_DPI)
                for line in lines if line), default=0.0)


def new_figure(title: str, subtitle: str, body: float, *, top: float, bottom: float) -> Figure:
    """A 10-inch-wide figure with title and subtitle above ``top + body + bottom`` inches."""
    title, subtitle = wrap(title, 78), wrap(subtitle, 112)
    t_lines, s_lines = title.count("\n") + 1, subtitle.count("\n") + 1 if subtitle else 0
    head = 0.4 + 0.3 * t_lines + 0.2 * s_lines
    fig = Figure(figsize=(FIG_WIDTH, head + top + body + bottom), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)  # renders without pyplot or any global state
    height = fig.get_figheight()
    fig.text(MARGIN / FIG_WIDTH, 1 - 0.15 / height, title, ha="left", va="top", fontsize=15,
             fontweight="bold", color=INK, linespacing=1.25)
    fig.text(MARGIN / FIG_WIDTH, 1 - (0.2 + 0.3 * t_lines) / height, subtitle, ha="left",
             va="top", fontsize=10.5, color=MUTED, linespacing=1.35)
    return fig


def labelled_axes(title: str, subtitle: str, labels: list[str], *, row: float, top: float,
                   bottom: float, right: float = MARGIN, extra: float = 0.0,
                   max_width: float = FIG_WIDTH) -> tuple[Figure, Axes]:
    """A figure whose axes has one row per label, leaving room for the wrapped labels."""
    body = row_height(labels, row) * len(labels) + extra
    fig = new_figure(title, subtitle, body, top=top, bottom=bottom)
    left = MARGIN + text_width(labels) + 0.15
    width = min(FIG_WIDTH - left - right, max_width)
    return fig, fig.add_axes(rect(fig, left, bottom, width, body))


def message_figure(title: str, message: str) -> Figure:
    """A small figure standing in for a chart that cannot be drawn."""
    fig = new_figure(title, "", 0.9, top=0.0, bottom=0.15)
    ax = fig.add_axes(rect(fig, MARGIN, 0.15, FIG_WIDTH - 2 * MARGIN, 0.9))
    ax.set_axis_off()
    ax.add_patch(Rectangle((0, 0), 1, 1, facecolor="#F5F6F7", edgecolor="none"))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11.5, color=MUTED)
    return fig


def style_axes(ax: Axes, grid: str | None = None) -> None:
    """Apply the shared look: no top/right spines, light remaining spines, light grid."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(RULE)
    ax.tick_params(labelsize=10, labelcolor=INK, length=0, pad=6)
    if grid:
        ax.grid(axis=grid, color=GRID, linewidth=0.9)
        ax.set_axisbelow(True)


def row_labels(ax: Axes, positions: Iterable[float], labels: Iterable[str], *,
               pad: float = 6) -> None:
    """Write one label per row left of ``ax``, exactly where y tick labels would be drawn.

    matplotlib builds a whole tick (three lines and two texts) for each tick label, the
    main cost of building a chart with a label per row; plain texts look the same. The
    y axis is left without ticks. ``pad`` is the gap in points, as in ``tick_params``.
    The texts carry the artist label :data:`ROW_LABEL`.
    """
    ax.set_yticks([])
    transform, va, ha = ax.get_yaxis_text1_transform(pad)
    for y, label in zip(positions, labels, strict=True):
        ax.text(0, y, label, transform=transform, va=va, ha=ha, fontsize=10, color=INK,
                clip_on=False, label=ROW_LABEL)


def row_grid(ax: Axes, positions: Iterable[float]) -> None:
    """Horizontal grid lines at ``positions``, as ``style_axes(ax, grid="y")`` draws at ticks.

    For axes whose rows are labelled with :func:`row_labels` (no y ticks, so no grid
    lines of their own). One collection, drawn just above the axes' own (x) grid lines.
    """
    lines = LineCollection([[(0, y), (1, y)] for y in positions], colors=GRID, linewidths=0.9,
                           capstyle=rcParams["lines.solid_capstyle"], zorder=0.6,
                           transform=ax.get_yaxis_transform(which="grid"))
    ax.add_collection(lines, autolim=False)


def row_height(labels: Sequence[str], base: float) -> float:
    lines = max((s.count("\n") + 1 for s in labels), default=1)
    return max(base, 0.17 * lines + 0.14)


#: Columns of a dimension score frame (see :func:`alignkit.analysis.scoring.dimension_scores`).
SCORE_COLUMNS = ("dimension", "dimension_name", "group", "n", "mean", "favourable", "suppressed")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the columns ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def group_info(frame: pd.DataFrame) -> pd.DataFrame:
    """Per group (chart order): ``suppressed`` (every row hidden) and ``n`` (largest shown)."""
    hidden = frame["suppressed"].astype(bool).to_numpy()
    sizes, groups = frame["n"].to_numpy(float), frame["group"].to_numpy()
    order = ordered_groups(frame["group"])
    n, suppressed = [], []
    for group in order:
        rows = groups == group
        shown = rows & ~hidden
        n.append(sizes[shown].max() if shown.any() else sizes[rows].max())
        suppressed.append(not shown.any())
    return pd.DataFrame({"n": n, "suppressed": suppressed}, index=pd.Index(order, name="group"))


def hidden_note(n: float, anonymity_min: int, *, short: bool = False) -> str:
    """Why a group is hidden: too small itself, or hidden so smaller ones cannot be inferred."""
    if n < anonymity_min:
        return f"fewer than {anonymity_min}" + ("" if short else " respondents, not shown")
    return "not shown" + ("" if short else ", so that smaller groups cannot be inferred")
