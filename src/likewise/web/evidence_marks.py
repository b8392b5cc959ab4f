"""An abstract excerpt with its "why it matched" sentences marked (<mark class="evidence">).

The excerpt starts at the abstract's beginning when the first marked sentence is near it, else
at that sentence after "…"; a mark never starts or ends inside a formula, so each piece is
rendered (escaped, math as MathML) on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup

from likewise.models import Evidence
from likewise.web.texmath import math_spans, render_tex

EXCERPT = 280  # characters of an unmarked excerpt (templating.py's excerpt)
NEAR_START = 160  # a first mark starting within this many characters keeps the opening text
LONG_GAP = 160  # text between two marks longer than this is left out as "…"
_SPACES = re.compile(r"\s+")


def _collapsed(text: str) -> str:
    return _SPACES.sub(" ", text)


def _cut(text: str, limit: int) -> str:
    """Text up to `limit` characters cut at a word and never inside a `$...$` formula."""
    text = _collapsed(text)
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > 0 else 0
    if text[:cut].count("$") % 2:
        cut = max(text.rfind("$", 0, cut), 0)
    return text[:cut].rstrip(" ,;:") + " …"


def _widened(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The marks, each grown to whole formulas where it begins or ends inside one; marks
    that then overlap are merged."""
    formulas = list(math_spans(text))
    grown = []
    for start, end in spans:
        for first, last, _, _ in formulas:
            if first < start < last:
                start = first
            if first < end < last:
                end = last
        grown.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(grown):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked_excerpt(text: str | None, evidence: Sequence[Evidence] = ()) -> Markup:
    """The abstract's excerpt, its evidence sentences in <mark>; the plain excerpt without."""
    text = text or ""
    spans = [(item.start, item.end) for item in evidence if 0 <= item.start < item.end <= len(text)]
    if not spans:
        return render_tex(_cut(text.strip(), EXCERPT))
    marks = _widened(text, spans)
    parts: list[str] = []
    head = text[: marks[0][0]]
    if len(head.strip()) <= NEAR_START:
        parts.append(render_tex(_collapsed(head.lstrip())))
    else:
        parts.append("… ")
    shown = len(head) if parts[0] != "… " else 0
    for number, (start, end) in enumerate(marks):
        if number:
            gap = text[marks[number - 1][1] : start]
            parts.append(render_tex(_collapsed(gap)) if len(gap) <= LONG_GAP else " … ")
        sentence = _collapsed(text[start:end])
        parts.append(f'<mark class="evidence">{render_tex(sentence)}</mark>')
        shown += len(sentence)
    tail = text[marks[-1][1] :]
    if tail.strip():
        budget = max(EXCERPT - shown, 0)
        rest = _cut(tail, budget) if budget else " …"
        parts.append(render_tex(rest) if rest != " …" else " …")
    return Markup("".join(str(part) for part in parts))  # every piece was escaped above
