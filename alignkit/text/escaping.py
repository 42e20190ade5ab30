"""One helper for everything a user typed that a report shows.

Company and wave names, owners, notes, KPI labels, comments, team labels and
branding text all pass through :func:`escape_markdown` before they enter a
Markdown cell, through :func:`escape_html` before they enter HTML (a widget, a
table rendered by a pandas ``Styler``), and through :func:`escape_chart_text`
before they become text in a matplotlib chart. A name such as
``<img src=x onerror=…>`` is then shown as typed and never runs. Apostrophes
and quotes stay as they are in Markdown text (escaping them there would show
``&#x27;`` to the reader).

Examples
--------
>>> escape_markdown("<img src=x onerror=alert(1)> *Acme*")
'&lt;img src=x onerror=alert\\\\(1\\\\)&gt; \\\\*Acme\\\\*'
>>> escape_markdown("O'Brien & Sons")
"O'Brien &amp; Sons"
>>> escape_html('"Acme" <b>')
'&quot;Acme&quot; &lt;b&gt;'
>>> escape_chart_text("$x$ Ltd")
'\\\\$x\\\\$ Ltd'
"""

from __future__ import annotations

import html
import re

__all__ = ["escape_chart_text", "escape_html", "escape_markdown"]

# Characters Markdown reads as markup anywhere in a line: emphasis, code, links, images,
# headings, tables, strike-through, and the dollar signs of the math nbconvert and JupyterLab
# render.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#!|~<>$])")
# What opens a list only at the start of a line: "- ", "+ ", "1. ", "2) ".
_LIST_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([-+.)])")


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown: HTML escaped (quotes kept), markup characters backslashed.

    Line breaks become spaces, so a typed value cannot start a heading or a
    list; ``://`` is broken up so that a typed address is not made a link.
    """
    plain = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    plain = _LIST_START.sub(r"\1\\\2", _MARKDOWN_SPECIALS.sub(r"\\\1", plain))
    return plain.replace("://", r"\://")


def escape_html(text: object) -> str:
    """``text`` for HTML text or attribute values (quotes escaped too)."""
    return html.escape(str(text), quote=True)


def escape_chart_text(text: object) -> str:
    r"""``text`` for a matplotlib label: every ``$`` is ``\$``, so none starts mathtext.

    A label such as ``$\nope$`` would otherwise be parsed as math and stop the
    chart from being drawn at all.
    """
    return str(text).replace("$", r"\$")
