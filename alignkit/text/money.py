"""Money as every alignkit output writes it: one formatter, one currency per engagement.

The currency is an ISO 4217 code stored in the engagement settings
(:mod:`alignkit.store.settings`); the few common ones are written with their sign.

Examples
--------
>>> format_money(1_200_000, "EUR"), format_money(1_200_000, "USD", compact=True)
('€1,200,000', '$1.2M')
>>> format_money(45_500, "CHF", compact=True), format_money(-250, "GBP")
('CHF 46k', '−£250')
"""

from __future__ import annotations

import math

__all__ = ["CURRENCY_SIGNS", "DEFAULT_CURRENCY", "currency_sign", "format_money", "valid_currency"]

#: The currency an engagement uses until the consultant sets one.
DEFAULT_CURRENCY = "EUR"
#: Currencies written with their sign in front of the figure; others as ``CHF 1,200``.
CURRENCY_SIGNS = {"EUR": "\u20ac", "USD": "$", "GBP": "\u00a3", "JPY": "\u00a5", "INR": "\u20b9"}


def valid_currency(code: str) -> str:
    """The upper-case ISO 4217 code, or ``ValueError`` for anything that is not three letters."""
    text = str(code).strip().upper()
    if len(text) != 3 or not text.isascii() or not text.isalpha():
        raise ValueError(f"currency must be a three-letter ISO code such as EUR, USD or GBP, "
                         f"not {code!r}")
    return text


def currency_sign(currency: str) -> str:
    """What goes in front of an amount: ``€`` for EUR, ``CHF `` for CHF, nothing for ``""``."""
    code = str(currency or "").upper()
    if not code:
        return ""
    return CURRENCY_SIGNS.get(code, f"{code} ")


def format_money(value: float, currency: str = DEFAULT_CURRENCY, *, compact: bool = False) -> str:
    """An amount with its currency: ``€1,200,000``, or ``€1.2M`` / ``€46k`` when ``compact``.

    NaN or ``None`` gives an en dash; negative amounts take a proper minus sign.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    sign = "\u2212" if value < 0 else ""
    amount = abs(float(value))
    if compact and amount >= 999_500:
        text = f"{amount / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    elif compact and amount >= 10_000:
        text = f"{amount / 1e3:.0f}k"
    elif compact and amount >= 1_000:
        text = f"{amount / 1e3:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{amount:,.0f}"
    return f"{sign}{currency_sign(currency)}{text}"
