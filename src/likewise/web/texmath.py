"""`$...$` in titles and abstracts as MathML: finds the spans, converts each with latex2mathml
and lets only whitelisted MathML through, or shows the escaped source.

latex2mathml (3.81) leaves 109 of the 17,207 real spans in shared/data's arXiv sample showing
raw TeX (mostly author macros) against 326 for the hand-written renderer it replaced. It is no
sanitiser (``\\href``/``\\style`` become attributes, its string output has ``\\text{<b>}``
unescaped), so we take its element tree and write the markup ourselves: whitelisted elements,
checked attributes, escaped text. Figures: bench/texmath.py. Finding spans in prose is ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from html import escape
from xml.etree.ElementTree import Element

from latex2mathml.converter import convert_to_element
from markupsafe import Markup

_MAX_MATH_CHARS = 1000
_MAX_DEPTH = 40  # brace nesting; latex2mathml recurses once per group
_MAX_TREE_DEPTH = 160  # of the MathML tree, well inside the interpreter's recursion limit

_OPENER = re.compile(r"(?<!\\)\$|\\[(\[]")  # `$$`/`$` (not `\$`), `\(` and `\[`
_CLOSERS = {"\\(": "\\)", "\\[": "\\]"}
_TEXT_ESCAPES = re.compile(r"\\([%&_#$])")


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


ELEMENTS = _names(
    "math mrow mi mn mo mtext mspace msub msup msubsup mfrac msqrt mroot mover munder "
    "munderover mstyle mpadded mphantom menclose mtable mtr mtd"
)
# Presentation attributes only: none of these can carry a URL, a script, a style or a class.
# Any other attribute (href, style, class, id, mathcolor, ...) is dropped, not the formula.
_KEYWORD_ATTRIBUTES = _names(
    "display mathvariant stretchy fence separator form accent accentunder movablelimits "
    "displaystyle columnalign rowalign columnlines rowlines notation linebreak"
)
_LENGTH_ATTRIBUTES = _names(
    "width height depth lspace rspace voffset minsize maxsize mathsize linethickness "
    "scriptlevel columnspacing rowspacing"
)
ATTRIBUTES = _KEYWORD_ATTRIBUTES | _LENGTH_ATTRIBUTES
_KEYWORDS = re.compile(r"[a-z-]{1,40}(?: [a-z-]{1,40}){0,20}")
_LENGTH = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(em|ex|mu|px|pt|%)?|[a-z]{1,40}mathspace")
_MAX_LENGTH = 20.0  # em-ish: `\hspace{9999em}` must not push the page sideways
# latex2mathml's tree holds its symbols as character references in the text (`&#x003B1;`).
_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});")


class _Unsafe(Exception):
    pass


def _brace_depth(source: str) -> int:
    depth = deepest = 0
    for char in source:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth = max(depth - 1, 0)
    return deepest


def _allowed(name: str, value: str) -> bool:
    if name in _KEYWORD_ATTRIBUTES:
        return _KEYWORDS.fullmatch(value) is not None
    if name not in _LENGTH_ATTRIBUTES:
        return False
    lengths = value.split()
    if not 1 <= len(lengths) <= 20:
        return False
    for length in lengths:
        match = _LENGTH.fullmatch(length)
        if match is None or (match[1] is not None and abs(float(match[1])) > _MAX_LENGTH):
            return False
    return True


def _character(reference: re.Match[str]) -> str:
    code = int(reference[1], 16)
    # Only characters XML and HTML allow; anything else stays as the reference's text.
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF:
        return chr(code) if code not in (0xFFFE, 0xFFFF) else reference[0]
    return reference[0]


def _text(text: str | None) -> str:
    return escape(_REFERENCE.sub(_character, text or ""))


def _serialise(element: Element, depth: int = 0) -> str:
    """Markup rebuilt from the tree: whitelisted elements, checked attributes, escaped text."""
    tag = element.tag
    if tag not in ELEMENTS or depth > _MAX_TREE_DEPTH or (tag == "math") != (depth == 0):
        raise _Unsafe(tag)
    attributes = "".join(
        f' {name}="{escape(value)}"'
        for name, value in element.attrib.items()
        if _allowed(name, value) and (name != "display" or tag == "math")
    )
    text = element.text or ""
    if tag == "mtext":  # `\text{40\%}`: TeX's text escapes mean the character
        text = _TEXT_ESCAPES.sub(r"\1", text)
    children = "".join(_serialise(child, depth + 1) for child in element)
    tail = _text(element.tail) if depth else ""
    return f"<{tag}{attributes}>{_text(text)}{children}</{tag}>{tail}"


@lru_cache(maxsize=2048)  # the daily feed renders the same abstracts on every request
def tex_to_mathml(source: str, display: bool = False) -> Markup:
    """MathML for one formula, or the escaped source when it is too long, too deep, not TeX
    latex2mathml can read, or converts to something outside the whitelist."""
    if len(source) > _MAX_MATH_CHARS or _brace_depth(source) > _MAX_DEPTH:
        return Markup(escape(f"${source}$"))
    try:
        tree = convert_to_element(source, display="block" if display else "inline")
        return Markup(_serialise(tree))
    # latex2mathml raises many kinds of error on TeX it cannot read (its own, IndexError,
    # KeyError...; RecursionError on deep nesting without braces): each means "show the source".
    except Exception:
        return Markup(escape(f"${source}$"))


def _plain(text: str) -> str:
    return escape(_TEXT_ESCAPES.sub(r"\1", text))


def _close(text: str, closer: str, start: int, escapable: bool) -> int:
    """Where ``closer`` first occurs from ``start`` (not after a backslash if ``escapable``)."""
    found = text.find(closer, start)
    while escapable and found > 0 and text[found - 1] == "\\":
        found = text.find(closer, found + 1)
    return found


def math_spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, formula, display) of each `$$..$$`, `$..$`, `\\(..\\)` and `\\[..\\]`.

    Scans once: a closer found missing from some point on is missing for every later
    opener too, so text full of unclosed `\\(` costs linear, not quadratic, time.
    """
    missing: set[str] = set()
    position = 0
    while (opener := _OPENER.search(text, position)) is not None:
        start = opener.start()
        position = start + 1
        if opener.group() == "$":
            if text.startswith("$$", start) and "$$" not in missing:
                end = _close(text, "$$", start + 3, escapable=True)
                if end < 0:
                    missing.add("$$")
                else:
                    yield start, end + 2, text[start + 2 : end], True
                    position = end + 2
                continue
            end = text.find("$", start + 1)
            if end > start + 1 and text[end - 1] != "\\":
                yield start, end + 1, text[start + 1 : end], False
                position = end + 1
            continue
        closer = _CLOSERS[opener.group()]
        if closer in missing:
            continue
        end = _close(text, closer, start + 3, escapable=False)
        if end < 0:
            missing.add(closer)
            continue
        yield start, end + 2, text[start + 2 : end], opener.group() == "\\["
        position = end + 2


def render_tex(text: str | None) -> Markup:
    """Escape text, rendering each math span as MathML and `\\%`-style escapes as characters."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for start, end, formula, display in math_spans(text):
        parts.append(_plain(text[position:start]))
        parts.append(tex_to_mathml(formula, display))
        position = end
    parts.append(_plain(text[position:]))
    return Markup("".join(parts))


def strip_tex(text: str | None) -> str:
    """Plain text for places where markup cannot go (feeds' titles, page titles)."""
    if not text:
        return ""
    return _TEXT_ESCAPES.sub(r"\1", text.replace("$", ""))
