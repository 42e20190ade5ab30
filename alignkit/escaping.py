"""One helper for everything a user typed that a report shows.

Company and wave names, owners, notes, KPI labels, comments, team labels and
branding text all pass through :func:`escape_markdown` before they enter a
Markdown cell, and through :func:`escape_html` before they enter HTML, so a
name such as ``<img src=x onerror=…>`` is shown as typed and never runs.
Apostrophes and quotes stay as they are in Markdown text (escaping them there
would show ``&#x27;`` to the reader).

Examples
--------
>>> escape_markdown("<img src=x onerror=alert(1)> *Acme*")
'&lt;img src=x onerror=alert\\\\(1\\\\)&gt; \\\\*Acme\\\\*'
>>> escape_markdown("O'Brien & Sons")
"O'Brien &amp; Sons"
>>> escape_html('"Acme" <b>')
'&quot;Acme&quot; &lt;b&gt;'
"""

from __future__ import annotations

import html
import re

__all__ = ["escape_html", "escape_markdown"]

# Characters Markdown would read as markup: emphasis, code, links, headings, tables, lists.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|~<>-])")


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown: HTML escaped (quotes kept), markup characters backslashed.

    Line breaks become spaces, so a typed value cannot start a heading or a list.
    """
    plain = html.escape(str(text), quote=False)
    return _MARKDOWN_SPECIALS.sub(r"\\\1", plain).replace("\r", " ").replace("\n", " ")


def escape_html(text: object) -> str:
    """``text`` for HTML text or attribute values (quotes escaped too)."""
    return html.escape(str(text), quote=True)
