"""The four stages of the cycle and the notebook that tells each one.

Every stage notebook has one ``parameters`` cell with at least ``company``,
``wave`` (the baseline survey wave), ``workspace`` and ``anonymity_min``, so a
batch can render any company through any stage with the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STAGES", "Stage"]


@dataclass(frozen=True)
class Stage:
    """One step of identify -> plan -> execute -> recap."""

    name: str
    notebook: str
    title: str
    #: Line under the company name in the report header; ``{wave}`` is the baseline wave.
    subtitle: str = "Survey wave: {wave}"


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("identify", "01_identify.ipynb", "Identify: where are the disconnects?"),
        Stage("plan", "02_plan.ipynb", "Plan: a joint action plan and service level agreement"),
        Stage("execute", "03_execute.ipynb", "Execute: is the plan happening?",
              "Plan from the {wave} survey"),
        Stage("recap", "04_recap.ipynb", "Recap: what moved since the baseline?",
              "Against the {wave} survey"),
    )
}
