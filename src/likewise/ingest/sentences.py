"""Split an abstract into sentences: character spans, robust to abbreviations and notation.

A boundary is sentence-final punctuation followed by whitespace and a sentence-like start,
unless the word before it is an abbreviation ("e.g.", "et al.", "Fig. 2"); LaTeX math and URLs
never split; bullets ("•", or "- " items after a colon) and line-broken lists start new ones.
"""

from __future__ import annotations

import re

# Abbreviations that never end a sentence in an abstract (lower case, without the final dot).
_ALWAYS = frozenset(
    [
        "e.g",
        "i.e",
        "eg",
        "ie",
        "al",
        "vs",
        "cf",
        "approx",
        "resp",
        "viz",
        "w.r.t",
        "wrt",
        "a.k.a",
        "aka",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "fig",
        "figs",
        "eq",
        "eqs",
        "eqn",
        "eqns",
        "sec",
        "secs",
        "sect",
        "tab",
        "tabs",
        "vol",
        "vols",
        "pp",
        "ref",
        "refs",
        "thm",
        "lem",
        "alg",
        "appx",
        "chap",
        "ca",
        "esp",
        "incl",
        "etal",
    ]
)
# Abbreviations that are words too ("no", "p"): not a boundary only before a number.
_BEFORE_NUMBER = frozenset(["no", "nos", "p", "ch", "art", "def", "app", "prop", "cor", "st", "nr"])
_DOTTED = re.compile(r"^(?:[a-z]\.)+[a-z]$", re.IGNORECASE)
_ENUMERATOR = re.compile(r"^[(\[]?(?:\d{1,2}|[ivx]{1,4}|[a-h])[.)\]]$", re.IGNORECASE)

_MATH = re.compile(r"(?<!\\)\$\$.*?(?<!\\)\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_URL = re.compile(r"(?:https?://|www\.)\S+?(?=[.,;:!?)\]\"']*(?:\s|$))", re.IGNORECASE)
# Final punctuation with any closing quotes or brackets after it.
_FINAL = re.compile(r"[.!?]+[\"'”’)\]]*")
_BULLETS = "•◦▪‣●"
_BULLET = re.compile(rf"[{_BULLETS}]")
_LINE_ITEM = re.compile(r"\n[ \t]*(?:[-*–]|\d{1,2}[.)]|\([0-9ivx]{1,4}\))[ \t]+")
_COLON_ITEM = re.compile(r"[:;][ \t\n]+([-*–])[ \t]+")
_OPENERS = "([\"'“‘$\\"
_LEADING_MARKER = re.compile(rf"(?:[{_BULLETS}]|[-*–](?=\s))\s*")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of each sentence of `text`, in order, without the
    whitespace around them; an empty or blank text has none."""
    protected = _protected(text)
    cuts = sorted({*_punctuation_cuts(text, protected), *_list_cuts(text, protected)})
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, len(text)]:
        span = _trimmed(text, start, cut)
        start = cut
        if span is None:
            continue
        if spans and _is_enumerator_only(text, spans[-1]):
            # "2." cut off before its item: it belongs to the sentence it numbers.
            spans[-1] = (spans[-1][0], span[1])
        else:
            spans.append(span)
    return spans


def _protected(text: str) -> list[bool]:
    """Per character: inside math or a URL, where punctuation is notation."""
    mask = [False] * len(text)
    for pattern in (_MATH, _URL):
        for match in pattern.finditer(text):
            for index in range(match.start(), match.end()):
                mask[index] = True
    return mask


def _punctuation_cuts(text: str, protected: list[bool]) -> list[int]:
    cuts: list[int] = []
    for match in _FINAL.finditer(text):
        if protected[match.start()]:
            continue
        end = match.end()
        after = end
        while after < len(text) and text[after].isspace():
            after += 1
        if after >= len(text):
            continue
        if after == end:
            # "end.Next" with no space (a common metadata flaw): only between words.
            if _glued_boundary(text, match.start(), end):
                cuts.append(end)
            continue
        if not _starts_sentence(text, after):
            continue
        single_dot = match.group().rstrip("\"'”’)]") == "."
        if single_dot and _is_abbreviation(_word_before(text, match.start()), text[after]):
            continue
        cuts.append(end)
    return cuts


def _list_cuts(text: str, protected: list[bool]) -> list[int]:
    """Cuts before list items: bullets, line-broken items, "- " items after a colon."""
    cuts = [m.start() for m in _BULLET.finditer(text) if not protected[m.start()]]
    cuts += [m.start() + 1 for m in _LINE_ITEM.finditer(text)]
    cuts += [m.start() + 1 for m in re.finditer(r"\n[ \t]*\n", text)]
    for match in _COLON_ITEM.finditer(text):
        marker = match.group(1)
        cuts.append(match.start(1))
        # Later items of the same list use the same marker, up to the list's last sentence end.
        item = re.compile(rf"\s({re.escape(marker)})\s+")
        position = match.end()
        while (found := item.search(text, position)) is not None:
            if re.search(r"[.!?]\s", text[position : found.start() + 1]):
                break
            cuts.append(found.start(1))
            position = found.end()
    return cuts


def _starts_sentence(text: str, index: int) -> bool:
    char = text[index]
    return char.isupper() or char.isdigit() or char in _OPENERS or char in _BULLETS


def _glued_boundary(text: str, stop: int, after: int) -> bool:
    """ "word.Next": a word of two or more letters ending lower case, then a capitalised word."""
    before = _word_before(text, stop)
    return (
        len(before) >= 2
        and before.isalpha()
        and before[-1].islower()
        and before not in _ALWAYS
        and after + 1 < len(text)
        and text[after].isupper()
        and text[after + 1].islower()
    )


def _word_before(text: str, stop: int) -> str:
    start = stop
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:stop].lstrip("([\"'“‘")


def _is_abbreviation(word: str, next_char: str) -> bool:
    lowered = word.lower()
    if lowered in _ALWAYS or _DOTTED.match(word):
        return True
    if lowered in _BEFORE_NUMBER:
        return next_char.isdigit()
    # An initial ("J. Smith"); a lone capital ending a sentence is rarer in abstracts.
    return len(word) == 1 and word.isupper() and next_char.isupper()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    marker = _LEADING_MARKER.match(text, start, end)
    if marker is not None:
        start = marker.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end or not any(char.isalnum() for char in text[start:end]):
        return None
    return start, end


def _is_enumerator_only(text: str, span: tuple[int, int]) -> bool:
    return _ENUMERATOR.match(text[span[0] : span[1]]) is not None
