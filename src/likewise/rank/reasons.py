"""One-line reasons for a similar paper: the key phrases it shares with the query paper
(rank/key_phrases.py: RAKE candidates, weighted by catalog rarity), plus shared authors.

A phrase counts as shared when both papers use it inside one RAKE candidate, so it never
contains a stop word or crosses punctuation, and one common in the catalog is never a reason.
"""

from __future__ import annotations

from likewise.models import Paper, normalise_name
from likewise.rank.key_phrases import CatalogRarity, PaperPhrases, shared_phrases

REASON_PHRASES = 3
NOTHING_SHARED = "close in meaning (no key phrase in common)"


def shared_authors(query: Paper, candidate: Paper) -> list[str]:
    theirs = {normalise_name(name) for name in candidate.authors}
    return [name for name in query.authors if normalise_name(name) in theirs]


class Explainer:
    """Reasons for the neighbours of one query paper (its phrases are read once)."""

    def __init__(self, query: Paper, rarity: CatalogRarity | None) -> None:
        self.query = query
        self.rarity = rarity
        self.phrases = PaperPhrases(query.embedding_text(), rarity)

    def shared(self, candidate: Paper, limit: int = REASON_PHRASES) -> list[str]:
        theirs = PaperPhrases(candidate.embedding_text(), self.rarity)
        return [phrase.text for phrase in shared_phrases(self.phrases, theirs, limit)]

    def explain(self, candidate: Paper) -> str:
        """E.g. "shared terms: text embeddings, anisotropy; same author: A. Smith"."""
        parts: list[str] = []
        phrases = self.shared(candidate)
        if phrases:
            parts.append(f"shared terms: {', '.join(phrases)}")
        authors = shared_authors(self.query, candidate)
        if authors:
            noun = "author" if len(authors) == 1 else "authors"
            parts.append(f"same {noun}: {', '.join(authors[:2])}")
        return "; ".join(parts) if parts else NOTHING_SHARED
