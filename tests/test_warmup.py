"""The fork server's warm-up works on made-up data shaped like a real survey."""

from __future__ import annotations

from alignkit.analysis.wave import score_wave
from alignkit.charts.style import wrap
from alignkit.kernels.warmup import WRAP_WIDTHS, catalogue_labels, made_up_wave, number_labels
from alignkit.text.labels import TEAM_LABELS


def test_the_made_up_wave_has_the_groups_a_real_survey_has() -> None:
    scores = score_wave(made_up_wave())
    groups = set(scores.dimensions["group"].astype(str))
    # both core teams, everyone, and small teams pooled as the anonymity rule pools them
    assert {"overall", "sales", "marketing", "leadership & other"} <= groups


def test_catalogue_labels_cover_team_names_and_every_wrapped_dimension_name() -> None:
    instrument = made_up_wave().instrument
    labels = set(catalogue_labels(instrument))
    assert set(TEAM_LABELS.values()) <= labels
    for name in instrument.dimension_names().values():
        for width in WRAP_WIDTHS:
            assert set(wrap(name, width).split("\n")) <= labels, (name, width)
    assert not labels & {"", "\n"}


def test_number_labels_are_the_common_score_and_percentage_texts() -> None:
    labels = set(number_labels())
    assert {"3.5", "0.25", "100%", "n=12"} <= labels
    assert len(labels) == len(number_labels())  # no repeats
