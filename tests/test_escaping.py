"""The one escaping helper: typed text reads as typed once nbconvert renders it, and never runs."""

from __future__ import annotations

import html
import io
import re

import pytest
from matplotlib.figure import Figure
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from alignkit.text.escaping import escape_chart_text, escape_html, escape_markdown

TYPED = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "<script>document.title='pwned'</script>",
    "O'Brien & Sons \"Ltd\"",
    "$x$ and $$y$$ and \\(z\\) and \\[w\\] and \\begin{equation}v\\end{equation}",
    "*bold* _it_ `code` ~~gone~~ [link](javascript:alert(1)) ![img](x.png)",
    "# not a heading #",
    "- not a list",
    "+ nor this",
    "1. nor a numbered one",
    "3) nor this",
    "a | b | c",
    "visit https://example.com/x now",
    "&amp; &#x27; &lt; are typed as such",
    "back\\slash and \\*star\\*",
]


def _shown(markdown: str) -> str:
    """What a reader sees of ``markdown`` rendered by nbconvert: the text without tags."""
    # nbconvert gives each heading a link to itself; any other link would come from the text
    rendered = re.sub(r'<a class="anchor-link" href="#[^"<>]*">&#182;</a>', "",
                      markdown2html_mistune(markdown))
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("text", TYPED)
def test_markdown_shows_typed_text_as_typed(text: str) -> None:
    assert _shown(escape_markdown(text)) == text


@pytest.mark.parametrize("text", TYPED)
def test_typed_text_stays_one_piece_inside_report_markup(text: str) -> None:
    assert _shown(f"- **{escape_markdown(text)}** is due") == f"{text} is due"
    assert _shown(f"# At {escape_markdown(text)}?") == f"At {text}?"


def test_line_breaks_cannot_open_a_block() -> None:
    assert _shown(escape_markdown("Acme\n# heading\n- item\n---")) == "Acme # heading - item ---"


def test_html_escapes_quotes_for_attributes() -> None:
    assert escape_html("a\"b'c<d>&") == "a&quot;b&#x27;c&lt;d&gt;&amp;"


@pytest.mark.parametrize("text", ["Ann $x$", r"Bo $\nope$", "$", r"a\$b$c$"])
def test_chart_text_is_never_mathtext(text: str) -> None:
    fig = Figure()
    label = fig.text(0, 0, escape_chart_text(text))
    fig.savefig(io.BytesIO(), format="svg")  # an unknown \command in mathtext would raise
    shown, is_math = label._preprocess_math(label.get_text())
    assert (shown, is_math) == (text, False)
