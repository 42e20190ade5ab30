"""Comment themes: what respondents' free text is about, grouped, counted and quoted.

Only comments that may be shown are themed: those the disclosure rules allow
(:attr:`alignkit.analysis.disclosure.Disclosure.commenters`, as in
:attr:`alignkit.analysis.wave.WaveScores.comments`), and of those only the
comments of teams with at least :data:`COMMENT_MIN_GROUP` respondents (never
fewer than the anonymity threshold): a theme's quotes are longer and more
telling than a mean. E-mail addresses, phone numbers and people's names are
masked before any theming, so neither quotes nor theme terms can carry them.

A comment goes to the dimension whose lexicon terms it uses most
(:mod:`alignkit.catalog.comment_lexicon`); the comments no term places are
grouped by TF-IDF and NMF with a fixed seed. Everything is offline and the same
input always gives the same themes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignkit.analysis.anonymity import check_threshold
from alignkit.catalog.comment_lexicon import CommentLexicon, load_comment_lexicon

__all__ = ["COMMENT_MIN_GROUP", "CommentThemes", "Theme", "comment_themes", "mask_people",
           "wave_comment_themes"]

COMMENT_MIN_GROUP = 10
OTHER = "other"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()./-]{5,}\d(?![\w])")
_WORD = re.compile(r"[a-z0-9][a-z0-9'/-]*")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_LEAN_AT = 0.2  # mean comment lean beyond which a theme leans one way
_SEED = 7


@dataclass(frozen=True)
class Theme:
    """One theme: what it is about, how many comments, their lean and a few quotes.

    ``lean`` is ``"positive"``, ``"negative"`` or ``"mixed"`` from ``lean_score``,
    the mean of each comment's lean (-1, 0 or +1).
    """

    label: str
    dimensions: tuple[str, ...]
    count: int
    lean: str
    lean_score: float
    quotes: tuple[tuple[str, str], ...]  # (team, masked comment)
    terms: tuple[str, ...] = ()
    source: str = "lexicon"

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "dimensions": list(self.dimensions), "count": self.count,
                "lean": self.lean, "lean_score": round(self.lean_score, 3),
                "quotes": [{"team": t, "text": q} for t, q in self.quotes],
                "terms": list(self.terms), "source": self.source}


@dataclass(frozen=True)
class CommentThemes:
    """The themes of a wave's comments, largest first, and what was left out."""

    themes: tuple[Theme, ...]
    used: int
    withheld: int
    min_group: int

    def to_json(self) -> dict[str, Any]:
        return {"themes": [t.to_json() for t in self.themes], "comments_used": self.used,
                "comments_withheld": self.withheld, "min_group": self.min_group}


# -- masking -------------------------------------------------------------------------------
def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    parts = set()
    for name in names:
        if not isinstance(name, str):
            continue
        name = " ".join(name.split())
        if len(name) >= 2:
            parts.add(name)
            # Each word of a name on its own too, when it reads as a word (markup is no name).
            parts |= {p for p in name.split(" ") if len(p) >= 3 and _NAME_WORD.fullmatch(p)}
    if not parts:
        return None
    alternation = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def mask_people(texts: pd.Series, names: Iterable[str] = (),
                first_names: Iterable[str] = ()) -> pd.Series:
    """``texts`` with e-mail addresses, phone numbers and names masked.

    ``names`` (e.g. action owners) are masked in any case, each word of them too;
    ``first_names`` only when written with a capital, as names are.
    """
    out = texts.fillna("").astype(str)
    out = out.str.replace(_EMAIL, "[e-mail]", regex=True)
    out = out.str.replace(_PHONE, "[phone]", regex=True)
    known = _name_pattern(names)
    if known is not None:
        out = out.str.replace(known, "[name]", regex=True)
    firsts = sorted({n for n in first_names if n}, key=len, reverse=True)
    if firsts:
        capital = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(n) for n in firsts)})(?!\w)")
        out = out.str.replace(capital, "[name]", regex=True)
    return out


# -- lexicon -------------------------------------------------------------------------------
def _term_regex(terms: Iterable[str]) -> re.Pattern[str]:
    parts = [re.escape(t[:-1]) + r"[\w-]*" if t.endswith("*") else re.escape(t) for t in terms]
    return re.compile(rf"(?<![\w])(?:{'|'.join(parts)})(?![\w])", re.IGNORECASE)


def _dimension_hits(texts: pd.Series, lexicon: CommentLexicon) -> pd.DataFrame:
    """Lexicon hits per comment (rows) and dimension (columns, lexicon order)."""
    return pd.DataFrame({d: texts.str.count(_term_regex(t)) for d, t in
                         lexicon.dimensions.items()}, index=texts.index)


def _leans(texts: pd.Series, lexicon: CommentLexicon) -> np.ndarray:
    """-1, 0 or +1 per comment: more negative or positive words (a negation flips the next)."""
    pos, neg = _term_regex(lexicon.positive), _term_regex(lexicon.negative)
    negations = set(lexicon.negations)
    out = []
    for text in texts:
        score, flip = 0, 0
        for word in _WORD.findall(text.lower()):
            sign = 1 if pos.fullmatch(word) else -1 if neg.fullmatch(word) else 0
            if sign:
                score += -sign if flip else sign
            flip = 2 if word in negations else max(flip - 1, 0)
        out.append(int(np.sign(score)))
    return np.array(out, dtype=int)


# -- themes --------------------------------------------------------------------------------
def _lean(values: np.ndarray) -> tuple[str, float]:
    score = float(values.mean()) if len(values) else 0.0
    return ("positive" if score > _LEAN_AT else "negative" if score < -_LEAN_AT
            else "mixed"), score


def _quotes(frame: pd.DataFrame, weight: pd.Series, limit: int) -> tuple[tuple[str, str], ...]:
    """The ``limit`` most telling comments: most lexicon hits, then a readable length."""
    length = frame["text"].str.len()
    ranked = frame.assign(_w=weight, _l=(length - 140).abs()).sort_values(
        ["_w", "_l", "text"], ascending=[False, True, True], kind="stable")
    picked = ranked.drop_duplicates("text").head(limit)
    return tuple(zip(picked["team"], picked["text"], strict=True))


def _clusters(texts: pd.Series, topics: int) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """A topic per comment and each topic's top terms (TF-IDF + NMF, fixed seed)."""
    from sklearn.decomposition import NMF  # lazily: report kernels never pay for it
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.8,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z-]{2,}\b")
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:  # no term used twice: nothing to group by
        return np.zeros(len(texts), dtype=int), [()]
    topics = max(1, min(topics, matrix.shape[1]))
    model = NMF(n_components=topics, init="nndsvd", random_state=_SEED, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = vectoriser.get_feature_names_out()
    terms = [tuple(vocabulary[i] for i in np.argsort(-row, kind="stable")[:3])
             for row in model.components_]
    topic = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    return topic, terms


def _unplaced_themes(frame: pd.DataFrame, leans: np.ndarray, quotes: int) -> list[Theme]:
    if frame.empty:
        return []
    topic, terms = (_clusters(frame["text"], topics=min(4, len(frame) // 6))
                    if len(frame) >= 12 else (np.full(len(frame), -1), []))
    themes, rest = [], np.ones(len(frame), dtype=bool)
    for t, words in enumerate(terms):
        here = topic == t
        if here.sum() < 3 or not words:
            continue
        rest &= ~here
        lean, score = _lean(leans[here])
        themes.append(Theme(f"Other: {', '.join(words)}", (), int(here.sum()), lean, score,
                            _quotes(frame[here], pd.Series(0, index=frame.index[here]), quotes),
                            words, "clusters"))
    if rest.any():
        lean, score = _lean(leans[rest])
        themes.append(Theme("Other comments", (), int(rest.sum()), lean, score,
                            _quotes(frame[rest], pd.Series(0, index=frame.index[rest]), quotes),
                            (), "clusters"))
    return themes


def comment_themes(comments: pd.DataFrame, team_sizes: Mapping[str, int], *, threshold: int,
                   names: Iterable[str] = (), lexicon: CommentLexicon | None = None,
                   dimension_names: Mapping[str, str] | None = None,
                   quotes: int = 3) -> CommentThemes:
    """Group the comments that may be shown into themes tied to dimensions.

    Parameters
    ----------
    comments
        ``team, comment`` of the comments disclosure allows
        (:attr:`~alignkit.analysis.wave.WaveScores.comments`).
    team_sizes
        Respondents per team; teams below ``max(COMMENT_MIN_GROUP, threshold)``,
        or missing, give no comments.
    threshold
        The anonymity threshold of the wave.
    names
        Names of people in the company (e.g. action owners), masked in every quote.
    lexicon
        The comment lexicon (the bundled one by default).
    dimension_names
        Dimension id -> name for theme labels (the id when absent).
    quotes
        Quotes per theme (two or three read best).

    Returns
    -------
    CommentThemes
        Themes largest first (ties in lexicon order), each with its count, lean,
        quotes and dimensions.
    """
    k = check_threshold(threshold)
    lexicon = lexicon or load_comment_lexicon()
    least = max(COMMENT_MIN_GROUP, k)
    text = comments["comment"].fillna("").astype(str).str.strip()
    big = comments["team"].map(lambda t: team_sizes.get(t, 0) >= least).astype(bool)
    keep = comments.assign(comment=text)[big & (text != "")]
    withheld = int((text != "").sum()) - len(keep)
    # One order whatever the input's: the same comments give the same themes.
    frame = (keep.assign(team=keep["team"].astype(str))
             .sort_values(["team", "comment"], kind="stable").reset_index(drop=True))
    frame["text"] = mask_people(frame["comment"], names, lexicon.first_names)
    frame = frame[["team", "text"]]
    if frame.empty:
        return CommentThemes((), 0, withheld, least)
    hits = _dimension_hits(frame["text"], lexicon)
    leans = _leans(frame["text"], lexicon)
    placed = hits.max(axis=1) > 0
    primary = hits.idxmax(axis=1).where(placed)  # first dimension wins a tie (lexicon order)
    themes = []
    for dim in lexicon.dimensions:
        here = (primary == dim).to_numpy()
        if not here.any():
            continue
        also = hits[here].drop(columns=dim).gt(0).mean()
        related = tuple(d for d in also.index if also[d] >= 1 / 3)
        lean, score = _lean(leans[here])
        themes.append(Theme((dimension_names or {}).get(dim, dim), (dim, *related),
                            int(here.sum()), lean, score,
                            _quotes(frame[here], hits.loc[here, dim], quotes)))
    themes += _unplaced_themes(frame[~placed.to_numpy()], leans[~placed.to_numpy()], quotes)
    # Dimension themes first, then groups of unplaced comments; the rest last.
    ordered = sorted(themes, key=lambda t: (t.source != "lexicon", t.label == "Other comments",
                                             -t.count))
    return CommentThemes(tuple(ordered), len(frame), withheld, least)


def wave_comment_themes(scores: Any, dimension_names: Mapping[str, str], *,
                        names: Iterable[str] = ()) -> CommentThemes:
    """:func:`comment_themes` of a scored wave (:class:`~alignkit.analysis.wave.WaveScores`).

    The comments are those the wave's disclosure allows; team sizes are the shown
    groups' sizes, so a team hidden or below :data:`COMMENT_MIN_GROUP` gives none.
    ``names`` (e.g. the action owners) are masked. The reports and ``alignkit
    comments`` call this one function, so they show the same comments.
    """
    shown = scores.sizes[~scores.sizes["suppressed"].astype(bool)]
    sizes = {str(g): int(n) for g, n in zip(shown["group"], shown["n"], strict=True)}
    return comment_themes(scores.comments, sizes, threshold=scores.threshold, names=names,
                          dimension_names=dimension_names)
