"""The vocabulary of CRM funnel exports: stages, column names, source values, dates.

Everything a CRM may call a field or a value lives here as data, so supporting
another CRM's wording is a change to these tables, not to the parser:

* :data:`LEAD_COLUMNS` — alignkit's lead fields and the headers HubSpot contact
  exports and Salesforce lead reports use for them;
* :data:`LEAD_SOURCE_TEAMS` — which team sourced a lead, from the CRM's source
  value (HubSpot "Original Source", Salesforce "Lead Source");
* :data:`COUNT_STAGE_ALIASES` — stage names in aggregate (stage count) exports.

Headers and values are compared after :func:`normalise_header` (lower case,
punctuation folded to single spaces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from alignkit.exceptions import IntakeError

__all__ = [
    "COUNT_STAGE_ALIASES",
    "FUNNEL_STAGES",
    "LEAD_COLUMNS",
    "LEAD_SOURCE_TEAMS",
    "STAGE_NAMES",
    "date_order",
    "normalise_header",
    "outcome_of",
    "parse_amount",
    "parse_when",
    "source_team",
]

FUNNEL_STAGES: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")
STAGE_NAMES: dict[str, str] = {"lead": "Lead", "mql": "MQL", "sal": "SAL", "sql": "SQL",
                               "opportunity": "Opportunity", "won": "Won"}

#: Canonical lead field -> accepted headers, most specific first (normalised, see
#: :func:`normalise_header`). The first header present wins; others are ignored.
LEAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "lead": ("lead id", "record id", "contact id", "id"),
    "created_at": ("created at", "create date", "created date", "lead created date"),
    "source": ("source", "original source", "lead source", "original source type"),
    "mql_at": ("mql at", "became a marketing qualified lead date", "mql date",
               "date entered marketing qualified lead lifecycle stage pipeline",
               "marketing qualified date"),
    "sal_at": ("sal at", "became a sales accepted lead date", "sal date",
               "date entered sales accepted lead lifecycle stage pipeline",
               "sales accepted date", "accepted date"),
    "sql_at": ("sql at", "became a sales qualified lead date", "sql date",
               "date entered sales qualified lead lifecycle stage pipeline",
               "sales qualified date"),
    "opportunity_at": ("opportunity at", "became an opportunity date",
                       "date entered opportunity lifecycle stage pipeline",
                       "opportunity created date", "converted date"),
    "won_at": ("won at", "became a customer date", "closed won date", "won date"),
    "lost_at": ("lost at", "closed lost date", "lost date"),
    "closed_at": ("closed at", "close date", "closed date", "opportunity close date"),
    "outcome": ("outcome", "stage", "opportunity stage", "deal stage", "stage name"),
    "lifecycle": ("lifecycle stage",),
    "first_touch_at": ("first touch at", "first outreach date", "first engagement date",
                       "date of first engagement", "first activity date", "first touch date",
                       "first sales touch", "first response date", "first call date"),
    "owner": ("owner", "contact owner", "lead owner", "owner full name", "owner name"),
    "owner_team": ("owner team", "hubspot team", "owner role", "team", "lead owner role"),
    "amount": ("amount", "opportunity amount", "recent deal amount", "deal amount",
               "amount converted"),
}

#: A lead's source as the CRM names it -> the team that sourced it. HubSpot's
#: "Original Source" values and Salesforce's standard "Lead Source" picklist plus
#: common additions; anything else counts as "other" and is reported.
LEAD_SOURCE_TEAMS: dict[str, str] = {
    **dict.fromkeys(("marketing", "inbound", "organic search", "paid search", "email marketing",
                     "organic social", "social media", "paid social", "referrals",
                     "other campaigns", "direct traffic", "ai referrals", "web", "website",
                     "phone inquiry", "purchased list", "advertisement", "trade show",
                     "webinar", "seminar internal", "seminar partner", "public relations",
                     "content download", "event", "marketing campaign"), "marketing"),
    **dict.fromkeys(("sales", "outbound", "offline sources", "sales prospecting", "prospecting",
                     "outbound prospecting", "cold call", "sales generated", "sdr outbound"),
                    "sales"),
    **dict.fromkeys(("other", "partner", "partner referral", "employee referral",
                     "external referral", "word of mouth", "customer referral"), "other"),
}

#: Aggregate exports: header (normalised) -> stage.
COUNT_STAGE_ALIASES: dict[str, str] = {
    **dict.fromkeys(("lead", "leads", "new leads", "new contacts"), "lead"),
    **dict.fromkeys(("mql", "mqls", "marketing qualified leads"), "mql"),
    **dict.fromkeys(("sal", "sals", "sales accepted leads", "accepted"), "sal"),
    **dict.fromkeys(("sql", "sqls", "sales qualified leads"), "sql"),
    **dict.fromkeys(("opportunity", "opportunities", "opps"), "opportunity"),
    **dict.fromkeys(("won", "closed won", "customers", "new customers", "deals won"), "won"),
}


def normalise_header(text: str) -> str:
    """Lower-case a header and turn every run of punctuation into one space."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def source_team(value: str) -> str | None:
    """``marketing``/``sales``/``other`` for a CRM source value, ``None`` if unknown."""
    return LEAD_SOURCE_TEAMS.get(normalise_header(value))


# -- values ---------------------------------------------------------------------
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?)?$")
_SLASH = re.compile(r"^(\d{1,2})([/.])(\d{1,2})[/.](\d{4}|\d{2}),?(?:\s+(\d{1,2}):(\d{2})"
                    r"(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$")


def date_order(cells: Iterable[tuple[int, str, str]], path: Path) -> tuple[str, bool]:
    """Whether ``01/02/2024`` means 2 January (``dmy``) or 1 February (``mdy``) in this file.

    Returns the order and whether the file itself settles it (a day above 12, or
    dotted dates); ambiguous files are read month first, as US exports are.
    """
    cells = list(cells)
    seen: dict[str, tuple[int, str]] = {}
    for row, column, text in cells:
        match = _SLASH.match(text)
        if match:
            first, sep, second = int(match[1]), match[2], int(match[3])
            if first > 12 or sep == ".":
                seen.setdefault("dmy", (row, column))
            elif second > 12:
                seen.setdefault("mdy", (row, column))
    if len(seen) == 2:
        row, column = max(seen.values())
        raise IntakeError("mixes day/month and month/day dates; export all dates in one format",
                          file=path, row=row, column=column)
    ambiguous = any(_SLASH.match(text) for _, _, text in cells) if not seen else False
    return next(iter(seen), "mdy"), bool(seen) or not ambiguous


def parse_when(text: str, order: str = "mdy") -> tuple[datetime, bool] | None:
    """Parse a CRM date or date-time; returns ``(value, has_time)`` or ``None``.

    Time zones are converted to UTC and dropped; ``order`` says how to read
    slash dates (``mdy`` or ``dmy``).
    """
    parsed = _parse_when(text.strip(), order)
    if parsed is None or not 1900 <= parsed[0].year <= 2100:  # a typo, not a CRM date
        return None
    return parsed


def _parse_when(text: str, order: str) -> tuple[datetime, bool] | None:
    try:
        if match := _ISO.match(text):
            y, mo, d, h, mi, s, tz = match.groups()
            value = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
            if tz:
                offset = datetime.fromisoformat(f"2000-01-01T00:00{'+00:00' if tz == 'Z' else tz}")
                value = (value.replace(tzinfo=offset.tzinfo).astimezone(UTC)
                         .replace(tzinfo=None))
            # Spreadsheet date cells arrive as exact midnights: a day, not a time.
            midnight = text.endswith("T00:00:00") and not tz
            return value, h is not None and not midnight
        if match := _SLASH.match(text):
            a, _, b, y, h, mi, s, ampm = match.groups()
            month, day = (int(a), int(b)) if order == "mdy" else (int(b), int(a))
            hour = int(h or 0)
            if ampm:
                hour = hour % 12 + (12 if ampm[0] in "Pp" else 0)
            year = int(y) + (2000 if len(y) == 2 else 0)
            return datetime(year, month, day, hour, int(mi or 0), int(s or 0)), h is not None
    except ValueError:  # e.g. month 13 or 31 February
        return None
    return None


def parse_amount(text: str) -> float | None:
    """``"$12,500.00"``, ``"EUR 12.500,00"``, ``"12500"`` -> 12500.0; raises ``ValueError``."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if not cleaned.strip():
        if text.strip():
            raise ValueError(text)
        return None
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    elif "," in cleaned:
        thousands = re.fullmatch(r"-?\d{1,3}(,\d{3})+", cleaned)
        cleaned = cleaned.replace(",", "" if thousands else ".")
    return float(cleaned)


def outcome_of(text: str) -> str | None:
    """``won``/``lost`` from a stage or outcome value ("Closed Won", "Lost"), else ``None``."""
    words = normalise_header(text)
    if re.search(r"\bwon\b", words):
        return "won"
    if re.search(r"\blost\b", words):
        return "lost"
    return None


