"""Anonymity helpers shared by the reports: the threshold and the comments that may be shown.

The rules deciding which answers and figures may be published, and the attack
each one stops, are in :mod:`alignkit.analysis.disclosure`; the threshold itself is in
:mod:`alignkit.analysis.anonymity`. This module keeps the names older code imports.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD, MIN_THRESHOLD, check_threshold

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "check_threshold",
    "visible_comments",
]


def visible_comments(respondents: pd.DataFrame, group_of: Mapping[str, str]) -> pd.DataFrame:
    """Comments safe to show: ``team, comment`` of the respondents in ``group_of``, shuffled.

    ``group_of`` maps each respondent whose comment may be shown to the team
    it is shown under (:attr:`alignkit.analysis.disclosure.Disclosure.commenters`).
    Everyone else's comments are dropped, and so are roles (they identify
    people). The order is randomised with a fixed seed so that comments cannot
    be matched to import order.
    """
    group = respondents["respondent"].astype(str).map(group_of)
    keep = respondents.assign(team=group)[group.notna()]
    keep = keep[keep["comment"].fillna("").astype(str).str.strip() != ""]
    shown = keep[["team", "comment"]].sample(frac=1.0, random_state=7)
    return shown.astype({"team": object}).reset_index(drop=True)
