"""How much of a query's wording a paper holds: the share of the query's distinct terms that
its title or abstract contains. A pair feature of the calibrated score (rank/cosine_adapter.py's
length map) that reads only the query and the paper, so it means the same in any catalog."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from likewise.index.inverted import InvertedIndex
from likewise.index.segments import FIELDS
from likewise.index.tokens import shared_tokeniser
from likewise.rank.lexical import LexicalSource
from likewise.rank.retrieval import Candidates
from likewise.store.base import CatalogStore

FloatArray = npt.NDArray[np.float64]
# Authors are left out: a query word that is only someone's name says little about the topic.
_TEXT_FIELDS = [FIELDS.index("title"), FIELDS.index("abstract")]


def query_terms(text: str) -> frozenset[str]:
    """The query's distinct terms, stemmed as the lexical index stems them (index/tokens.py)."""
    return frozenset(shared_tokeniser().terms(text))


def coverage_in_texts(terms: frozenset[str], texts: Sequence[str]) -> FloatArray:
    """For each text (a paper's title and abstract), the share of `terms` it contains."""
    if not terms:
        return np.zeros(len(texts))
    tokeniser = shared_tokeniser()
    return np.array([len(terms.intersection(tokeniser.terms(text))) / len(terms) for text in texts])


def coverage_in_index(
    index: InvertedIndex, terms: frozenset[str], keys: Sequence[int]
) -> FloatArray:
    """The same share read from the inverted index's title and abstract frequencies; NaN for a
    key the index has no live paper for (added since it was published)."""
    rows = index.rows_for_keys(keys)
    known = rows >= 0
    found = np.full(len(keys), np.nan)
    if not terms or not known.any():
        found[known] = 0.0
        return found
    order = np.argsort(rows[known], kind="stable")
    sorted_rows = rows[known][order]
    held = np.zeros(len(sorted_rows))
    for term in terms:
        frequencies = index.frequencies_at(term, sorted_rows)
        held += frequencies[:, _TEXT_FIELDS].sum(axis=1) > 0
    shares = np.empty(len(sorted_rows))
    shares[order] = held / len(terms)
    found[known] = shares
    return found


def term_coverage(
    text: str,
    keys: Sequence[int],
    index: InvertedIndex | None,
    texts_of: Callable[[list[int]], dict[int, str]],
) -> FloatArray:
    """Each candidate's share of the query's terms: from the index where it holds the paper,
    else from the paper's text (`texts_of`: key -> title + abstract; a key it cannot name
    holds none of the terms)."""
    terms = query_terms(text)
    found = np.full(len(keys), np.nan) if index is None else coverage_in_index(index, terms, keys)
    missing = [position for position in range(len(keys)) if np.isnan(found[position])]
    if missing:
        texts = texts_of([keys[position] for position in missing])
        shares = coverage_in_texts(terms, [texts.get(keys[position], "") for position in missing])
        found[missing] = shares
    return found


def candidate_coverage(
    text: str,
    keys: Sequence[int],
    found: Candidates,
    store: CatalogStore,
    lexical_index: LexicalSource | None = None,
) -> FloatArray:
    """term_coverage of a search's candidates: from the BM25 index that answered it, or the
    published one, else from the papers the store holds."""
    index = found.id_source
    if index is None and lexical_index is not None:
        index = lexical_index() if callable(lexical_index) else lexical_index

    def texts_of(wanted: list[int]) -> dict[int, str]:
        names = found.arxiv_ids(wanted, store)
        papers = store.get_papers(list(names.values()))
        return {
            key: f"{papers[name].title} {papers[name].abstract}"
            for key, name in names.items()
            if name in papers
        }

    return term_coverage(text, keys, index, texts_of)
