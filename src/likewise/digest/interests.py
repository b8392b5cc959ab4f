"""What a subscriber can ask for, validated: categories, authors, saved searches, liked papers,
a collection, trending top-N; cadence and strictness in plain words; e-mail addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from likewise.ingest.ids import InvalidArxivIdError, bare_arxiv_id
from likewise.store.digests import Interest

CATEGORY, AUTHOR, SEARCH, LIKE, COLLECTION, TRENDING = (
    "category",
    "author",
    "search",
    "like",
    "collection",
    "trending",
)
KINDS = (CATEGORY, AUTHOR, SEARCH, LIKE, COLLECTION, TRENDING)
CADENCES = ("daily", "weekly")

# Strictness in plain words -> shift of the calibrated relevance threshold (search's cut-off).
STRICTNESS = {
    "broad": ("more papers, some only loosely related", -0.2),
    "balanced": ("papers the search engine would call good matches", 0.0),
    "strict": ("only papers that clearly match", 0.2),
}
MAX_SEARCH_LENGTH = 300
MAX_INTERESTS = 50
MAX_TRENDING = 20

_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$")
# Practical address check (not all of RFC 5322): one @, a dotted domain, no spaces or
# characters that would break a mail header.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+\Z")


class InterestError(ValueError):
    """An interest, address or setting that cannot be used; the message says why."""


def threshold_for(strictness: str, base: float) -> float:
    """The calibrated probability a paper must reach for this strictness."""
    if strictness not in STRICTNESS:
        raise InterestError(f"strictness must be one of {', '.join(STRICTNESS)}")
    return min(0.95, max(0.05, base + STRICTNESS[strictness][1]))


def check_email(text: str) -> str:
    """The address, trimmed and lower-cased, or InterestError saying what is wrong."""
    address = text.strip()
    if not address:
        raise InterestError("please enter an e-mail address")
    if len(address) > 254:
        raise InterestError("that e-mail address is too long")
    if not _EMAIL.match(address) or ".." in address:
        raise InterestError(f"{address!r} is not a valid e-mail address (like name@example.org)")
    return address.lower()


def check_cadence(cadence: str) -> str:
    if cadence not in CADENCES:
        raise InterestError("cadence must be daily or weekly")
    return cadence


def check_interest(kind: str, value: str) -> Interest:
    """One interest in its stored form (bare arXiv ids, trimmed text)."""
    text = " ".join(value.split())
    if kind == CATEGORY:
        if not _CATEGORY.match(text):
            raise InterestError(f"{text!r} is not an arXiv category (like cs.CL)")
        return Interest(CATEGORY, text)
    if kind == AUTHOR:
        if not text or len(text) > 200:
            raise InterestError("an author name must be 1 to 200 characters")
        return Interest(AUTHOR, text)
    if kind == SEARCH:
        if len(text) > MAX_SEARCH_LENGTH:
            raise InterestError(f"a saved search can be at most {MAX_SEARCH_LENGTH} characters")
        # An empty saved search is kept (operators may script one) and reported as a problem.
        return Interest(SEARCH, text)
    if kind == LIKE:
        try:
            return Interest(LIKE, bare_arxiv_id(text))
        except InvalidArxivIdError:
            raise InterestError(f"{text!r} is not an arXiv id (like 2403.01234)") from None
    if kind == COLLECTION:
        if not text.isdigit():
            raise InterestError("a collection is given by its number")
        return Interest(COLLECTION, text)
    if kind == TRENDING:
        if not text.isdigit() or not 1 <= int(text) <= MAX_TRENDING:
            raise InterestError(f"trending top-N must be a number from 1 to {MAX_TRENDING}")
        return Interest(TRENDING, str(int(text)))
    raise InterestError(f"unknown interest kind {kind!r}")


def check_interests(pairs: Iterable[tuple[str, str]]) -> list[Interest]:
    """Validate many (kind, value) pairs; duplicates folded; one trending entry at most."""
    checked: dict[tuple[str, str], Interest] = {}
    for kind, value in pairs:
        interest = check_interest(kind, value)
        if interest.kind == TRENDING:
            for key in [key for key in checked if key[0] == TRENDING]:
                del checked[key]
        checked[(interest.kind, interest.value)] = interest
    if len(checked) > MAX_INTERESTS:
        raise InterestError(f"at most {MAX_INTERESTS} interests per subscriber")
    return list(checked.values())


@dataclass(slots=True)
class InterestForm:
    """The manage page's fields as typed: one item per line (categories and ids may also be
    separated by spaces or commas)."""

    categories: str = ""
    authors: str = ""
    searches: str = ""
    likes: str = ""
    trending: str = ""

    def pairs(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        found += [(CATEGORY, item) for item in re.split(r"[\s,;]+", self.categories) if item]
        found += [(AUTHOR, line) for line in self.authors.splitlines() if line.strip()]
        found += [(SEARCH, line) for line in self.searches.splitlines() if line.strip()]
        found += [(LIKE, item) for item in re.split(r"[\s,;]+", self.likes) if item]
        if self.trending.strip() and self.trending.strip() != "0":
            found.append((TRENDING, self.trending.strip()))
        return found

    @classmethod
    def from_interests(cls, interests: Iterable[Interest]) -> InterestForm:
        by_kind: dict[str, list[str]] = {kind: [] for kind in KINDS}
        for interest in interests:
            by_kind[interest.kind].append(interest.value)
        return cls(
            categories=" ".join(by_kind[CATEGORY]),
            authors="\n".join(by_kind[AUTHOR]),
            searches="\n".join(by_kind[SEARCH]),
            likes=" ".join(by_kind[LIKE]),
            trending=by_kind[TRENDING][0] if by_kind[TRENDING] else "",
        )
