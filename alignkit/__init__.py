"""alignkit: assess and improve how well sales and marketing work as one team.

The verbs a notebook needs::

    data = alignkit.load_wave("acme", "baseline", workspace="clients/")
    scores = alignkit.score_wave(data, anonymity_min=5)
    alignkit.charts.heatmap(scores.dimensions)
"""

from alignkit.exceptions import AlignkitError
from alignkit.instrument import load_instrument
from alignkit.store import Workspace
from alignkit.survey_import import import_survey
from alignkit.wave import load_wave, score_wave

__all__ = [
    "AlignkitError",
    "Workspace",
    "import_survey",
    "load_instrument",
    "load_wave",
    "score_wave",
]
__version__ = "0.1.0"
