"""alignkit: assess and improve how well sales and marketing work as one team.

The verbs a notebook needs::

    data = alignkit.load_wave("acme", "baseline", workspace="clients/")
    scores = alignkit.score_wave(data, anonymity_min=5)
    alignkit.charts.identify.heatmap(scores.dimensions)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignkit.analysis.wave import load_wave, score_wave
    from alignkit.catalog.instrument import load_instrument
    from alignkit.exceptions import AlignkitError
    from alignkit.intake.survey import import_survey
    from alignkit.store.workspace import Workspace

__all__ = [
    "AlignkitError",
    "Workspace",
    "import_survey",
    "load_instrument",
    "load_wave",
    "score_wave",
]
__version__ = "0.1.0"

#: Where each name above lives; imported on first use, so that ``import alignkit.cli.app``
#: (or a batch worker) does not pay for pandas before it needs it.
_HOMES = {
    "AlignkitError": "alignkit.exceptions",
    "Workspace": "alignkit.store.workspace",
    "import_survey": "alignkit.intake.survey",
    "load_instrument": "alignkit.catalog.instrument",
    "load_wave": "alignkit.analysis.wave",
    "score_wave": "alignkit.analysis.wave",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'alignkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
