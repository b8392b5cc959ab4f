"""The TeX-to-MathML renderer: what arXiv abstracts use renders, and nothing can inject markup."""

from __future__ import annotations

import re

import pytest

from likewise.web.texmath import render_tex, strip_tex, tex_to_mathml


def test_inline_math_becomes_mathml_with_scripts_and_fractions() -> None:
    html = str(render_tex(r"cost $O(n^{2})$ and $\frac{a}{b_i}$"))
    assert "<math><mi>O</mi><mo>(</mo><msup><mi>n</mi><mrow><mn>2</mn></mrow></msup>" in html
    fraction = (
        "<mfrac><mrow><mi>a</mi></mrow><mrow><msub><mi>b</mi><mi>i</mi></msub></mrow></mfrac>"
    )
    assert fraction in html


def test_greek_letters_operators_and_fonts_map_to_unicode() -> None:
    html = str(tex_to_mathml(r"\alpha \leq \mathbb{R} \times \mathcal{L}"))
    assert "<mi>α</mi><mo>≤</mo><mi>ℝ</mi><mo>×</mo><mi>ℒ</mi>" in html


def test_text_outside_math_is_escaped_and_tex_escapes_become_characters() -> None:
    html = str(render_tex(r"40\% better <b>than</b> A & B, costs \$5"))
    assert html == "40% better &lt;b&gt;than&lt;/b&gt; A &amp; B, costs $5"


@pytest.mark.parametrize(
    "source",
    [
        r"$<script>alert(1)</script>$",
        r"$\text{<img src=x onerror=alert(1)>}$",
        r"$\operatorname{<b>}$",
        r"$\unknowncommand{\"'<>}$",
        r"$x^{<}_{>}$",
        r"$\sqrt[<i>]{x}$",
    ],
)
def test_no_input_yields_a_tag_outside_mathml(source: str) -> None:
    html = str(render_tex(source))
    tags = set(re.findall(r"</?([a-zA-Z]+)", html))
    assert tags <= {
        "math",
        "mi",
        "mn",
        "mo",
        "mrow",
        "mtext",
        "msup",
        "msub",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mover",
        "munder",
        "mspace",
    }


def test_unknown_commands_are_shown_as_text() -> None:
    assert "<mtext>\\weird</mtext>" in str(tex_to_mathml(r"\weird x"))


def test_a_lone_dollar_sign_stays_text() -> None:
    assert str(render_tex("costs $5 only")) == "costs $5 only"


def test_deeply_nested_or_huge_formulas_fall_back_to_escaped_source() -> None:
    nested = "$" + "{" * 200 + "x" + "}" * 200 + "$"
    assert "<math" not in str(render_tex(nested))
    huge = "$" + "x+" * 1000 + "$"
    assert "<math" not in str(render_tex(huge))


def test_strip_tex_gives_plain_text_for_feeds() -> None:
    assert strip_tex(r"Bounds for $x$ at 40\%") == "Bounds for x at 40%"
