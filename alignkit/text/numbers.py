"""How alignkit writes a change or a gap: with its sign and a proper minus.

Examples
--------
>>> signed(0.84), signed(-0.2), signed(-0.04)
('+0.8', '−0.2', '0.0')
>>> signed(-0.04, keep_small=True), signed(0.0, keep_small=True)
('−0.04', '0.0')
"""

from __future__ import annotations

__all__ = ["signed"]


def signed(value: float, *, keep_small: bool = False) -> str:
    """``+0.8`` / ``−0.8`` to one decimal; a value that rounds to zero is ``0.0``.

    With ``keep_small``, a value near but not at zero keeps two decimals and its sign
    (only exactly zero is ``0.0``).
    """
    if keep_small:
        text = f"{value:+.{2 if 0 < abs(value) < 0.05 else 1}f}"
        return "0.0" if value == 0 else text.replace("-", "\u2212")
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")
