"""The TeX-to-MathML renderer: what arXiv abstracts use renders, and nothing can inject markup."""

from __future__ import annotations

import re
from html import escape
from xml.etree.ElementTree import fromstring

import pytest

from likewise.web.texmath import render_tex, strip_tex, tex_to_mathml

MATHML_TAGS = {"math", "mi", "mn", "mo", "mrow", "mtext", "msup", "msub", "msubsup", "mfrac"}
MATHML_TAGS |= {"msqrt", "mroot", "mover", "munder", "munderover", "mspace", "mstyle"}
MATHML_TAGS |= {"mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd"}


def test_inline_math_becomes_mathml_with_scripts_and_fractions() -> None:
    html = str(render_tex(r"cost $O(n^{2})$ and $\frac{a}{b_i}$"))
    assert (
        '<math display="inline"><mrow><mi>O</mi><mo stretchy="false">(</mo>'
        "<msup><mi>n</mi><mrow><mn>2</mn></mrow></msup>" in html
    )
    fraction = (
        "<mfrac><mrow><mi>a</mi></mrow><mrow><msub><mi>b</mi><mi>i</mi></msub></mrow></mfrac>"
    )
    assert fraction in html


def test_display_math_is_marked_as_a_block() -> None:
    assert str(render_tex("$$x$$")).startswith('<math display="block">')


def test_greek_letters_operators_and_fonts_map_to_unicode() -> None:
    html = str(tex_to_mathml(r"\alpha \leq \mathbb{R} \times \mathcal{L}"))
    assert "<mi>α</mi><mo>≤</mo><mi>ℝ</mi><mo>×</mo><mi>ℒ</mi>" in html


def test_text_outside_math_is_escaped_and_tex_escapes_become_characters() -> None:
    html = str(render_tex(r"40\% better <b>than</b> A & B, costs \$5"))
    assert html == "40% better &lt;b&gt;than&lt;/b&gt; A &amp; B, costs $5"


def test_tex_escapes_inside_text_mode_become_characters() -> None:
    assert '<mtext mathvariant="bold">+23.7%</mtext>' in str(tex_to_mathml(r"\textbf{+23.7\%}"))


@pytest.mark.parametrize(
    "source",
    [
        r"$<script>alert(1)</script>$",
        r"$\text{<img src=x onerror=alert(1)>}$",
        r"$\texttt{</think>}$",
        r"$\operatorname{<b>}$",
        r"$\unknowncommand{\"'<>}$",
        r"$x^{<}_{>}$",
        r"$\sqrt[<i>]{x}$",
        r"$\href{javascript:alert(1)}{x}$",
        r"$\style{background:url(javascript:alert(1))}{x}$",
        r"$\class{evil}{x} \color{red}{y} \colorbox{black}{z}$",
    ],
)
def test_no_input_yields_a_tag_or_attribute_outside_mathml(source: str) -> None:
    html = str(render_tex(source))
    assert set(re.findall(r"</?([a-zA-Z]+)", html)) <= MATHML_TAGS
    elements = list(fromstring(f"<root>{html}</root>").iter())
    assert {element.tag for element in elements[1:]} <= MATHML_TAGS
    attributes = {name for element in elements for name in element.attrib}
    assert not attributes & {"href", "style", "class", "mathcolor", "mathbackground", "onerror"}
    assert "javascript" not in html or not html.startswith("<math")


def test_text_mode_markup_is_shown_as_text() -> None:
    html = str(tex_to_mathml(r"\texttt{<think>} a<b"))
    assert '<mtext mathvariant="monospace">&lt;think&gt;</mtext>' in html
    assert "<mo>&lt;</mo>" in html


def test_a_link_keeps_its_text_and_loses_its_target() -> None:
    html = str(tex_to_mathml(r"\href{javascript:alert(1)}{\text{code}}"))
    assert html.startswith("<math") and "<mtext>code</mtext>" in html
    assert "href" not in html and "javascript" not in html


def test_out_of_range_lengths_are_dropped() -> None:
    html = str(tex_to_mathml(r"\hspace{9999em}x\hspace{1em}y"))
    assert "<mspace></mspace>" in html and '<mspace width="1em"></mspace>' in html


def test_unknown_commands_are_shown_as_text() -> None:
    assert "<mi>\\weird</mi>" in str(tex_to_mathml(r"\weird x"))


def test_a_lone_dollar_sign_stays_text() -> None:
    assert str(render_tex("costs $5 only")) == "costs $5 only"


@pytest.mark.parametrize("source", [r"\begin{matrix} a", r"x^", r"\left( x", r"\sqrt["])
def test_tex_latex2mathml_cannot_read_falls_back_to_escaped_source(source: str) -> None:
    assert str(tex_to_mathml(source)) == escape(f"${source}$")


def test_deeply_nested_or_huge_formulas_fall_back_to_escaped_source() -> None:
    nested = "{" * 200 + "x" + "}" * 200
    assert str(render_tex(f"${nested}$")) == f"${nested}$"
    huge = "x+<" * 1000
    assert str(render_tex(f"${huge}$")) == escape(f"${huge}$")
    unbraced = r"\sqrt" * 300 + "x"
    assert "<math" not in str(render_tex(f"${unbraced}$"))


def test_strip_tex_gives_plain_text_for_feeds() -> None:
    assert strip_tex(r"Bounds for $x$ at 40\%") == "Bounds for x at 40%"
