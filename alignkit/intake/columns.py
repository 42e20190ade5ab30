"""Match a file's columns to instrument items (by id, text or a mapping file)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from alignkit.exceptions import IntakeError
from alignkit.instrument import Instrument, normalise_text

__all__ = ["FIELDS", "match_columns", "read_mapping"]

#: Non-item targets a column can answer.
FIELDS = ("respondent_id", "team", "role", "comment")

_FIELD_NAMES = {
    "respondent_id": {"respondent id", "respondent", "response id", "id"},
    "team": {"team", "department", "which team are you in", "your team"},
    "role": {"role", "job title", "title", "your role"},
    "comment": {"comment", "comments", "feedback"},
}
_GRID = re.compile(r"^(?P<question>.*?)\s*\[(?P<statement>[^\]]+)\]\s*$")


def read_mapping(path: str | Path, instrument: Instrument) -> dict[str, str]:
    """Read ``MAP.csv`` (columns ``column,item``) into ``{normalised header: target}``.

    A target is an item id or one of :data:`FIELDS` (``team``, ``comment`` …).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise IntakeError(f"cannot read the mapping file ({type(err).__name__})", file=path) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [h.strip().lower() for h in rows[0][:2]] != ["column", "item"]:
        raise IntakeError("the mapping file must start with the header 'column,item'", file=path, row=0)
    valid = {i.id for i in instrument.items} | set(FIELDS)
    mapping: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip():
            raise IntakeError("needs a source column and an item id", file=path, row=number)
        target = row[1].strip()
        if target not in valid:
            raise IntakeError(
                f"'{target}' is not an item id of instrument {instrument.version} nor one of "
                f"{', '.join(FIELDS)}; see `alignkit instrument show`",
                file=path, row=number, column="item",
            )
        mapping[normalise_text(row[0])] = target
    return mapping


def _lookup(instrument: Instrument) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in _FIELD_NAMES.items():
        for name in names:
            table[normalise_text(name)] = field
    for key in ("team", "role", "comment"):
        table[normalise_text(instrument.questions[key])] = key
    for item in instrument.items:
        table[normalise_text(item.id)] = item.id
        table[normalise_text(item.text)] = item.id
    return table


def _target(header: str, lookup: dict[str, str], mapping: dict[str, str]) -> str | None:
    key = normalise_text(header)
    grid = _GRID.match(header)
    statement = normalise_text(grid.group("statement")) if grid else None
    for candidate in (key, statement):
        if candidate and candidate in mapping:
            return mapping[candidate]
    for candidate in (key, statement):
        if candidate and candidate in lookup:
            return lookup[candidate]
    return None


def match_columns(
    path: Path,
    header: tuple[str, ...],
    instrument: Instrument,
    mapping: dict[str, str] | None = None,
) -> tuple[dict[int, str], list[str]]:
    """Assign each column to an item id or field; list the columns left over.

    Returns ``({column index: target}, [unmapped headers])``. Mapping rows win
    over automatic matching. Two columns answering one target is an error.
    """
    mapping = mapping or {}
    missing = sorted(set(mapping) - {normalise_text(h) for h in header}
                     - {normalise_text(m.group("statement")) for h in header
                        if (m := _GRID.match(h))})
    if missing:
        raise IntakeError(
            f"the mapping names column '{missing[0]}' which this file does not have; "
            "fix the mapping's 'column' cell",
            file=path, row=0,
        )
    lookup = _lookup(instrument)
    targets: dict[int, str] = {}
    seen: dict[str, str] = {}
    unmapped: list[str] = []
    for index, name in enumerate(header):
        target = _target(name, lookup, mapping)
        if target is None:
            if name:
                unmapped.append(name)
            continue
        if target in seen:
            raise IntakeError(
                f"this column and '{seen[target]}' both answer '{target}'; delete one, or map "
                "them with --mapping MAP.csv",
                file=path, row=0, column=name,
            )
        seen[target] = name
        targets[index] = target
    return targets, unmapped
