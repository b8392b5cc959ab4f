"""Text clean-up shared by every source: whitespace, LaTeX accents and braces to Unicode.

arXiv metadata and BibTeX carry TeX accent macros (``Bal\\'azs``, ``{\\"o}``) and hard line
breaks; stored text is plain Unicode with single spaces.
"""

from __future__ import annotations

import re
import unicodedata

from likewise.models import normalise_title as fold_title

# TeX accent macros -> Unicode combining marks (composed with NFC afterwards).
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "i": "ı",
    "j": "ȷ",
}
# \'{e}, \'e, {\'e}, \' e and \c{c} forms; letter macros need a non-letter after them.
_ACCENT_MACRO = re.compile(
    r"\\(['`^\"~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))"
    r"|\\([uvHckr])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))"
)
_LETTER_MACRO = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])\s?")
_ESCAPED = re.compile(r"\\([&%$#_{}])")


def collapse_whitespace(text: str) -> str:
    """One space between words, none at the ends."""
    # Most text is already clean ASCII; single-character scans are far cheaper than a split.
    if (
        text.isascii()
        and "\n" not in text
        and "\t" not in text
        and "\r" not in text
        and "\x0b" not in text
        and "\x0c" not in text
        and text[:1] != " "
        and text[-1:] != " "
        and "  " not in text
    ):
        return text
    return " ".join(text.split())


def _letter(macro_or_letter: str) -> str:
    if macro_or_letter.startswith("\\"):
        return _LETTERS.get(macro_or_letter[1:], macro_or_letter[1:])
    return macro_or_letter


def latex_to_unicode(text: str) -> str:
    """Replace TeX accent and special-letter macros by Unicode; maths ($...$) stays as written."""
    if "\\" not in text:
        return text
    if "$" in text:
        parts = text.split("$")
        # Even-numbered parts are outside $...$ maths, which stays as written.
        for index in range(0, len(parts), 2):
            parts[index] = latex_to_unicode(parts[index])
        return "$".join(parts)

    def accent(match: re.Match[str]) -> str:
        mark = match.group(1) or match.group(4)
        base = match.group(2) or match.group(3) or match.group(5) or match.group(6) or ""
        base = _letter(base)
        # A dotless i under an accent is just an i with that accent.
        if base == "ı":
            base = "i"
        return unicodedata.normalize("NFC", base + _ACCENTS[mark])

    text = _ACCENT_MACRO.sub(accent, text)
    text = _LETTER_MACRO.sub(lambda match: _LETTERS[match.group(1)], text)
    return _ESCAPED.sub(r"\1", text)


def strip_braces(text: str) -> str:
    """Drop the protective braces of BibTeX/TeX titles (``{BERT}`` -> ``BERT``) outside maths."""
    if "{" not in text and "}" not in text:
        return text
    parts = text.split("$")
    # Even-numbered parts are outside $...$ maths.
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("{", "").replace("}", "")
    return "$".join(parts)


def clean_title(text: str) -> str:
    """A title as stored: accents decoded, protective braces gone, whitespace collapsed."""
    return collapse_whitespace(strip_braces(latex_to_unicode(text)))


def normalise_title(text: str) -> str:
    """Key for matching one work across sources (the store's rule, after TeX clean-up)."""
    return fold_title(clean_title(text))
