"""Author lists into ordered "Forename Surname" names, from every form arXiv and BibTeX use.

arXiv writes ``A. One, B. Two and C. Three`` with optional affiliations in parentheses; the
snapshot adds ``authors_parsed`` ([surname, forenames, suffix]); OAI ``arXiv`` records have
keyname/forenames elements; BibTeX writes ``Surname, Forename and Forename Surname``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from likewise.ingest.text import collapse_whitespace, latex_to_unicode, strip_braces

_AND = re.compile(r"\s*(?:,\s*and\s+|\band\s+|,\s*|;\s*|\s+&\s+)", re.IGNORECASE)
_BIBTEX_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _without_parentheses(text: str) -> str:
    """Drop (possibly nested) parenthesised affiliations."""
    depth = 0
    kept: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def _clean_name(name: str) -> str:
    return collapse_whitespace(strip_braces(latex_to_unicode(name))).strip(" ,.;") or ""


def split_authors(text: str) -> list[str]:
    """``A. One, B. Two and C. Three (MIT)`` -> ["A. One", "B. Two", "C. Three"]."""
    names = _AND.split(_without_parentheses(latex_to_unicode(text)))
    cleaned = (_clean_name(name) for name in names)
    return [name for name in cleaned if name]


def name_from_parts(surname: str, forenames: str = "", suffix: str = "") -> str:
    """Join [surname, forenames, suffix] as "Forenames Surname Suffix"."""
    return _clean_name(" ".join(part for part in (forenames, surname, suffix) if part))


def names_from_parsed(parsed: Sequence[Sequence[str]]) -> list[str]:
    """The snapshot's ``authors_parsed`` rows, in order."""
    names = []
    for row in parsed:
        surname = row[0] if row else ""
        forenames = row[1] if len(row) > 1 else ""
        suffix = row[2] if len(row) > 2 else ""
        name = name_from_parts(surname, forenames, suffix)
        if name:
            names.append(name)
    return names


def bibtex_authors(text: str) -> list[str]:
    """BibTeX ``Surname, Forename and Forename Surname and others`` into names."""
    names = []
    for part in _BIBTEX_AND.split(collapse_whitespace(text)):
        if part.strip().lower() in {"others", ""}:
            continue
        pieces = [piece.strip() for piece in _split_top_level_commas(part)]
        if len(pieces) == 1:
            name = _clean_name(pieces[0])
        elif len(pieces) == 2:  # Surname, Forename
            name = name_from_parts(pieces[0], pieces[1])
        else:  # Surname, Jr, Forename
            name = name_from_parts(pieces[0], pieces[2], pieces[1])
        if name:
            names.append(name)
    return names


def _split_top_level_commas(text: str) -> list[str]:
    """Commas inside braces ({Smith, Jones and Co.}) do not separate name parts."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
