"""Fuzzing the TeX renderer: any text renders, as well-formed markup of known elements only,
in time linear in its length."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, fromstring

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.web import texmath
from likewise.web.texmath import math_spans, render_tex, strip_tex

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_PIECES = st.sampled_from(
    [
        "$",
        "$$",
        "\\$",
        "\\(",
        "\\)",
        "\\[",
        "\\]",
        "\\\\",
        "\\",
        "{",
        "}",
        "[",
        "]",
        "^",
        "_",
        "'",
        "~",
        " ",
        "\n",
        "x",
        "2",
        "3.14",
        "\\frac",
        "\\sqrt",
        "\\binom",
        "\\alpha",
        "\\text",
        "\\operatorname",
        "\\mathbb",
        "\\mathcal",
        "\\mathbf",
        "\\mathrm",
        "\\hat",
        "\\underline",
        "\\left",
        "\\right",
        "\\,",
        "\\quad",
        "\\sin",
        "\\%",
        "\\unknown",
        "<",
        ">",
        "&",
        '"',
        "<script>alert(1)</script>",
        "\\href{javascript:alert(1)}{x}",
        "\\style{color:red}{x}",
        "\\class{evil}{x}",
        "\\color{red}",
        "\\rule{1em}{2em}",
        "\\hspace{9999em}",
        "\\texttt{<think>}",
        "\\begin{matrix}",
        "\\end{matrix}",
        "&",
        "&#x0;",
        "(",
        "é",
    ]
)
TEX = st.lists(_PIECES, max_size=60).map("".join) | st.text(
    st.characters(blacklist_categories=["Cs", "Cc"]), max_size=80
)
# What the renderer may emit: MathML presentation elements and these attributes, nothing
# that runs script, links anywhere, or takes a style or class from the input.
ELEMENTS = {"math", "mi", "mn", "mo", "mtext", "mrow", "msub", "msup", "msubsup", "mfrac"}
ELEMENTS |= {"msqrt", "mroot", "mover", "munder", "munderover", "mspace", "mstyle", "mpadded"}
ELEMENTS |= {"mphantom", "menclose", "mtable", "mtr", "mtd"}
ATTRIBUTES = {"display", "mathvariant", "stretchy", "fence", "separator", "form", "accent"}
ATTRIBUTES |= {"accentunder", "movablelimits", "displaystyle", "columnalign", "rowalign"}
ATTRIBUTES |= {"columnlines", "rowlines", "notation", "linebreak", "width", "height", "depth"}
ATTRIBUTES |= {"lspace", "rspace", "voffset", "minsize", "maxsize", "mathsize", "linethickness"}
ATTRIBUTES |= {"scriptlevel", "columnspacing", "rowspacing"}

# The renderer's earlier span pattern, kept as the reference its linear scan must agree with.
_REFERENCE = re.compile(
    r"(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$|(?<!\\)\$(?P<inline>[^$]+?)(?<!\\)\$"
    r"|\\\((?P<paren>.+?)\\\)|\\\[(?P<bracket>.+?)\\\]",
    re.DOTALL,
)


def _reference_spans(text: str) -> list[tuple[int, int, str, bool]]:
    spans = []
    for match in _REFERENCE.finditer(text):
        display = match["display"] is not None or match["bracket"] is not None
        formula = match["display"] or match["inline"] or match["paren"] or match["bracket"]
        spans.append((match.start(), match.end(), formula or "", display))
    return spans


def _elements(root: Element) -> list[Element]:
    return [element for element in root.iter() if element is not root]


@BOUNDED
@given(TEX)
def test_any_text_renders_as_wellformed_mathml_of_known_elements(text: str) -> None:
    html = str(render_tex(text))
    root = fromstring(f"<root>{html}</root>")  # raises if the output is not well-formed
    for element in _elements(root):
        assert element.tag in ELEMENTS
        assert set(element.attrib) <= ATTRIBUTES
        assert all(re.fullmatch(r"[\w .%+-]*", value) for value in element.attrib.values())
    assert "<script" not in html and "javascript:" not in html.replace("javascript:alert", "")
    assert "$" not in strip_tex(text)


@BOUNDED
@given(TEX)
def test_the_linear_span_scan_finds_what_the_reference_pattern_finds(text: str) -> None:
    assert list(math_spans(text)) == _reference_spans(text)


@pytest.mark.parametrize(
    "text",
    [
        "\\(" * 20_000,
        "\\[" * 20_000,
        "\\( a " * 8_000 + "$",
        "$$ " + "x " * 20_000,
        "$$ \\$$" * 10_000,
        "$ " * 50_000,
    ],
)
def test_unclosed_delimiters_are_scanned_in_linear_work(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendering these took 18 s (\\( x 20,000) and 36 s (\\[ x 20,000) with a lazy pattern
    # that rescanned to the end from every opener; count the characters looked at instead.
    scanned = [0]
    close = texmath._close

    def counting(text: str, closer: str, start: int, escapable: bool) -> int:
        found = close(text, closer, start, escapable)
        scanned[0] += (found if found >= 0 else len(text)) - start
        return found

    monkeypatch.setattr(texmath, "_close", counting)
    render_tex(text)
    assert scanned[0] <= 3 * len(text)
    assert list(math_spans(text[:2_000])) == _reference_spans(text[:2_000])
