"""Turn answer cells into scale values and team answers into team ids."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from alignkit.catalog.instrument import Instrument, normalise_text

__all__ = ["NA", "AnswerError", "Codes", "parse_answer", "parse_team"]

#: Marker for an explicit "not applicable" answer (kept, but never scored).
NA = math.nan

_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–:=.)]\s*\D.*)?$")
#: Cells some tools write for a question that was shown but skipped.
_SKIPPED_WORDS = frozenset({"no answer"})


class AnswerError(ValueError):
    """A cell that is not an answer on the scale (the caller adds file/row/column)."""


@dataclass(frozen=True)
class Codes:
    """How one export writes answers besides the scale's labels and numbers.

    Attributes
    ----------
    skipped
        Cells meaning "seen but not answered" (Qualtrics writes ``-99``).
    not_applicable
        Numeric codes of an N/A choice (Qualtrics numeric exports code the
        extra choice after the scale, e.g. ``6`` on a 1–5 scale).
    team_numbers
        Team answers may be choice numbers, in the instrument's team order.
    """

    skipped: frozenset[str] = frozenset()
    not_applicable: frozenset[str] = frozenset()
    team_numbers: bool = False


PLAIN = Codes()


def parse_answer(cell: str, instrument: Instrument, codes: Codes = PLAIN) -> float | None:
    """Read one answer cell.

    Returns ``None`` for a blank or skipped cell, :data:`NA` for an explicit
    N/A (including "Prefer not to say" and a tool's numeric N/A code), else the
    scale value as a float.

    Raises
    ------
    AnswerError
        For numbers outside the scale and text that is not a scale label.

    Examples
    --------
    >>> from alignkit.catalog.instrument import load_instrument
    >>> parse_answer("4 - Agree", load_instrument())
    4.0
    """
    text = cell.strip()
    folded = normalise_text(text)
    if text == "" or text in codes.skipped or folded in _SKIPPED_WORDS:
        return None
    na_words = {normalise_text(w) for w in (instrument.na_label, *instrument.na_aliases)}
    if folded in na_words or text in instrument.na_aliases or text in codes.not_applicable:
        return NA
    labels = {normalise_text(label): value for value, label in instrument.scale}
    if folded in labels:
        return float(labels[folded])
    return _number(text, instrument)


def _number(text: str, instrument: Instrument) -> float:
    low, high = instrument.scale_min, instrument.scale_max
    match = _LEADING_NUMBER.match(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        if not number.is_integer():
            raise AnswerError(
                f"{text!r} is not a whole number; answers are points {low}–{high} on the scale"
            )
        if low <= number <= high:
            return number
        raise AnswerError(
            f"{text[:40]!r} is outside the {low}–{high} scale; correct it, or leave the cell blank "
            "for no answer"
        )
    raise AnswerError(
        f"{text[:40]!r} is not an answer on the {low}–{high} scale; use a number {low}–{high}, "
        f"a label such as '{instrument.scale[-1][1]}', or '{instrument.na_label}'"
    )


def parse_team(cell: str, instrument: Instrument, codes: Codes = PLAIN) -> str | None:
    """Normalise a team answer to a team id; ``None`` when the cell is blank.

    Known names and aliases map to their team; anything else a respondent typed
    (e.g. "RevOps" in an "Other" box) counts as ``other``; "Prefer not to say"
    and other N/A answers give ``None``. With
    ``codes.team_numbers``, ``1`` is the instrument's first team, and so on.

    Examples
    --------
    >>> from alignkit.catalog.instrument import load_instrument
    >>> parse_team("RevOps", load_instrument())
    'other'
    """
    text = cell.strip()
    folded = normalise_text(text)
    na_words = {normalise_text(w) for w in (instrument.na_label, *instrument.na_aliases)}
    if not folded or text in codes.skipped or folded in na_words:
        return None  # "Prefer not to say" names no team
    if codes.team_numbers and text.isdigit() and 1 <= int(text) <= len(instrument.teams):
        return instrument.team_ids[int(text) - 1]
    for team_id, label, aliases in instrument.teams:
        if folded in {normalise_text(n) for n in (team_id, label, *aliases)}:
            return team_id
    first = folded.split()[0]
    for team_id in ("sales", "marketing"):
        if first == team_id:
            return team_id
    return "other" if "other" in instrument.team_ids else None
