"""A throw-away survey analysis that the kernel fork server runs once before forking.

Much of the first report in a fresh Python process is one-off work: finding
fonts for each size and weight, measuring the instrument's labels and the
common number labels (scores, ticks, percentages, ``n=``), importing the
library modules that functions import inside themselves, compiling the comment
lexicon's patterns, building pandas and matplotlib code paths. The fork
server does that work once on made-up answers (no workspace is opened, no client data is read), so every
kernel forked from it starts with those caches filled instead of filling
them again for each report.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd

from alignkit.charts.drivers import POINT_LABEL_WIDTH
from alignkit.charts.identify import BAND_LABEL_WIDTH
from alignkit.charts.style import ROW_LABEL_WIDTH

__all__ = ["LIBRARY_PACKAGES", "WRAP_WIDTHS", "catalogue_labels", "import_library",
           "made_up_comments", "made_up_driver_frame", "made_up_outputs", "made_up_wave",
           "number_labels", "stage_cells", "warm_up_steps"]

#: Made-up respondents per team: enough to show sales, marketing and the gap between them,
#: with two small teams pooled into one group, as most real surveys have.
TEAM_SIZES = {"sales": 6, "marketing": 6, "leadership": 3, "other": 3}


def made_up_wave() -> object:
    """A :class:`~alignkit.analysis.wave.WaveData` of invented answers to the current instrument."""
    from alignkit.analysis.wave import WaveData
    from alignkit.catalog.instrument import load_instrument
    from alignkit.store.workspace import Company

    instrument = load_instrument()
    items = [item.id for item in instrument.items]
    people = [(f"warm-up-{team}-{i}", team) for team, n in TEAM_SIZES.items() for i in range(n)]
    values = np.arange(len(people) * len(items), dtype=float).reshape(len(people), len(items))
    answers = pd.DataFrame({
        "respondent": np.repeat([p for p, _ in people], len(items)),
        "team": np.repeat([t for _, t in people], len(items)),
        "item": np.tile(items, len(people)),
        "value": 1 + values.ravel() % 5,
    }).astype({"respondent": "category", "team": "category", "item": "category"})
    respondents = pd.DataFrame({"respondent": [p for p, _ in people],
                                "team": [t for _, t in people], "role": None, "comment": np.nan})
    return WaveData(Company("warm-up", "Warm-up", None), "baseline", answers, respondents,
                    instrument)


def made_up_driver_frame(instrument: object, people: int = 40) -> pd.DataFrame:
    """Invented dimension means and outcome of ``people`` people, for the driver code paths."""
    dims = list(instrument.dimension_names())  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(1, 5, size=(people, len(dims))), columns=dims)
    return frame.assign(outcome=frame[dims[:2]].mean(axis=1))


def _warm_catalogues() -> None:
    """Read the bundled playbook, comment lexicon and maturity framework (each is kept)."""
    from alignkit.catalog.comment_lexicon import load_comment_lexicon
    from alignkit.catalog.maturity import load_maturity_framework
    from alignkit.catalog.playbook import load_playbook

    load_playbook()
    load_comment_lexicon()
    load_maturity_framework()


#: alignkit's library packages: a report may reach any of their modules, often through
#: imports inside functions that no notebook's import statements show.
LIBRARY_PACKAGES = ("text", "catalog", "store", "analysis", "intake", "plan", "track", "charts")


def import_library() -> None:
    """Import every module of :data:`LIBRARY_PACKAGES` (what a report would import late)."""
    for _ in _import_library():
        pass


def _import_library() -> Iterator[None]:
    """:func:`import_library`, pausing (``yield``) after each package."""
    import importlib
    import pkgutil

    for name in LIBRARY_PACKAGES:
        package = importlib.import_module(f"alignkit.{name}")
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
        yield


def made_up_comments(per_team: int = 12) -> pd.DataFrame:
    """``team, comment`` of invented free-text answers touching several themes."""
    said = ("Leads reach sales without context and follow-up is slow.",
            "We never meet to agree on the MQL definition.",
            "The CRM data is incomplete, so reporting is a guess.",
            "Targets and bonuses are set separately for each team.",
            "Content from marketing helps in late-stage deals.",
            "Nobody owns the hand-off after events.")
    return pd.DataFrame({"team": ["sales"] * per_team + ["marketing"] * per_team,
                         "comment": [said[i % len(said)] for i in range(2 * per_team)]})


def stage_cells() -> list[str]:
    """The source of every code cell of alignkit's stage notebooks (what their reports run)."""
    from alignkit.catalog.resources import code_cell_sources, notebooks_dir

    return code_cell_sources(sorted(notebooks_dir().glob("*.ipynb")))


def made_up_outputs() -> list[object]:
    """Invented objects of the kinds the stage notebooks show: Markdown text, a table and a
    styled table."""
    from IPython.display import Markdown

    table = pd.DataFrame({"dimension": ["Warm-up"], "score": [3.5]})
    return [Markdown("**Warm-up**"), table, table.style.format(precision=1)]


def number_labels() -> list[str]:
    """The number labels charts lay out most, whatever the company: scores and axis ticks
    (one and two decimals), percentages and group sizes (``n=12``, the only ones charts
    also write in bold)."""
    labels = {f"{i / 10:.1f}" for i in range(51)} | {f"{i / 100:.2f}" for i in range(101)}
    labels |= {f"{i / 4:.2f}" for i in range(21)} | {f"{i}%" for i in range(101)}
    return sorted(labels | {f"n={i}" for i in range(1, 201)})


#: The widths (characters) at which charts wrap band and dimension names.
WRAP_WIDTHS = (BAND_LABEL_WIDTH, POINT_LABEL_WIDTH, ROW_LABEL_WIDTH)


def catalogue_labels(instrument: object) -> list[str]:
    """The labels charts take from the catalogues, whatever the company: team names, each
    dimension's name and the lines it wraps into (:data:`WRAP_WIDTHS`), maturity bands."""
    from alignkit.charts.style import wrap
    from alignkit.text.labels import TEAM_LABELS

    names = [*TEAM_LABELS.values(), *instrument.dimension_names().values(),  # type: ignore[attr-defined]
             *(band["name"] for band in instrument.bands_list())]  # type: ignore[attr-defined]
    lines = {line for name in names for width in WRAP_WIDTHS for line in wrap(name, width).split("\n")}
    return sorted(set(names) | lines)


def warm_up_steps() -> Iterator[None]:
    """Score the made-up wave, rank a plan for it, work out a driver view, import the
    library (:func:`import_library`), sort made-up comments into themes, draw the Identify
    charts to SVG and lay out :func:`number_labels` and :func:`catalogue_labels`, then drop
    it all; pausing (``yield``) after each step.

    Each step takes a few dozen milliseconds at most, so a fork server that
    warms up between requests keeps a report that comes meanwhile waiting for
    one short step at most.
    """
    from datetime import date

    from alignkit.analysis.drivers import key_drivers
    from alignkit.analysis.wave import score_wave
    from alignkit.charts import identify as charts
    from alignkit.charts import identify_text as narrative
    from alignkit.charts import insight_text
    from alignkit.charts.drivers import quadrant_chart
    from alignkit.charts.svg import lay_out
    from alignkit.plan.actions import build_action_plan

    _warm_catalogues()
    yield
    data = made_up_wave()
    scores = score_wave(data)
    yield
    narrative.key_findings(scores)
    narrative.dimension_table(scores)._repr_html_()
    yield
    view = key_drivers(made_up_driver_frame(data.instrument), data.instrument, resamples=5)
    insight_text.drivers_markdown(view, flags={})
    yield
    build_action_plan(scores, start=date(2000, 1, 3), drivers=view)
    yield
    yield from _import_library()
    from alignkit.analysis.comments import comment_themes

    comment_themes(made_up_comments(), {"sales": 12, "marketing": 12}, threshold=5,
                   dimension_names=data.instrument.dimension_names())
    yield
    figures = [
        lambda: quadrant_chart(view),
        lambda: charts.maturity_chart(scores.index, data.instrument.bands_list(),
                                      anonymity_min=scores.threshold),
        lambda: charts.heatmap(scores.dimensions, anonymity_min=scores.threshold),
        lambda: charts.gap_chart(scores.gaps),
        lambda: charts.favourability_bars(scores.dimensions, group="overall",
                                          anonymity_min=scores.threshold),
    ]
    for draw in figures:
        figure = draw()
        yield
        figure.savefig(io.BytesIO(), format="svg", bbox_inches=None, metadata={"Date": None})
        yield
    names, numbers = catalogue_labels(data.instrument), number_labels()
    bold = names + [label for label in numbers if label.startswith("n=")]  # charts' bold numbers
    for weight, labels in (("normal", names + numbers), ("bold", bold)):
        for start in range(0, len(labels), 50):
            lay_out(labels[start:start + 50], weight)
            yield
