"""A small, safe TeX-to-MathML renderer for `$...$` in titles and abstracts.

Covers what arXiv titles and abstracts use (sub/superscripts, fractions, roots, Greek,
operators, relations, accents, font commands, text); anything it does not know is shown as
escaped text. Output is built from escaped tokens only, so no input can inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape

from markupsafe import Markup

from likewise.web import texmath_symbols as symbols

_MAX_MATH_CHARS = 1000
_MAX_DEPTH = 40


_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\d+(?:\.\d+)?)|(\s+)|(.)", re.DOTALL)
# Where a math span can open: `$$`/`$` (not `\$`), `\(` and `\[`.
_OPENER = re.compile(r"(?<!\\)\$|\\[(\[]")
_CLOSERS = {"\\(": "\\)", "\\[": "\\]"}
_TEXT_ESCAPES = re.compile(r"\\([%&_#$])")


class _TooDeep(Exception):
    pass


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        for match in _TOKEN.finditer(source):
            command, number, space, char = match.groups()
            if command is not None:
                self.tokens.append(("command", command))
            elif number is not None:
                self.tokens.append(("number", number))
            elif space is not None:
                continue
            else:
                self.tokens.append(("char", char))
        self.position = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str] | None:
        token = self.peek()
        if token is not None:
            self.position += 1
        return token

    def sequence(self, stop: str | None = None) -> str:
        parts: list[str] = []
        while (token := self.peek()) is not None:
            if stop is not None and token == ("char", stop):
                self.position += 1
                break
            if token == ("char", "}"):  # unbalanced: drop it
                self.position += 1
                continue
            parts.append(self.scripted())
        return "".join(parts)

    def argument(self) -> str:
        """One argument: a braced group or a single atom."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _TooDeep
        try:
            if self.peek() == ("char", "{"):
                self.position += 1
                return f"<mrow>{self.sequence('}')}</mrow>"
            return self.atom()
        finally:
            self.depth -= 1

    def raw_group(self) -> str:
        """The literal text of a braced group (for \\text{...})."""
        if self.peek() != ("char", "{"):
            token = self.take()
            return token[1] if token else ""
        self.position += 1
        depth, parts = 1, []
        while (token := self.take()) is not None:
            if token == ("char", "{"):
                depth += 1
            elif token == ("char", "}"):
                depth -= 1
                if depth == 0:
                    break
            parts.append(
                token[1] if token[0] != "command" else symbols.IDENTIFIERS.get(token[1], "")
            )
        return (
            " ".join(parts) if len(parts) > 1 and all(len(p) > 1 for p in parts) else "".join(parts)
        )

    def scripted(self) -> str:
        base = self.atom()
        subscript = superscript = None
        for _ in range(2):
            token = self.peek()
            if token == ("char", "_") and subscript is None:
                self.position += 1
                subscript = self.argument()
            elif token == ("char", "^") and superscript is None:
                self.position += 1
                superscript = self.argument()
            elif token == ("char", "'"):
                self.position += 1
                superscript = "<mo>′</mo>"
        if subscript is not None and superscript is not None:
            return f"<msubsup>{base or '<mrow></mrow>'}{subscript}{superscript}</msubsup>"
        if subscript is not None:
            return f"<msub>{base or '<mrow></mrow>'}{subscript}</msub>"
        if superscript is not None:
            return f"<msup>{base or '<mrow></mrow>'}{superscript}</msup>"
        return base

    def atom(self) -> str:
        token = self.take()
        if token is None:
            return ""
        kind, value = token
        if kind == "number":
            return f"<mn>{escape(value)}</mn>"
        if kind == "char":
            if value == "{":
                self.position -= 1
                return self.argument()
            if value.isalpha():
                return f"<mi>{escape(value)}</mi>"
            if value in "^_":
                return ""
            if value == "~":
                return '<mspace width="0.25em"></mspace>'
            return f"<mo>{escape(value)}</mo>"
        return self.command(value)

    def command(self, name: str) -> str:
        if name in symbols.IDENTIFIERS and name not in symbols.OPERATORS:
            return f"<mi>{symbols.IDENTIFIERS[name]}</mi>"
        if name in symbols.OPERATORS:
            return f"<mo>{escape(symbols.OPERATORS[name])}</mo>"
        if name in symbols.FUNCTIONS or name == "operatorname":
            text = self.raw_group() if name == "operatorname" else name
            return f'<mi mathvariant="normal">{escape(text)}</mi><mspace width="0.17em"></mspace>'
        if name in ("frac", "dfrac", "tfrac", "binom"):
            numerator, denominator = self.argument(), self.argument()
            if name == "binom":
                return (
                    f'<mrow><mo>(</mo><mfrac linethickness="0">{numerator}{denominator}'
                    "</mfrac><mo>)</mo></mrow>"
                )
            return f"<mfrac>{numerator}{denominator}</mfrac>"
        if name == "sqrt":
            if self.peek() == ("char", "["):
                self.position += 1
                index = self.sequence("]")
                return f"<mroot>{self.argument()}<mrow>{index}</mrow></mroot>"
            return f"<msqrt>{self.argument()}</msqrt>"
        if name in symbols.ACCENTS:
            accent = escape(symbols.ACCENTS[name])
            return f'<mover accent="true">{self.argument()}<mo>{accent}</mo></mover>'
        if name == "underline":
            return f'<munder accentunder="true">{self.argument()}<mo>_</mo></munder>'
        if name in symbols.TEXT_COMMANDS:
            return f"<mtext>{escape(self.raw_group())}</mtext>"
        if name in ("mathrm", "rm", "mathup"):
            return f'<mi mathvariant="normal">{escape(self.raw_group())}</mi>'
        if name in symbols.FONT_CLASSES:
            return f'<mrow class="{symbols.FONT_CLASSES[name]}">{self.argument()}</mrow>'
        if name in ("mathbb", "mathcal", "mathscr", "mathfrak"):
            return self.lettered(name, self.raw_group())
        if name in symbols.SPACES:
            return f'<mspace width="{symbols.SPACES[name]}"></mspace>'
        if name in symbols.IGNORED:
            if self.peek() == ("char", "."):
                self.position += 1
            return ""
        if name == "\\":
            return ""
        return f"<mtext>{escape(chr(92) + name)}</mtext>"

    @staticmethod
    def lettered(font: str, text: str) -> str:
        letters = []
        for char in text:
            if font == "mathbb" and char in symbols.DOUBLE_STRUCK:
                letters.append(symbols.DOUBLE_STRUCK[char])
            elif font == "mathbb" and "A" <= char <= "Z":
                letters.append(chr(0x1D538 + ord(char) - ord("A")))
            elif font in ("mathcal", "mathscr") and char in symbols.SCRIPT:
                letters.append(symbols.SCRIPT[char])
            elif font in ("mathcal", "mathscr") and "A" <= char <= "Z":
                letters.append(chr(0x1D49C + ord(char) - ord("A")))
            else:
                letters.append(char)
        return f"<mi>{escape(''.join(letters))}</mi>"


def tex_to_mathml(source: str, display: bool = False) -> Markup:
    """MathML for one formula, or the escaped source when it is too long or too deep."""
    if len(source) > _MAX_MATH_CHARS:
        return Markup(escape(f"${source}$"))
    try:
        body = _Parser(source).sequence()
    except (_TooDeep, RecursionError):
        return Markup(escape(f"${source}$"))
    mode = ' display="block"' if display else ""
    return Markup(f"<math{mode}>{body}</math>")


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
