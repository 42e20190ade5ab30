"""Charts for alignkit's per-company reports.

Every public function takes a DataFrame produced by the scoring module and returns a
:class:`matplotlib.figure.Figure` built directly (never through the global pyplot
state), so figures need no display or backend selection and nothing leaks between
reports. Nothing here shows or saves a figure; the report module decides how to embed it.

All charts share one look: 10-inch-wide figures, a bold left-aligned title with a grey
"how to read this" line under it, no top/right spines and the team palette in
:data:`TEAM_COLOURS`. Groups below the anonymity threshold (``suppressed``) are never
drawn, whatever values their rows carry.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = [
    "TEAM_COLOURS",
    "TEAM_LABELS",
    "GROUP_ORDER",
    "heatmap",
    "gap_chart",
    "maturity_chart",
    "favourability_bars",
]

TEAM_COLOURS: dict[str, str] = {
    "sales": "#1F5F8B",
    "marketing": "#E07A1F",
    "leadership": "#6B5B95",
    "other": "#7F8C8D",
    "overall": "#2D3436",
}
TEAM_LABELS: dict[str, str] = {
    "sales": "Sales",
    "marketing": "Marketing",
    "leadership": "Leadership",
    "other": "Other",
    "overall": "All respondents",
}
#: Order in which groups appear in every chart; unknown groups follow in input order.
GROUP_ORDER: tuple[str, ...] = ("overall", "sales", "marketing", "leadership", "other")

FIG_WIDTH = 10.0  # inches, every chart
MARGIN = 0.2  # inches, outer margin left/right
INK = "#2D3436"
MUTED = "#6B7378"
RULE = "#C9CED1"
GRID = "#ECEEEF"
# Diverging 1-5 scale, neutral at 3: brick red -> amber -> cream -> teal. Red/teal stays
# distinguishable for red-green colour-blind readers, unlike a red/green scale.
SCORE_CMAP = LinearSegmentedColormap.from_list(
    "alignkit_score", ["#B2352B", "#EE9A4D", "#F7F1DC", "#72B7AC", "#17706A"]
)
SCORE_NORM = Normalize(vmin=1, vmax=5)
SCALE_NAMES = ("Strongly\ndisagree", "Disagree", "Neutral", "Agree", "Strongly\nagree")
BAND_CMAP = LinearSegmentedColormap.from_list("alignkit_bands", ["#F1F1EE", "#BFDCD5"])

_SCORE_COLUMNS = ("dimension", "dimension_name", "group", "n", "mean", "favourable", "suppressed")
_GAP_COLUMNS = ("dimension", "dimension_name", "a_mean", "b_mean", "gap", "low", "high")
_INDEX_COLUMNS = ("group", "n", "index", "level", "suppressed")


# --------------------------------------------------------------------------- helpers
def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def _team_label(group: str) -> str:
    return TEAM_LABELS.get(group, str(group).replace("_", " ").capitalize())


def _team_colour(group: str) -> str:
    return TEAM_COLOURS.get(group, TEAM_COLOURS["other"])


def _ordered_groups(groups: Iterable[str]) -> list[str]:
    present = list(dict.fromkeys(groups))
    return [g for g in GROUP_ORDER if g in present] + [g for g in present if g not in GROUP_ORDER]


def _wrap(text: str, width: int = 30) -> str:
    return textwrap.fill(str(text), width, break_long_words=False, break_on_hyphens=False)


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")


def _rect(fig: Figure, left: float, bottom: float, width: float, height: float) -> tuple:
    """Convert an axes rectangle given in inches into figure fractions."""
    w, h = fig.get_size_inches()
    return (left / w, bottom / h, width / w, height / h)


def _text_width(fig: Figure, texts: Iterable[str], size: float, weight: str = "normal") -> float:
    """Width in inches of the widest of ``texts`` when rendered at ``size`` points."""
    renderer = fig.canvas.get_renderer()
    probe = fig.text(0, 0, "", fontsize=size, fontweight=weight)
    widest = 0.0
    for text in texts:
        probe.set_text(text)
        widest = max(widest, probe.get_window_extent(renderer).width)
    probe.remove()
    return widest / fig.dpi


def _new_figure(
    title: str, subtitle: str, body: float, *, top: float = 0.0, bottom: float = 0.6
) -> tuple[Figure, float]:
    """Create a figure with title and subtitle; return it and the inches above the body."""
    title, subtitle = _wrap(title, 78), _wrap(subtitle, 112) if subtitle else ""
    t_lines, s_lines = title.count("\n") + 1, subtitle.count("\n") + 1 if subtitle else 0
    head = 0.18 + 0.3 * t_lines + 0.2 * s_lines + 0.22
    fig = Figure(figsize=(FIG_WIDTH, head + top + body + bottom), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)  # a canvas to measure text with; no pyplot, no global state
    height = fig.get_figheight()
    x = MARGIN / FIG_WIDTH
    fig.text(x, 1 - 0.15 / height, title, ha="left", va="top", fontsize=15,
             fontweight="bold", color=INK, linespacing=1.25)
    if subtitle:
        fig.text(x, 1 - (0.2 + 0.3 * t_lines) / height, subtitle, ha="left", va="top",
                 fontsize=10.5, color=MUTED, linespacing=1.35)
    return fig, head + top


def _message_figure(title: str, message: str) -> Figure:
    """A small figure standing in for a chart that cannot be drawn."""
    fig, top = _new_figure(title, "", 0.9, bottom=0.15)
    ax = fig.add_axes(_rect(fig, MARGIN, 0.15, FIG_WIDTH - 2 * MARGIN, 0.9))
    ax.set_axis_off()
    ax.add_patch(Rectangle((0, 0), 1, 1, facecolor="#F5F6F7", edgecolor="none"))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11.5, color=MUTED)
    return fig


def _style(ax: Axes, grid: str | None = None) -> None:
    """Apply the shared look: no top/right spines, light remaining spines, light grid."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(RULE)
    ax.tick_params(labelsize=10, labelcolor=INK, length=0, pad=6)
    if grid:
        ax.grid(axis=grid, color=GRID, linewidth=0.9)
        ax.set_axisbelow(True)


def _row_height(labels: Sequence[str], base: float) -> float:
    lines = max((s.count("\n") + 1 for s in labels), default=1)
    return max(base, 0.17 * lines + 0.14)


def _group_info(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per group (chart order) with ``n`` and ``suppressed``."""
    info = frame.groupby("group", sort=False).agg(n=("n", "max"), suppressed=("suppressed", "any"))
    return info.loc[_ordered_groups(frame["group"])]


def _contrast(colour: tuple) -> str:
    r, g, b = to_rgb(colour)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else INK


# --------------------------------------------------------------------------- heatmap
def heatmap(
    dimension_scores: pd.DataFrame,
    *,
    title: str = "Alignment by dimension and team",
    anonymity_min: int = 5,
) -> Figure:
    """Mean score per dimension (rows) and group (columns) as a coloured grid.

    Parameters
    ----------
    dimension_scores
        Long frame with columns ``dimension``, ``dimension_name``, ``group``, ``n``,
        ``mean``, ``favourable`` and ``suppressed``. Rows keep their (instrument) order.
    title
        Chart title.
    anonymity_min
        The anonymity threshold, shown in the header of suppressed groups.

    Returns
    -------
    matplotlib.figure.Figure
        Columns run overall, sales, marketing, leadership, other (those present). Cells
        of suppressed groups are grey, hatched and blank; no value of theirs is drawn.
    """
    _require(dimension_scores, _SCORE_COLUMNS, "dimension_scores")
    dims = dimension_scores.drop_duplicates("dimension")[["dimension", "dimension_name"]]
    info = _group_info(dimension_scores)
    values = np.array(dimension_scores.set_index(["dimension", "group"])["mean"].unstack()
                      .reindex(index=dims["dimension"], columns=info.index), dtype=float)
    values[:, info["suppressed"].to_numpy(bool)] = np.nan
    labels = [_wrap(name) for name in dims["dimension_name"]]
    row_h = _row_height(labels, 0.42)
    subtitle = ("Each cell is a team's average score on the 1–5 scale: teal is agreement, red is "
                f"disagreement, cream is neutral (3). Teams with fewer than {anonymity_min} "
                "respondents are hatched and not shown, to protect anonymity.")
    fig, top = _new_figure(title, subtitle, row_h * len(labels), top=0.62, bottom=1.05)
    left = MARGIN + _text_width(fig, labels, 10) + 0.15
    width = min(FIG_WIDTH - left - MARGIN, 1.35 * len(info))
    ax = fig.add_axes(_rect(fig, left, 1.05, width, row_h * len(labels)))
    _draw_cells(ax, values, info["suppressed"].to_numpy(bool))
    _heatmap_axes(ax, labels, info, anonymity_min)
    cax = fig.add_axes(_rect(fig, left, 0.62, min(width, 4.5), 0.14))
    bar = fig.colorbar(ScalarMappable(SCORE_NORM, SCORE_CMAP), cax=cax,
                       orientation="horizontal", ticks=[1, 2, 3, 4, 5])
    bar.outline.set_visible(False)
    bar.set_label("Mean score (1 = strongly disagree, 5 = strongly agree)", fontsize=10,
                  color=MUTED)
    cax.tick_params(labelsize=9.5, length=0, labelcolor=INK)
    return fig


def _draw_cells(ax: Axes, values: np.ndarray, suppressed: np.ndarray) -> None:
    rows, cols = values.shape
    gap = 0.03
    for j in range(cols):
        if suppressed[j]:
            ax.add_patch(Rectangle((j + gap, gap), 1 - 2 * gap, rows - 2 * gap, linewidth=0,
                                   facecolor="#F3F4F5", edgecolor="#D3D8DB", hatch="///"))
            continue
        for i in range(rows):
            value = values[i, j]
            colour = "#EEF0F1" if np.isnan(value) else SCORE_CMAP(SCORE_NORM(value))
            ax.add_patch(Rectangle((j + gap, i + gap), 1 - 2 * gap, 1 - 2 * gap,
                                   facecolor=colour, linewidth=0))
            text = "\u2013" if np.isnan(value) else f"{value:.1f}"
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=10.5,
                    color=MUTED if np.isnan(value) else _contrast(colour))


def _heatmap_axes(ax: Axes, labels: list[str], info: pd.DataFrame, anonymity_min: int) -> None:
    ax.set_xlim(0, len(info))
    ax.set_ylim(len(labels), 0)
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels)
    headers = [f"{_team_label(g)}\nfewer than {anonymity_min}" if row.suppressed
               else f"{_team_label(g)}\nn={int(row.n)}" for g, row in info.iterrows()]
    ax.set_xticks(np.arange(len(info)) + 0.5, headers)
    ax.xaxis.tick_top()
    for tick, (group, row) in zip(ax.get_xticklabels(), info.iterrows(), strict=True):
        tick.set_color("#9AA0A4" if row.suppressed else _team_colour(group))
        tick.set_fontweight("normal" if row.suppressed else "bold")
    ax.tick_params(labelsize=10, length=0, pad=4)
    ax.spines[:].set_visible(False)


# --------------------------------------------------------------------------- gap chart
def gap_chart(perception_gaps: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Dumbbell chart of how two teams score each dimension, largest gap first.

    Parameters
    ----------
    perception_gaps
        Frame with columns ``dimension``, ``dimension_name``, ``a_mean``, ``b_mean``,
        ``n_a``, ``n_b``, ``gap`` (a - b), ``low`` and ``high`` (interval for the gap),
        and ``attrs`` ``{"a": team, "b": team, "confidence": 0.9}``. May be empty.
    title
        Chart title; default "Where <a> and <b> see things differently".

    Returns
    -------
    matplotlib.figure.Figure
        Rows sorted by absolute gap (ties keep input order). Gaps whose interval excludes
        zero are written in bold; the others in grey. An empty frame gives a small
        figure with an explanatory message.
    """
    attrs = perception_gaps.attrs
    a, b = attrs.get("a", "sales"), attrs.get("b", "marketing")
    la, lb = _team_label(a), _team_label(b)
    title = title or f"Where {la.lower()} and {lb.lower()} see things differently"
    if perception_gaps.empty:
        return _message_figure(title, "Not enough respondents in both teams to compare "
                                      "perceptions.")
    _require(perception_gaps, _GAP_COLUMNS, "perception_gaps")
    if "a" not in attrs or "b" not in attrs:
        raise ValueError('perception_gaps.attrs must name the two teams: {"a": ..., "b": ...}')
    rows = perception_gaps.iloc[np.argsort(-perception_gaps["gap"].abs().fillna(-1).to_numpy(),
                                           kind="stable")]
    level = round(100 * float(attrs.get("confidence", 0.9)))
    notes = [_gap_note(r.gap, r.low, r.high, level) for r in rows.itertuples()]
    labels = [_wrap(name) for name in rows["dimension_name"]]
    row_h = _row_height(labels, 0.48)
    subtitle = (f"Dots show each team's average score (1–5), largest difference first. Bold "
                f"gaps are reliable: their {level}% confidence interval does not include zero.")
    fig, top = _new_figure(title, subtitle, row_h * len(rows), top=0.42, bottom=0.85)
    left = MARGIN + _text_width(fig, labels, 10) + 0.15
    note_w = _text_width(fig, [n for n, _ in notes], 10, "bold") + 0.1
    width = FIG_WIDTH - left - note_w - MARGIN - 0.3
    ax = fig.add_axes(_rect(fig, left, 0.85, width, row_h * len(rows)))
    _draw_dumbbells(ax, rows, labels, (a, b))
    nax = fig.add_axes(_rect(fig, FIG_WIDTH - MARGIN - note_w, 0.85, note_w,
                             row_h * len(rows)), sharey=ax)
    nax.set_axis_off()
    nax.set_xlim(0, 1)
    for y, (note, reliable) in enumerate(notes):
        nax.text(0, y, note, ha="left", va="center", fontsize=10,
                 color=INK if reliable else "#8A9196", fontweight="bold" if reliable else "normal")
    nax.annotate(f"Gap ({la} \u2212 {lb})", (0, 1), xycoords="axes fraction", xytext=(0, 9),
                 textcoords="offset points", va="center", fontsize=10, color=MUTED)
    return fig


def _gap_note(gap: float, low: float, high: float, level: int) -> tuple[str, bool]:
    if np.isnan(low) or np.isnan(high):
        return f"gap {_signed(gap)}", False
    reliable = bool(low > 0 or high < 0)
    return f"gap {_signed(gap)} ({level}% CI {_signed(low)} to {_signed(high)})", reliable


def _draw_dumbbells(ax: Axes, rows: pd.DataFrame, labels: list[str], sides: tuple) -> None:
    y = np.arange(len(rows))
    a_mean, b_mean = rows["a_mean"].to_numpy(float), rows["b_mean"].to_numpy(float)
    ax.hlines(y, a_mean, b_mean, color="#B7BEC2", linewidth=3, zorder=2)
    handles = []
    for side, x in zip(sides, (a_mean, b_mean), strict=True):
        handles.append(ax.scatter(x, y, s=95, color=_team_colour(side), edgecolor="white",
                                  linewidth=1.2, zorder=3, label=_team_label(side)))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(y, labels)
    ax.set_xlim(0.8, 5.2)
    ax.set_xticks([1, 2, 3, 4, 5], [f"{i}\n{name}" for i, name in enumerate(SCALE_NAMES, 1)])
    _style(ax, grid="both")
    ax.tick_params(axis="x", labelsize=9.5)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_bounds(1, 5)
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2,
              frameon=False, fontsize=10, handletextpad=0.3, columnspacing=1.5,
              borderaxespad=0.2, borderpad=0)


# --------------------------------------------------------------------------- maturity
def maturity_chart(
    alignment_index: pd.DataFrame,
    bands: list[dict],
    *,
    title: str = "Alignment maturity",
    anonymity_min: int = 5,
) -> Figure:
    """Alignment index (0-100) per group on a scale split into maturity bands.

    Parameters
    ----------
    alignment_index
        Frame with columns ``group``, ``n``, ``index`` (0-100), ``level`` (1-5),
        ``level_name`` and ``suppressed``; one row per group.
    bands
        Maturity levels as ``{"level": 1, "name": "Siloed", "min_index": 0}``; each band
        runs from its ``min_index`` to the next one's (the last to 100).
    title
        Chart title.
    anonymity_min
        The anonymity threshold, quoted in the footnote listing suppressed groups.

    Returns
    -------
    matplotlib.figure.Figure
        One row per group with a score (overall first); suppressed groups get no marker
        and are listed in a grey footnote instead.
    """
    _require(alignment_index, _INDEX_COLUMNS, "alignment_index")
    rows = alignment_index.set_index("group").loc[_ordered_groups(alignment_index["group"])]
    hidden = rows["suppressed"].astype(bool)
    shown = rows[~hidden & rows["index"].notna()]
    if shown.empty:
        return _message_figure(title, f"No group has at least {anonymity_min} respondents, "
                                      "so no alignment index is shown.")
    labels = [f"{_team_label(g)}\nn={int(r.n)}" for g, r in shown.iterrows()]
    footnote = _maturity_footnote(rows, hidden, anonymity_min)
    subtitle = ("Each dot is a group's alignment index from 0 (siloed) to 100 (fully aligned), "
                "placed on the maturity levels.")
    bottom = 0.7 + (0.25 if footnote else 0)
    fig, top = _new_figure(title, subtitle, 0.75 + 0.55 * len(shown), bottom=bottom)
    left = MARGIN + _text_width(fig, labels, 10) + 0.15
    ax = fig.add_axes(_rect(fig, left, bottom, FIG_WIDTH - left - MARGIN - 0.1,
                            0.75 + 0.55 * len(shown)))
    _draw_bands(ax, sorted(bands, key=lambda band: band["min_index"]))
    _draw_index_markers(ax, shown, labels)
    if footnote:
        fig.text(MARGIN / FIG_WIDTH, 0.12 / fig.get_figheight(), footnote, ha="left",
                 va="bottom", fontsize=9.5, color=MUTED)
    return fig


def _maturity_footnote(rows: pd.DataFrame, hidden: pd.Series, anonymity_min: int) -> str:
    notes = []
    if hidden.any():
        names = ", ".join(_team_label(g) for g in rows.index[hidden])
        notes.append(f"{names}: fewer than {anonymity_min} respondents, not shown.")
    missing = rows.index[~hidden & rows["index"].isna()]
    if len(missing):
        notes.append(f"{', '.join(_team_label(g) for g in missing)}: no index available.")
    return " ".join(notes)


def _draw_bands(ax: Axes, bands: list[dict]) -> None:
    edges = [float(b["min_index"]) for b in bands] + [100.0]
    colours = BAND_CMAP(np.linspace(0, 1, len(bands)))
    for band, lo, hi, colour in zip(bands, edges[:-1], edges[1:], colours, strict=True):
        ax.axvspan(lo, hi, color=colour, linewidth=0, zorder=0)
        ax.text((lo + hi) / 2, -1.08, f"Level {band['level']}", ha="center", va="bottom",
                fontsize=9, color=MUTED)
        ax.text((lo + hi) / 2, -1.0, _wrap(band["name"], 16), ha="center", va="top",
                fontsize=10.5, fontweight="bold", color=INK, linespacing=1.1)
    for edge in edges[1:-1]:
        ax.axvline(edge, color="white", linewidth=2, zorder=1)
    ax.set_xticks(edges)
    ax.set_xlim(0, 100)


def _draw_index_markers(ax: Axes, shown: pd.DataFrame, labels: list[str]) -> None:
    y = np.arange(len(shown))
    ax.hlines(y, 0, 100, color="white", linewidth=1, alpha=0.8, zorder=1)
    for i, (group, row) in enumerate(shown.iterrows()):
        ax.scatter([row["index"]], [i], s=170, color=_team_colour(group), edgecolor="white",
                   linewidth=1.5, zorder=3)
        right = row["index"] > 84
        ax.annotate(f"{row['index']:.0f} \u00b7 Level {int(row['level'])}", (row["index"], i),
                    xytext=(-11 if right else 11, 0), textcoords="offset points",
                    ha="right" if right else "left", va="center", fontsize=10.5,
                    fontweight="bold", color=INK, zorder=4)
    ax.set_ylim(len(shown) - 0.45, -1.75)
    ax.set_yticks(y, labels)
    _style(ax)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Alignment index (0–100)", fontsize=10, color=MUTED, labelpad=6)


# --------------------------------------------------------------------------- favourability
def favourability_bars(
    dimension_scores: pd.DataFrame,
    *,
    group: str = "overall",
    title: str | None = None,
    anonymity_min: int = 5,
) -> Figure:
    """Share of favourable answers per dimension for one group, highest first.

    Parameters
    ----------
    dimension_scores
        Long frame as for :func:`heatmap`; ``favourable`` is a share between 0 and 1.
    group
        The group to show (``"overall"``, ``"sales"``, ...).
    title
        Chart title; default "Share of favourable answers: <group>".
    anonymity_min
        The anonymity threshold, quoted when ``group`` is suppressed.

    Returns
    -------
    matplotlib.figure.Figure
        Bars in the group's team colour with "72%" labels and a reference line at 50%.
        A suppressed group gives a small figure with an explanatory message.

    Raises
    ------
    ValueError
        If ``group`` has no rows in ``dimension_scores``.
    """
    _require(dimension_scores, _SCORE_COLUMNS, "dimension_scores")
    rows = dimension_scores[dimension_scores["group"] == group]
    if rows.empty:
        known = ", ".join(_ordered_groups(dimension_scores["group"]))
        raise ValueError(f"no rows for group {group!r} (groups present: {known})")
    label = _team_label(group)
    title = title or f"Share of favourable answers: {label}"
    if rows["suppressed"].any():
        return _message_figure(title, f"{label}: fewer than {anonymity_min} respondents, "
                                      "not shown to protect anonymity.")
    rows = rows.sort_values("favourable", ascending=False, kind="stable", na_position="last")
    labels = [_wrap(name) for name in rows["dimension_name"]]
    row_h = _row_height(labels, 0.4)
    subtitle = (f"{label}, n={int(rows['n'].max())}. Share of respondents who agree or strongly "
                "agree, per dimension, highest first. The dashed line marks 50%.")
    fig, top = _new_figure(title, subtitle, row_h * len(rows), top=0.15, bottom=0.55)
    left = MARGIN + _text_width(fig, labels, 10) + 0.15
    ax = fig.add_axes(_rect(fig, left, 0.55, FIG_WIDTH - left - MARGIN, row_h * len(rows)))
    _draw_bars(ax, rows["favourable"].to_numpy(float) * 100, labels, _team_colour(group))
    return fig


def _draw_bars(ax: Axes, percent: np.ndarray, labels: list[str], colour: str) -> None:
    y = np.arange(len(percent))
    ax.barh(y, np.nan_to_num(percent), height=0.62, color=colour, alpha=0.9, zorder=2)
    for i, value in enumerate(percent):
        text = "no data" if np.isnan(value) else f"{value:.0f}%"
        ax.annotate(text, (0 if np.isnan(value) else value, i), xytext=(4, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=10,
                    color=MUTED if np.isnan(value) else INK, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.axvline(50, color="#5F676B", linewidth=1, linestyle=(0, (4, 3)), alpha=0.7, zorder=1)
    ax.set_ylim(len(percent) - 0.5, -0.5)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 108)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    _style(ax, grid="x")
    ax.spines["bottom"].set_bounds(0, 100)
