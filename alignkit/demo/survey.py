"""Demo survey answers: three fictional clients with different alignment profiles.

The answers are simulated from a small model and written as the canonical
response template, then imported exactly as a consultant would import a real
file. Each answer is a level per team and dimension, plus a person effect
(some people answer higher than others), plus a person-by-dimension effect
(what this person thinks of this facet, shared by its statements, so a
facet's statements move together as in a real survey), plus item noise. The
outcome statement follows the person's view of the facets named in
``drivers`` more than of the rest, so the driver view has something to find.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alignkit.catalog.instrument import Instrument, load_instrument

__all__ = ["DEMO_COMPANIES", "DemoCompany", "write_demo_survey"]


@dataclass(frozen=True)
class DemoCompany:
    """How to simulate one fictional client."""

    slug: str
    name: str
    industry: str
    team_sizes: dict[str, int]
    base: float  # typical answer on the 1-5 scale
    team_shift: dict[str, float] = field(default_factory=dict)
    dimension_shift: dict[str, float] = field(default_factory=dict)
    # (team, dimension) -> extra shift, for perception gaps
    gap_shift: dict[tuple[str, str], float] = field(default_factory=dict)
    # dimension -> extra weight of the person's view of it in the outcome statement
    drivers: dict[str, float] = field(default_factory=dict)
    seed: int = 0


DEMO_COMPANIES: tuple[DemoCompany, ...] = (
    DemoCompany(
        slug="northwind-software", name="Northwind Software", industry="B2B software",
        team_sizes={"sales": 42, "marketing": 31, "leadership": 8, "other": 11},
        base=3.1, team_shift={"marketing": 0.15, "leadership": 0.35},
        dimension_shift={"communication": 0.4, "content": 0.3, "sponsorship": 0.3,
                         "incentives": -0.5, "shadowing": -0.6, "tools": -0.2},
        gap_shift={("marketing", "sla"): 1.1, ("sales", "sla"): -0.9,
                   ("marketing", "handoff"): 0.7, ("sales", "handoff"): -0.5,
                   ("sales", "definitions"): -0.6, ("sales", "data"): 0.4},
        drivers={"incentives": 0.9, "shadowing": 0.7},
        seed=11,
    ),
    DemoCompany(
        slug="bluepeak-logistics", name="Bluepeak Logistics", industry="Freight and logistics",
        team_sizes={"sales": 19, "marketing": 14, "leadership": 3, "other": 4},
        base=2.3, team_shift={"sales": -0.2, "marketing": 0.1},
        dimension_shift={"structure": -0.5, "communication": -0.3, "tools": -0.4,
                         "sponsorship": 0.5, "goals": 0.3},
        gap_shift={("marketing", "data"): -0.8, ("sales", "data"): 0.4,
                   ("sales", "content"): -0.7, ("marketing", "goals"): 0.5},
        drivers={"structure": 0.8, "tools": 0.5},
        seed=23,
    ),
    DemoCompany(
        slug="corvid-health", name="Corvid Health", industry="Medical devices",
        team_sizes={"sales": 12, "marketing": 9, "leadership": 6, "other": 5},
        base=3.8, team_shift={"leadership": 0.2},
        dimension_shift={"shadowing": -0.8, "content": -0.4, "sla": 0.3, "handoff": 0.3},
        gap_shift={("sales", "content"): -0.5, ("marketing", "incentives"): -0.6},
        drivers={"shadowing": 0.7, "content": 0.5},
        seed=37,
    ),
)

_COMMENTS = {
    "sales": [
        "Half the leads we get have never heard of us; tell us why a lead is hot before you send it.",
        "A short weekly call with marketing would save us a lot of back-and-forth e-mails.",
        "We would use the case studies more if we had a say in which customers are featured.",
        "The lead score in the CRM does not match what we hear on the first call.",
        "Give us one place to find the latest decks instead of five shared drives.",
    ],
    "marketing": [
        "We rarely hear what happened to a lead after it was passed on.",
        "Sales agreed to call within a day but nobody checks whether that happens.",
        "It would help to sit in on a few discovery calls every quarter.",
        "We build nurture sequences that sales then does not use; let us plan them together.",
        "Celebrating closed deals together would make us feel part of the win.",
    ],
    "leadership": [
        "Both teams need one revenue number they own together.",
        "The two heads should present the pipeline review jointly.",
    ],
    "other": [
        "The CRM fields for lead source are filled in inconsistently.",
        "Routing rules were written years ago and nobody owns them.",
    ],
}


def _simulate(company: DemoCompany, instrument: Instrument) -> list[dict[str, str]]:
    rng = np.random.default_rng(company.seed)
    rows: list[dict[str, str]] = []
    number = 0
    said: set[str] = set()
    for team, size in company.team_sizes.items():
        for _ in range(size):
            number += 1
            person = rng.normal(0, 0.35)
            row = {"respondent_id": f"R{number:04d}", "team": team.title(), "role": "",
                   "comment": ""}
            levels, views = [], 0.0
            for dim in instrument.dimensions:
                view = rng.normal(0, _VIEW_SD)
                level = (company.base + company.team_shift.get(team, 0.0)
                         + company.dimension_shift.get(dim.id, 0.0)
                         + company.gap_shift.get((team, dim.id), 0.0) + person + view)
                levels.append(level)
                views += company.drivers.get(dim.id, 0.0) * view
                for item in dim.items:
                    row[item.id] = _answer(rng, level)
            row[instrument.outcome.id] = _answer(rng, float(np.mean(levels)) + views)
            unused = [c for c in _COMMENTS[team] if c not in said]
            if unused and rng.random() < 0.3:
                row["comment"] = str(rng.choice(unused))
                said.add(row["comment"])
            rows.append(row)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


_VIEW_SD = 0.5  # spread of one person's view of one facet around the team's level
_ITEM_SD = 0.5  # spread of one statement's answer around the person's view


def _answer(rng: np.random.Generator, level: float) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "N/A"
    if roll < 0.05:
        return ""
    return str(int(np.clip(np.rint(level + rng.normal(0, _ITEM_SD)), 1, 5)))


def write_demo_survey(company: DemoCompany, path: Path, instrument: Instrument | None = None) -> Path:
    """Write a simulated baseline survey for ``company`` as a canonical CSV."""
    instrument = instrument or load_instrument()
    columns = ["respondent_id", "team", "role", *[i.id for i in instrument.items], "comment"]
    rows = _simulate(company, instrument)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        # An abandoned response, as every real export has a few.
        writer.writerow({"respondent_id": "R9999", "team": "Sales"})
    return path
