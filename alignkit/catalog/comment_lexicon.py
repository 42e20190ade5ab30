"""The comment lexicon: words that tie a survey comment to a dimension, and sentiment words.

Versioned data in ``alignkit/data/comment_lexicon.v1.yaml``, checked when loaded
against the instrument (every dimension it names must exist), like the
instrument and the playbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alignkit.catalog.instrument import Instrument, load_instrument, read_data_file
from alignkit.exceptions import InstrumentError

__all__ = ["CommentLexicon", "load_comment_lexicon"]


@dataclass(frozen=True)
class CommentLexicon:
    """Terms per dimension id, sentiment words and first names to mask.

    Terms are lower case; a trailing ``*`` matches any ending.
    """

    dimensions: Mapping[str, tuple[str, ...]]
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    negations: tuple[str, ...]
    first_names: tuple[str, ...]


def _terms(value: Any, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise InstrumentError(f"{source}: {where} must be a list of words or phrases")
    return tuple(str(t).strip().lower() for t in value)


@lru_cache(maxsize=4)
def load_comment_lexicon(path: Path | None = None,
                         instrument: Instrument | None = None) -> CommentLexicon:
    """Load and check a comment lexicon (the bundled one by default).

    Raises
    ------
    InstrumentError
        If the file is unreadable, malformed, or names a dimension the
        instrument does not have.
    """
    raw, source = read_data_file(path, "comment_lexicon.v1.yaml", "comment lexicon")
    if not isinstance(raw, dict) or raw.get("version") != 1:
        raise InstrumentError(f"{source}: expected a version 1 comment lexicon")
    dims = raw.get("dimensions")
    if not isinstance(dims, dict) or not dims:
        raise InstrumentError(f"{source}: 'dimensions' must map dimension ids to terms")
    known = {d.id for d in (instrument or load_instrument()).dimensions}
    unknown = sorted(set(dims) - known)
    if unknown:
        raise InstrumentError(f"{source}: unknown dimension(s) {', '.join(unknown)}; "
                              f"the instrument has {', '.join(sorted(known))}")
    sentiment = raw.get("sentiment") or {}
    if not isinstance(sentiment, dict):
        raise InstrumentError(f"{source}: 'sentiment' must map positive/negative to words")
    return CommentLexicon(
        dimensions={d: _terms(t, f"dimensions.{d}", source) for d, t in dims.items()},
        positive=_terms(sentiment.get("positive", []), "sentiment.positive", source),
        negative=_terms(sentiment.get("negative", []), "sentiment.negative", source),
        negations=_terms(sentiment.get("negations", []), "sentiment.negations", source),
        first_names=tuple(t.title() for t in _terms(raw.get("first_names", []),
                                                    "first_names", source)),
    )
