"""Tests for alignkit.charts.identify: contracts, ordering, anonymity and palette."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from alignkit.charts import identify as charts
from alignkit.charts.style import ROW_LABEL

DIMENSIONS = [
    "Shared goals and targets",
    "Agreed definition of a qualified lead",
    "Service-level agreement between teams",
    "Joint planning and budgeting",
    "Lead hand-off process",
    "Feedback on lead quality",
    "Shared customer personas",
    "Common technology stack and CRM hygiene",
    "Regular cross-team meetings",
    "Mutual respect and trust",
    "Content that supports the sales conversation",
    "Shared reporting and pipeline visibility",
    "Compensation and incentives that reward collaboration",
    "Leadership commitment to alignment",
]
GROUP_N = {"overall": 83, "sales": 34, "marketing": 27, "leadership": 3, "other": 19}
SHOWN_GROUPS = ["overall", "sales", "marketing", "other"]
BANDS = [
    {"level": 1, "name": "Siloed", "min_index": 0},
    {"level": 2, "name": "Coordinated", "min_index": 20},
    {"level": 3, "name": "Cooperative", "min_index": 40},
    {"level": 4, "name": "Aligned", "min_index": 60},
    {"level": 5, "name": "Fully integrated", "min_index": 80},
]
# Gap per dimension (sales - marketing); mixed signs, one tie in absolute value (-0.8/0.8).
GAPS = [0.1, -0.8, 0.3, 1.2, -0.05, 0.6, -0.45, 0.8, 0.2, -1.0, 0.35, 0.0, -0.15, 0.5]
NUMBER = re.compile(r"^\d\.\d$")


def _scores(leak_suppressed: bool = False) -> pd.DataFrame:
    """14 dimensions x 5 groups; leadership is suppressed (NaN unless ``leak_suppressed``)."""
    rng = np.random.default_rng(3)
    rows = []
    for i, name in enumerate(DIMENSIONS):
        for group, n in GROUP_N.items():
            suppressed = n < 5
            mean = round(float(rng.uniform(1.6, 4.6)), 2)
            fav = round(float(rng.uniform(0.15, 0.9)), 3)
            if suppressed and not leak_suppressed:
                mean = fav = np.nan
            elif suppressed:
                mean, fav = 1.23, 0.987  # values the chart must still never show
            rows.append({"dimension": f"D{i + 1:02d}", "dimension_name": name, "group": group,
                         "n": n, "mean": mean, "favourable": fav, "suppressed": suppressed})
    return pd.DataFrame(rows)


def _gaps() -> pd.DataFrame:
    b = np.full(len(GAPS), 3.1)
    a = b + np.array(GAPS)
    frame = pd.DataFrame({
        "dimension": [f"D{i + 1:02d}" for i in range(len(GAPS))], "dimension_name": DIMENSIONS,
        "a_mean": a, "b_mean": b, "n_a": 34, "n_b": 27, "gap": GAPS,
        "low": np.array(GAPS) - 0.4, "high": np.array(GAPS) + 0.4,
    })
    frame.attrs = {"a": "sales", "b": "marketing", "confidence": 0.9}
    return frame


def _index(leadership_index: float = np.nan) -> pd.DataFrame:
    return pd.DataFrame({
        "group": ["overall", "sales", "marketing", "leadership", "other"],
        "n": [83, 34, 27, 3, 19],
        "index": [62.4, 68.9, 51.2, leadership_index, 88.5],
        "level": [4, 4, 3, 0, 5],
        "level_name": ["Aligned", "Aligned", "Cooperative", "", "Fully integrated"],
        "suppressed": [False, False, False, True, False],
    })


def _texts(fig: Figure) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _flat(text: str) -> str:
    return text.replace("\n", " ")


def _row_labels(ax) -> list[str]:
    """Texts of the labels written left of each row (see ``chart_style.row_labels``)."""
    return [t.get_text() for t in ax.texts if t.get_label() == ROW_LABEL]


def _annotations(ax) -> list[str]:
    """Texts on the axes other than the row labels."""
    return [t.get_text() for t in ax.texts if t.get_label() != ROW_LABEL]


def _markers(ax) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _same_colour(rgba, colour: str) -> bool:
    return np.allclose(np.asarray(rgba)[:3], to_rgb(colour), atol=1e-3)


ALL_CHARTS = {
    "heatmap": lambda: charts.heatmap(_scores()),
    "gap_chart": lambda: charts.gap_chart(_gaps()),
    "gap_chart_empty": lambda: charts.gap_chart(_gaps().iloc[0:0]),
    "maturity_chart": lambda: charts.maturity_chart(_index(), BANDS),
    "favourability_bars": lambda: charts.favourability_bars(_scores()),
    "favourability_suppressed": lambda: charts.favourability_bars(_scores(), group="leadership"),
}


# ----------------------------------------------------------------- shared behaviour
def test_public_api_is_documented():
    for name in ("heatmap", "gap_chart", "maturity_chart", "favourability_bars"):
        assert name in charts.__all__
        doc = inspect.getdoc(getattr(charts, name))
        assert "Parameters" in doc and "Returns" in doc
        assert inspect.signature(getattr(charts, name)).return_annotation in (Figure, "Figure")


def test_palette_is_the_agreed_one():
    assert charts.TEAM_COLOURS == {"sales": "#1F5F8B", "marketing": "#E07A1F",
                                   "leadership": "#6B5B95", "other": "#7F8C8D",
                                   "overall": "#2D3436"}
    assert charts.TEAM_LABELS["overall"] == "All respondents"


def test_module_does_not_use_global_pyplot_state():
    source = inspect.getsource(charts)
    assert not re.search(r"^\s*(import matplotlib\.pyplot|from matplotlib import pyplot)",
                         source, flags=re.MULTILINE)
    assert "plt." not in source and "pylab" not in source


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_chart_is_a_readable_10_inch_figure(name):
    fig = ALL_CHARTS[name]()
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == pytest.approx(10.0)
    fig.canvas.draw()  # renders headless, and (pytest config) without any warning
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text() and t.get_fontsize() < 9]
    assert small == []


@pytest.mark.parametrize("name", ["heatmap", "gap_chart", "maturity_chart", "favourability_bars"])
def test_chart_has_no_top_or_right_spines(name):
    ax = ALL_CHARTS[name]().axes[0]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


# ----------------------------------------------------------------- heatmap
def test_heatmap_shows_every_dimension_name_in_full_and_in_order():
    ax = charts.heatmap(_scores()).axes[0]
    assert [_flat(text) for text in _row_labels(ax)] == DIMENSIONS


def test_heatmap_columns_and_headers():
    shuffled = _scores().sample(frac=1, random_state=1)
    shuffled = shuffled.sort_values("dimension", kind="stable")  # keep dimension order
    ax = charts.heatmap(shuffled).axes[0]
    headers = [t.get_text() for t in ax.get_xticklabels()]
    assert headers == ["All respondents\nn=83", "Sales\nn=34", "Marketing\nn=27",
                       "Leadership\nfewer than 5", "Other\nn=19"]


def test_heatmap_anonymity_min_is_quoted():
    ax = charts.heatmap(_scores(), anonymity_min=7).axes[0]
    assert "Leadership\nfewer than 7" in [t.get_text() for t in ax.get_xticklabels()]


@pytest.mark.parametrize("leak", [False, True])
def test_heatmap_never_draws_suppressed_values(leak):
    fig = charts.heatmap(_scores(leak_suppressed=leak))
    ax = fig.axes[0]
    numbers = [t for t in ax.texts if NUMBER.match(t.get_text())]
    assert len(numbers) == len(DIMENSIONS) * len(SHOWN_GROUPS)
    leadership_col = 3
    in_column = [t.get_text() for t in ax.texts
                 if leadership_col < t.get_position()[0] < leadership_col + 1]
    assert in_column == []
    assert not any("n=3" in text.split("\n") for text in _texts(fig))


def _hide(frame: pd.DataFrame, group: str, dimensions: list[str] | None = None) -> pd.DataFrame:
    """Mark ``group`` suppressed (values blanked), in some or all dimensions."""
    frame = frame.copy()
    mask = frame["group"] == group
    if dimensions is not None:
        mask &= frame["dimension"].isin(dimensions)
    frame.loc[mask, ["mean", "favourable"]] = np.nan
    frame.loc[mask, "suppressed"] = True
    return frame


def test_heatmap_hides_single_suppressed_cells():
    frame = _hide(_scores(), "sales", ["D04", "D05"])
    ax = charts.heatmap(frame).axes[0]
    sales_column = {round(t.get_position()[1] - 0.5): t.get_text() for t in ax.texts
                    if 1 < t.get_position()[0] < 2}
    assert 3 not in sales_column and 4 not in sales_column  # rows of D04 and D05
    assert len(sales_column) == len(DIMENSIONS) - 2
    assert "Sales\nn=34" in [t.get_text() for t in ax.get_xticklabels()]


def test_heatmap_group_hidden_to_protect_others_does_not_claim_it_is_small():
    ax = charts.heatmap(_hide(_scores(), "marketing")).axes[0]
    headers = [t.get_text() for t in ax.get_xticklabels()]
    assert "Marketing\nnot shown" in headers
    assert not any("27" in header for header in headers)
    assert not any(2 < t.get_position()[0] < 3 for t in ax.texts)


def test_heatmap_annotations_match_means():
    scores = _scores()
    ax = charts.heatmap(scores).axes[0]
    sales = scores[scores.group == "sales"]["mean"].to_numpy()
    column = sorted((t.get_position()[1], t.get_text()) for t in ax.texts
                    if 1 < t.get_position()[0] < 2)
    assert [text for _, text in column] == [f"{m:.1f}" for m in sales]


def test_heatmap_colour_scale_runs_red_to_teal():
    frame = _scores()
    frame.loc[(frame.group == "sales") & (frame.dimension == "D01"), "mean"] = 1.0
    frame.loc[(frame.group == "sales") & (frame.dimension == "D02"), "mean"] = 5.0
    cells = _cells(charts.heatmap(frame).axes[0])
    low, high = cells[(1, 0)][0], cells[(1, 1)][0]
    assert low[0] > low[1] and low[0] > low[2]  # red dominates at 1
    assert high[1] > high[0] and high[2] > high[0]  # blue-green dominates at 5


def _cells(ax) -> dict[tuple[int, int], tuple[tuple, str | None]]:
    """Each drawn heatmap cell as (column, row) -> (face colour, hatch)."""
    cells = {}
    for collection in ax.collections:
        if isinstance(collection, PolyCollection):
            paths = collection.get_paths()
            colours = np.broadcast_to(collection.get_facecolor(), (len(paths), 4))
            for path, colour in zip(paths, colours, strict=True):
                x, y = path.vertices.min(axis=0)
                cells[(round(x), round(y))] = (tuple(colour), collection.get_hatch())
    return cells


def test_heatmap_hatches_exactly_the_hidden_cells():
    frame = _hide(_scores(), "sales", ["D04", "D05"])
    cells = _cells(charts.heatmap(frame).axes[0])
    assert len(cells) == len(DIMENSIONS) * len(GROUP_N)
    hatched = {cell for cell, (_, hatch) in cells.items() if hatch}
    assert hatched == {(1, 3), (1, 4)} | {(3, row) for row in range(len(DIMENSIONS))}
    assert len({colour for colour, hatch in cells.values() if hatch}) == 1


def test_heatmap_cell_of_a_shown_group_without_answers_is_grey_with_a_dash():
    frame = _scores()
    frame.loc[(frame.group == "sales") & (frame.dimension == "D02"), "mean"] = np.nan
    ax = charts.heatmap(frame).axes[0]
    colour, hatch = _cells(ax)[(1, 1)]
    assert hatch is None and _same_colour(colour, "#EEF0F1")
    assert [t.get_text() for t in ax.texts if t.get_position() == (1.5, 1.5)] == ["\u2013"]


# ----------------------------------------------------------------- gap chart
def test_gap_chart_sorts_by_absolute_gap():
    ax = charts.gap_chart(_gaps()).axes[0]
    expected = [DIMENSIONS[i] for i in np.argsort(-np.abs(GAPS), kind="stable")]
    assert [_flat(text) for text in _row_labels(ax)] == expected


def test_gap_chart_writes_intervals_and_marks_reliable_gaps():
    fig = charts.gap_chart(_gaps())
    notes = {t.get_text(): t for t in fig.axes[0].texts}
    reliable = notes["gap +0.8 (90% CI +0.4 to +1.2)"]
    unreliable = notes["gap +0.3 (90% CI \u22120.1 to +0.7)"]
    assert reliable.get_fontweight() == "bold"
    assert unreliable.get_fontweight() == "normal"
    assert to_rgb(reliable.get_color()) != to_rgb(unreliable.get_color())
    assert "Where sales and marketing see things differently" in _texts(fig)


def test_gap_chart_interval_bounds_near_zero_keep_their_sign():
    gaps = _gaps()
    gaps.loc[0, ["gap", "low", "high"]] = [-0.3, -0.52, -0.012]
    gaps.loc[2, ["gap", "low", "high"]] = [0.25, 0.004, 0.5]
    notes = {t.get_text(): t for t in charts.gap_chart(gaps).axes[0].texts}
    assert notes["gap \u22120.3 (90% CI \u22120.5 to \u22120.01)"].get_fontweight() == "bold"
    assert notes["gap +0.2 (90% CI +0.00 to +0.5)"].get_fontweight() == "bold"
    assert not any("to 0.0)" in note for note in notes)


def test_gap_chart_uses_team_colours_and_legend():
    gaps = _gaps()
    gaps.attrs = {"a": "marketing", "b": "leadership", "confidence": 0.8}
    fig = charts.gap_chart(gaps)
    ax = fig.axes[0]
    colours = [m.get_facecolor()[0] for m in _markers(ax)]
    assert _same_colour(colours[0], charts.TEAM_COLOURS["marketing"])
    assert _same_colour(colours[1], charts.TEAM_COLOURS["leadership"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Marketing", "Leadership"]
    assert any("80% CI" in text for text in _texts(fig))


def test_gap_chart_sales_marketing_colours():
    markers = _markers(charts.gap_chart(_gaps()).axes[0])
    assert _same_colour(markers[0].get_facecolor()[0], charts.TEAM_COLOURS["sales"])
    assert _same_colour(markers[1].get_facecolor()[0], charts.TEAM_COLOURS["marketing"])
    expected = _gaps().sort_values("gap", key=abs, ascending=False, kind="stable")["a_mean"]
    assert np.allclose(markers[0].get_offsets()[:, 0], expected)


@pytest.mark.parametrize("attrs", [{"a": "sales", "b": "marketing", "confidence": 0.9}, {}])
def test_gap_chart_empty_frame_gives_message(attrs):
    empty = _gaps().iloc[0:0].copy()
    empty.attrs = attrs
    fig = charts.gap_chart(empty)
    assert "Not enough respondents in both teams to compare perceptions." in _texts(fig)
    assert fig.get_figheight() < 3


def test_gap_chart_requires_team_attrs():
    gaps = _gaps()
    gaps.attrs = {}
    with pytest.raises(ValueError, match="attrs"):
        charts.gap_chart(gaps)


# ----------------------------------------------------------------- maturity chart
@pytest.mark.parametrize("leadership_index", [np.nan, 45.0])
def test_maturity_chart_draws_no_marker_for_suppressed_groups(leadership_index):
    fig = charts.maturity_chart(_index(leadership_index), BANDS)
    ax = fig.axes[0]
    markers = _markers(ax)
    assert len(markers) == 4
    assert not any(_same_colour(m.get_facecolor()[0], charts.TEAM_COLOURS["leadership"])
                   for m in markers)
    assert [m.get_offsets()[0, 0] for m in markers] == [62.4, 68.9, 51.2, 88.5]
    labels = _row_labels(ax)
    assert [label.split("\n")[0] for label in labels] == ["All respondents", "Sales",
                                                          "Marketing", "Other"]
    texts = _texts(fig)
    assert "Leadership: fewer than 5 respondents, not shown." in texts
    assert "45 \u00b7 Level 0" not in texts


def test_maturity_chart_footnote_explains_complementary_suppression():
    frame = _index()
    frame.loc[frame.group == "marketing", ["index", "suppressed"]] = [np.nan, True]
    texts = _texts(charts.maturity_chart(frame, BANDS))
    assert ("Leadership: fewer than 5 respondents, not shown. "
            "Marketing: not shown, so that smaller groups cannot be inferred.") in texts


def test_maturity_chart_labels_bands_and_values():
    fig = charts.maturity_chart(_index(), BANDS)
    texts = [_flat(t) for t in _texts(fig)]
    for band in BANDS:
        assert band["name"] in texts
    assert "62 \u00b7 Level 4" in texts and "51 \u00b7 Level 3" in texts
    markers = _markers(fig.axes[0])
    assert _same_colour(markers[1].get_facecolor()[0], charts.TEAM_COLOURS["sales"])
    assert _same_colour(markers[2].get_facecolor()[0], charts.TEAM_COLOURS["marketing"])


def test_maturity_chart_label_never_rounds_into_the_next_band():
    frame = _index()
    frame.loc[frame.group == "sales", "index"] = 79.6
    texts = _texts(charts.maturity_chart(frame, BANDS))
    assert "79.6 \u00b7 Level 4" in texts and "80 \u00b7 Level 4" not in texts


def test_maturity_chart_all_suppressed_gives_message():
    frame = _index().assign(suppressed=True, index=np.nan)
    assert any("No group has" in text for text in _texts(charts.maturity_chart(frame, BANDS)))


# ----------------------------------------------------------------- favourability
def test_favourability_bars_sorted_descending_with_percent_labels():
    scores = _scores()
    fig = charts.favourability_bars(scores, group="sales")
    ax = fig.axes[0]
    sales = scores[scores.group == "sales"].sort_values("favourable", ascending=False)
    assert [_flat(text) for text in _row_labels(ax)] == list(sales["dimension_name"])
    assert _annotations(ax) == [f"{v * 100:.0f}%" for v in sales["favourable"]]
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths, reverse=True)
    assert all(_same_colour(p.get_facecolor(), charts.TEAM_COLOURS["sales"]) for p in ax.patches)
    assert any(isinstance(line, Line2D) and list(line.get_xdata()) == [50, 50]
               for line in ax.lines)


def test_favourability_bars_suppressed_group_shows_no_values():
    fig = charts.favourability_bars(_scores(leak_suppressed=True), group="leadership")
    texts = _texts(fig)
    assert any("fewer than 5 respondents" in text for text in texts)
    assert not any(text.endswith("%") and text[:-1].isdigit() for text in texts)


def test_favourability_bars_partly_suppressed_group():
    frame = _hide(_scores(leak_suppressed=True), "sales", ["D04", "D05"])
    frame.loc[frame["suppressed"], ["mean", "favourable"]] = 0.99  # leaked values stay hidden
    ax = charts.favourability_bars(frame, group="sales").axes[0]
    labels = _annotations(ax)
    assert labels[-2:] == ["not shown (small group)"] * 2 and "99%" not in labels
    names = [_flat(text) for text in _row_labels(ax)]
    assert set(names[-2:]) == {DIMENSIONS[3], DIMENSIONS[4]}
    assert [p.get_width() for p in ax.patches][-2:] == [0, 0]


def test_favourability_bars_unknown_group():
    with pytest.raises(ValueError, match="finance"):
        charts.favourability_bars(_scores(), group="finance")


def test_missing_column_is_reported():
    with pytest.raises(ValueError, match="suppressed"):
        charts.heatmap(_scores().drop(columns="suppressed"))
