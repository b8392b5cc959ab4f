"""One-line reasons for a similar paper: the key terms (words and two-word phrases) it shares
with the query paper, rarest first, plus shared authors.

Term weight is inverse document frequency over the neighbourhood being explained (the query and
its retrieved candidates), so words that every neighbour uses ("model", "learning") give way to
the ones that set this pair apart; terms in either title get a bonus because titles name topics.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from likewise.models import Paper, normalise_name

_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Punctuation ends a phrase: "model (LLM)" must not yield the phrase "model llm".
_SEGMENT_BREAK = re.compile(r"[^\w\s-]+")
# Function words and the boilerplate of abstracts: never a reason on their own.
_STOPWORDS = frozenset(
    (  # noqa: SIM905 - a readable block of words
        "a about above after again all also although among an and any approach approaches are "
        "as at based be been being between both but by can could do does done due during each "
        "either et etc existing few for from further furthermore given has have having here "
        "how however if in into is it its itself just large less many may more moreover most "
        "much must new no nor not novel of on one only or other our ours out over paper per "
        "present propose proposed provide results same several show shows significant "
        "significantly so some state such than that the their them then there these they this "
        "those through thus to two under up upon use used uses using various very via was we "
        "well were what when where whether which while who whose why will with within without "
        "work would yet achieve achieved achieves across address addresses allow allows "
        "among best better comparison compared demonstrate demonstrates effective effectively "
        "enable enables first high however improve improved improves including introduce "
        "introduces key make makes made outperforms perform performance recent recently "
        "remains show shown study studies task tasks three wide widely"
    ).split()
)
TITLE_BONUS = 1.0
REASON_TERMS = 3


def key_terms(text: str) -> set[str]:
    """Content words of at least three letters and the two-word phrases they form."""
    terms: set[str] = set()
    for segment in _SEGMENT_BREAK.split(text.casefold()):
        previous: str | None = None
        for word in _WORD.findall(segment):
            if word in _STOPWORDS or len(word) < 3:
                previous = None
                continue
            terms.add(word)
            if previous is not None:
                terms.add(f"{previous} {word}")
            previous = word
    return terms


def document_frequencies(texts: Iterable[str]) -> tuple[Counter[str], int]:
    """(how many texts contain each key term, how many texts)."""
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        counts.update(key_terms(text))
        total += 1
    return counts, total


def shared_terms(
    query: Paper,
    candidate: Paper,
    frequencies: Counter[str],
    documents: int,
    limit: int = REASON_TERMS,
) -> list[str]:
    """The most telling key terms both papers use, best first; a phrase hides its own words."""
    common = key_terms(query.embedding_text()) & key_terms(candidate.embedding_text())
    titles = key_terms(query.title) | key_terms(candidate.title)

    def weight(term: str) -> float:
        rarity = math.log((documents + 1) / (frequencies.get(term, 0) + 1)) + 1.0
        bonus = TITLE_BONUS if term in titles else 0.0
        # A shared phrase is stronger evidence than either of its words.
        return rarity + bonus + (0.5 if " " in term else 0.0)

    chosen: list[str] = []
    for term in sorted(common, key=lambda term: (-weight(term), term)):
        covered = any(term in kept.split(" ") or kept in term.split(" ") for kept in chosen)
        if not covered:
            chosen.append(term)
        if len(chosen) == limit:
            break
    return chosen


def shared_authors(query: Paper, candidate: Paper) -> list[str]:
    theirs = {normalise_name(name) for name in candidate.authors}
    return [name for name in query.authors if normalise_name(name) in theirs]


def explain(
    query: Paper,
    candidate: Paper,
    frequencies: Counter[str],
    documents: int,
    *,
    facet: str | None = None,
) -> str:
    """E.g. "shared terms: video diffusion, temporal consistency; same author: A. Smith"."""
    parts: list[str] = []
    terms = shared_terms(query, candidate, frequencies, documents)
    if terms:
        label = f"similar {facet}" if facet else "shared terms"
        parts.append(f"{label}: {', '.join(terms)}")
    authors = shared_authors(query, candidate)
    if authors:
        noun = "author" if len(authors) == 1 else "authors"
        parts.append(f"same {noun}: {', '.join(authors[:2])}")
    if not parts:
        parts.append("close in meaning (no key terms in common)")
    return "; ".join(parts)


def neighbourhood_frequencies(papers: Sequence[Paper]) -> tuple[Counter[str], int]:
    """Document frequencies over the query and its candidates."""
    return document_frequencies(paper.embedding_text() for paper in papers)
