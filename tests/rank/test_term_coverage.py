"""Term coverage: the share of a query's distinct terms a paper's title or abstract holds,
read from the inverted index or, for papers it does not hold, from their text."""

from __future__ import annotations

import numpy as np

from likewise.index.inverted import InvertedIndex
from likewise.index.segments import PaperText
from likewise.index.tokens import Tokeniser
from likewise.rank.term_coverage import (
    coverage_in_index,
    coverage_in_texts,
    query_terms,
    term_coverage,
)

PAPERS = [
    PaperText(10, 1, "Graph similarity learning", "We compare graphs.", "Ada Lovelace"),
    PaperText(20, 2, "Protein folding", "Structures of proteins are similar.", "Graph Smith"),
    PaperText(30, 3, "Weather forecasting", "Rain tomorrow.", "Someone Else"),
]


def _index() -> InvertedIndex:
    return InvertedIndex.built(PAPERS, Tokeniser())


def test_query_terms_are_the_distinct_stems_of_the_query() -> None:
    assert query_terms("Graph graphs similarity") == frozenset({"graph", "similar"})


def test_coverage_counts_each_query_term_once_whatever_its_frequency() -> None:
    terms = query_terms("graph similarity")
    shares = coverage_in_texts(terms, ["graph graph graph", "similar graphs", "rain"])
    assert shares.tolist() == [0.5, 1.0, 0.0]


def test_the_index_gives_the_same_shares_as_the_text_and_ignores_author_names() -> None:
    terms = query_terms("graph similarity")
    from_index = coverage_in_index(_index(), terms, [30, 20, 10])
    # Paper 20 holds "similar" in its abstract; "Graph" only in an author's name.
    assert from_index.tolist() == [0.0, 0.5, 1.0]
    texts = [f"{p.title} {p.abstract}" for p in (PAPERS[2], PAPERS[1], PAPERS[0])]
    assert from_index.tolist() == coverage_in_texts(terms, texts).tolist()


def test_a_paper_missing_from_the_index_is_read_from_its_text() -> None:
    asked: list[list[int]] = []

    def texts_of(keys: list[int]) -> dict[int, str]:
        asked.append(keys)
        return {40: "Graph kernels for similarity search"}

    shares = term_coverage("graph similarity", [10, 40, 50], _index(), texts_of)
    assert asked == [[40, 50]]  # only the keys the index does not hold
    assert shares.tolist() == [1.0, 1.0, 0.0]  # a key nobody can name holds no term


def test_without_an_index_every_share_comes_from_the_text() -> None:
    shares = term_coverage("rain", [30], None, lambda keys: {30: "Weather. Rain tomorrow."})
    assert shares.tolist() == [1.0]


def test_a_query_without_terms_covers_nothing() -> None:
    assert np.all(coverage_in_index(_index(), query_terms("?!"), [10, 20]) == 0.0)
    assert coverage_in_texts(query_terms("--"), ["anything"]).tolist() == [0.0]


def test_a_changed_or_removed_paper_is_read_as_the_index_holds_it_now() -> None:
    tokeniser = Tokeniser()
    changed = PaperText(30, 9, "Graph weather", "Similar storms.", "Someone Else")
    index = _index().updated([changed], [20], tokeniser)
    shares = coverage_in_index(index, query_terms("graph similarity"), [30, 20, 10])
    assert shares[0] == 1.0 and shares[2] == 1.0  # 30's new text, from the delta segment
    assert np.isnan(shares[1])  # removed: the index no longer holds it
