"""Lexical candidates for search: BM25 from the in-process index (rank/bm25.py) for queries of
plain words, the store's full-text search for quoted phrases and arXiv ids (same scores).

The in-process path also reports each hit's store key and the index it used, so the rest of
the search can name dense hits and find cosines without asking the database again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.index.inverted import InvertedIndex
from likewise.index.tokens import shared_tokeniser
from likewise.models import SearchFilters
from likewise.rank.bm25 import bm25_top, upper_bound
from likewise.store.base import CatalogStore
from likewise.store.lexical import parse_query

# The in-process BM25 index, or how to get it: None when there is no usable one yet, and
# the store's full-text search (same scores) answers instead.
LexicalSource = InvertedIndex | Callable[[], InvertedIndex | None]


@dataclass(slots=True)
class LexicalCandidates:
    hits: list[tuple[str, float]]  # (arXiv id, BM25 score) best first
    keys: dict[str, int] = field(default_factory=dict)  # store key of each hit, where known
    index: InvertedIndex | None = None  # the in-process index that answered, if one did
    seconds: float = 0.0
    # The most a paper could score for the query (rank/bm25.py upper_bound); None when the
    # store's full-text search answered.
    ceiling: float | None = None


def lexical_candidates(
    store: CatalogStore,
    text: str,
    depth: int,
    filters: SearchFilters | None = None,
    allowed: npt.NDArray[np.int64] | None = None,
    lexical_index: LexicalSource | None = None,
) -> LexicalCandidates:
    """The best `depth` papers for the text by BM25, restricted to the filters (`allowed`:
    their sorted keys, when already known)."""
    terms = plain_terms(text) if lexical_index is not None else None
    if terms is None or lexical_index is None:
        return LexicalCandidates(store.lexical_search(text, depth, filters))
    index = lexical_index() if callable(lexical_index) else lexical_index
    if index is None:
        return LexicalCandidates(store.lexical_search(text, depth, filters))
    if filters is not None and allowed is None:
        allowed = store.keys_matching(filters)
    best = bm25_top(index, terms, depth, allowed)
    names = index.arxiv_ids_for_keys([key for key, _ in best])
    unnamed = [key for key, _ in best if key not in names]
    if unnamed:  # not expected: every live row carries its id
        names.update(store.arxiv_ids_for_keys(unnamed))
    hits = [(names[key], score) for key, score in best if key in names]
    keys = {names[key]: key for key, _ in best if key in names}
    return LexicalCandidates(hits, keys, index, ceiling=upper_bound(index, terms))


def plain_terms(text: str) -> list[str] | None:
    """The BM25 terms of a query of plain words (one per word, repeats kept, as FTS5 scores
    them), or None when the store must answer it: quoted phrases, arXiv ids, or a word
    that the tokeniser splits (FTS5 would read it as a phrase)."""
    parsed = parse_query(text)
    if parsed.phrases or parsed.arxiv_ids:
        return None
    terms = []
    tokeniser = shared_tokeniser()
    for word in parsed.words:
        found = tokeniser.terms(word)
        if len(found) != 1:
            return None
        terms.extend(found)
    return terms
