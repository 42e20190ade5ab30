"""How every alignkit output names the teams of a survey.

Examples
--------
>>> TEAM_LABELS["overall"], TEAM_NAMES["sales"]
('All respondents', 'Sales')
"""

from __future__ import annotations

__all__ = ["OVERALL_LABEL", "TEAM_LABELS", "TEAM_NAMES"]

#: The name of the group of everyone who answered.
OVERALL_LABEL = "All respondents"
#: The teams by their id, in the order reports list them.
TEAM_NAMES: dict[str, str] = {"sales": "Sales", "marketing": "Marketing",
                              "leadership": "Leadership", "other": "Other"}
#: Every group a report shows: everyone first, then the teams.
TEAM_LABELS: dict[str, str] = {"overall": OVERALL_LABEL, **TEAM_NAMES}
