"""Turn answer cells into scale values and team names into team ids."""

from __future__ import annotations

import math
import re

from alignkit.instrument import Instrument, normalise_text

__all__ = ["NA", "AnswerError", "parse_answer", "parse_team"]

#: Marker for an explicit "not applicable" answer (kept, but never scored).
NA = math.nan

_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–:=.)]\s*\D.*)?$")


class AnswerError(ValueError):
    """A cell that is not an answer on the scale (the caller adds file/row/column)."""


def parse_answer(cell: str, instrument: Instrument) -> float | None:
    """Read one answer cell.

    Returns ``None`` for a blank cell (not asked or skipped), :data:`NA` for an
    explicit N/A, else the scale value as a float.

    Raises
    ------
    AnswerError
        For numbers outside the scale and text that is not a scale label.
    """
    text = cell.strip()
    if text == "":
        return None
    folded = normalise_text(text)
    na_words = {normalise_text(w) for w in (instrument.na_label, *instrument.na_aliases)}
    if folded in na_words or text in instrument.na_aliases:
        return NA
    labels = {normalise_text(label): value for value, label in instrument.scale}
    if folded in labels:
        return float(labels[folded])
    match = _LEADING_NUMBER.match(text)
    low, high = instrument.scale_min, instrument.scale_max
    if match:
        number = float(match.group(1).replace(",", "."))
        if not number.is_integer():
            raise AnswerError(
                f"{text!r} is not a whole number; answers are points {low}–{high} on the scale"
            )
        if low <= number <= high:
            return number
        raise AnswerError(
            f"{text!r} is outside the {low}–{high} scale; correct it, or leave the cell blank "
            "for no answer"
        )
    raise AnswerError(
        f"{text[:40]!r} is not an answer on the {low}–{high} scale; use a number {low}–{high}, "
        f"a label such as '{instrument.scale[-1][1]}', or '{instrument.na_label}'"
    )


def parse_team(cell: str, instrument: Instrument) -> str | None:
    """Normalise a team answer to a team id; ``None`` when the cell is blank.

    Known names and aliases map to their team; anything else a respondent typed
    (e.g. "RevOps" in an "Other" box) counts as ``other``.
    """
    folded = normalise_text(cell)
    if not folded:
        return None
    for team_id, label, aliases in instrument.teams:
        if folded in {normalise_text(n) for n in (team_id, label, *aliases)}:
            return team_id
    first = folded.split()[0]
    for team_id in ("sales", "marketing"):
        if first == team_id:
            return team_id
    return "other" if "other" in instrument.team_ids else None
