"""Match a file's columns to instrument items (by id, text or a mapping file).

Every importer describes its columns as :class:`Column` objects: the name a
user sees, the texts that may name an item (best first, e.g. the statement of
a ``Question [Statement]`` heading), and any bookkeeping role the importer
recognised (response id, e-mail, status …). :func:`match_columns` applies the
same rules to every tool: the mapping file first, then exact text, then
normalised text; a column matching nothing is listed, never scored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from alignkit.catalog.instrument import Instrument, normalise_text
from alignkit.exceptions import IntakeError
from alignkit.intake.limits import LIMITS, limit_error

__all__ = ["FIELDS", "Column", "Matched", "grid_parts", "match_columns", "read_mapping",
           "simple_columns"]

#: Non-item targets a mapping row may name.
FIELDS = ("respondent_id", "team", "role", "comment", "email")
#: Roles that may be held by several columns (first and last name …).
_REPEATABLE = frozenset({"name", "known"})

_FIELD_NAMES = {
    "respondent_id": {"respondent id", "respondent", "response id", "id"},
    "team": {"team", "department", "which team are you in", "your team"},
    "role": {"role", "job title", "title", "your role"},
    "comment": {"comment", "comments", "feedback"},
    "email": {"email", "email address", "e mail", "e mail address", "your email"},
    "ip": {"ip", "ip address", "network address"},
    "name": {"name", "full name", "your name", "first name", "last name"},
}
_GRID = re.compile(r"^(?P<question>.*?)\s*\[(?P<statement>[^\]]+)\]\s*$", re.DOTALL)
_OPTIONAL = re.compile(r"\s*\(optional\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    """One column of an export, as an importer understood its header.

    Attributes
    ----------
    index
        Position in the row.
    name
        What messages and the ``unmapped`` list call it.
    labels
        Texts that may name an item or question, best first.
    role
        A bookkeeping field the importer recognised: ``respondent_id``,
        ``email``, ``name``, ``ip``, ``known`` (neither scored nor listed) or a
        tool flag such as ``status``, ``finished``, ``progress``, ``submitted``.
    other_of
        Index of the question whose free-text "Other" box this column is.
    """

    index: int
    name: str
    labels: tuple[str, ...]
    role: str | None = None
    other_of: int | None = None


@dataclass(frozen=True)
class Matched:
    """Targets of the matched columns (``{index: item id or field}``) and the rest."""

    targets: dict[int, str]
    names: dict[int, str]
    unmapped: list[str]


def grid_parts(header: str) -> tuple[str, str] | None:
    """Split ``Question [Statement]`` into its two parts, or ``None``."""
    match = _GRID.match(header)
    return (match.group("question"), match.group("statement")) if match else None


def simple_columns(header: tuple[str, ...], roles: dict[str, str] | None = None) -> list[Column]:
    """Columns of a one-row header: the header, then a grid statement, as labels.

    ``roles`` maps normalised header names to bookkeeping roles.
    """
    roles = roles or {}
    columns = []
    for index, name in enumerate(header):
        parts = grid_parts(name)
        labels = (name, parts[1]) if parts else (name,)
        columns.append(Column(index, name, labels, roles.get(normalise_text(name))))
    return columns


def read_mapping(path: str | Path, instrument: Instrument) -> dict[str, str]:
    """Read ``MAP.csv`` (columns ``column,item``) into ``{normalised header: target}``.

    A target is an item id or one of :data:`FIELDS` (``team``, ``comment`` …).
    Rows are numbered as a spreadsheet shows them (the header is row 1).

    Raises
    ------
    IntakeError
        Naming the mapping file, row and column: an unknown target, a column
        listed twice, or two columns sent to one item or field.
    """
    path = Path(path)
    rows = _mapping_rows(path)
    if not rows or [h.strip().lower() for h in rows[0][:2]] != ["column", "item"]:
        raise IntakeError("the mapping file must start with the header 'column,item'", file=path,
                          row=1)
    valid = {i.id for i in instrument.items} | set(FIELDS)
    mapping: dict[str, str] = {}
    where: dict[str, tuple[int, str]] = {}  # target -> (row, column) that claimed it
    listed: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip():
            raise IntakeError("needs a source column and an item id", file=path, row=number)
        source, target = row[0].strip(), row[1].strip()
        if target not in valid:
            raise IntakeError(
                f"'{target}' is not an item id of instrument {instrument.version} nor one of "
                f"{', '.join(FIELDS)}; see `alignkit instrument show`",
                file=path, row=number, column="item",
            )
        key = normalise_text(source)
        if key in listed:
            raise IntakeError(f"lists the column '{source[:60]}' again (first in row "
                              f"{listed[key]}); keep one row per column", file=path, row=number,
                              column="column")
        if target in where:
            first_row, first = where[target]
            raise IntakeError(
                f"sends '{source[:60]}' to '{target}', which row {first_row} already gives to "
                f"'{first[:60]}'; one column answers one item: keep one of the two rows",
                file=path, row=number, column="item",
            )
        listed[key], where[target] = number, (number, source)
        mapping[key] = target
    return mapping


def _mapping_rows(path: Path) -> list[list[str]]:
    try:
        size = path.stat().st_size
        if size > LIMITS["file"].allowed(path):
            raise limit_error("file", f"the mapping file is {size / 2**20:,.0f} MB", path,
                              advice="keep one row per column to map")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise IntakeError(f"cannot read the mapping file ({type(err).__name__})", file=path) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise IntakeError(f"the mapping file is not well-formed CSV ({err})", file=path) from None


def _lookups(instrument: Instrument) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Exact, normalised and compact-id lookups from text to target."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for target, names in _FIELD_NAMES.items():
        folded.update({normalise_text(n): target for n in names})
    for key in ("team", "role", "comment"):
        question = instrument.questions[key]
        exact[question] = key
        folded[normalise_text(question)] = key
        folded[normalise_text(_OPTIONAL.sub("", question))] = key
    for item in instrument.items:
        exact[item.id] = exact[item.text] = item.id
        folded[normalise_text(item.id)] = folded[normalise_text(item.text)] = item.id
    compact = {item.id.replace("_", ""): item.id for item in instrument.items}
    return exact, folded, compact


def _target(labels: tuple[str, ...], lookups: tuple[dict[str, str], ...],
            mapping: dict[str, str]) -> str | None:
    exact, folded, compact = lookups
    keys = [normalise_text(label) for label in labels]
    for candidates, table in ((keys, mapping), ([lb.strip() for lb in labels], exact),
                              (keys, folded), ([k.replace(" ", "") for k in keys], compact)):
        for candidate in candidates:
            if candidate and candidate in table:
                return table[candidate]
    return None


def _check_mapping(path: Path, columns: list[Column], mapping: dict[str, str]) -> None:
    present = {normalise_text(text) for c in columns for text in (c.name, *c.labels)}
    missing = sorted(set(mapping) - present)
    if missing:
        raise IntakeError(
            f"the mapping names column '{missing[0]}' which this file does not have; "
            "fix the mapping's 'column' cell",
            file=path,
        )


def match_columns(
    path: Path,
    columns: list[Column],
    instrument: Instrument,
    mapping: dict[str, str] | None = None,
) -> Matched:
    """Assign each column to an item id or field; list the columns left over.

    Mapping rows win over automatic matching. Two columns answering one target
    is an error naming the second column.
    """
    mapping = mapping or {}
    _check_mapping(path, columns, mapping)
    lookups = _lookups(instrument)
    targets: dict[int, str] = {}
    seen: dict[str, str] = {}
    for column in columns:
        target = column.role or _target(column.labels, lookups, mapping)
        if target is None or column.other_of is not None:
            continue
        if target in seen and target not in _REPEATABLE:
            fix = ("delete one, or change the mapping file" if mapping else
                   "delete one, or map them with --mapping MAP.csv")
            raise IntakeError(f"this column and '{seen[target]}' both answer '{target}'; {fix}",
                              file=path, column=column.name)
        seen[target] = column.name
        targets[column.index] = target
    for column in columns:
        if column.other_of is not None and targets.get(column.other_of) == "team":
            targets[column.index] = "team_other"
    unmapped = [c.name for c in columns if c.index not in targets and c.name]
    return Matched({i: t for i, t in targets.items() if t != "known"},
                   {c.index: c.name for c in columns}, unmapped)
