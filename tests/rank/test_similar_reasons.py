"""One-line reasons for similar papers: shared key terms, rarest first, and shared authors."""

from __future__ import annotations

from likewise.models import Paper
from likewise.rank.reasons import (
    explain,
    key_terms,
    neighbourhood_frequencies,
    shared_terms,
)


def test_key_terms_are_content_words_and_phrases_that_do_not_cross_punctuation() -> None:
    terms = key_terms("We propose a neural language model (LLM) for graph parsing.")
    assert {"neural language", "language model", "graph parsing", "llm"} <= terms
    assert "model llm" not in terms
    assert "propose" not in terms and "for" not in terms


def test_shared_terms_prefer_what_few_neighbours_share() -> None:
    query = Paper("1", "Sparse attention for protein folding", "Transformer model for proteins.")
    close = Paper("2", "Protein folding with transformers", "A transformer model for proteins.")
    others = [
        Paper(str(n), f"Transformer model {n}", "A transformer model for text.")
        for n in range(3, 9)
    ]
    frequencies, documents = neighbourhood_frequencies([query, close, *others])
    terms = shared_terms(query, close, frequencies, documents)
    assert terms[0] == "protein folding"
    # A chosen phrase hides its own words.
    assert "protein" not in terms and "folding" not in terms


def test_explanations_name_shared_authors_and_fall_back_when_nothing_is_shared() -> None:
    query = Paper(
        "1", "Graph kernels", "Kernels on graphs.", authors=["Ada Lovelace", "Alan Turing"]
    )
    same_author = Paper("2", "Graph kernels again", "More graph kernels.", authors=["ada lovelace"])
    unrelated = Paper("3", "Quantum optics", "Photons.", authors=["Niels Bohr"])
    frequencies, documents = neighbourhood_frequencies([query, same_author, unrelated])
    reason = explain(query, same_author, frequencies, documents)
    assert reason.startswith("shared terms: graph kernels")
    assert "same author: Ada Lovelace" in reason
    assert explain(query, unrelated, frequencies, documents) == (
        "close in meaning (no key terms in common)"
    )
