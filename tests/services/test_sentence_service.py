"""Sentence facets at embed time: stored per paper, read back, recomputed only when changed."""

from __future__ import annotations

from typing import Any

import numpy as np

from likewise.library import Library
from likewise.models import Paper


def _paper(number: int, abstract: str) -> Paper:
    return Paper(
        arxiv_id=f"2501.{number:05d}",
        title=f"Paper {number}",
        abstract=abstract,
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        latest_version=1,
    )


ABSTRACT = (
    "Graph models are widely studied. We propose a new graph network, e.g. for molecules. "
    "Experiments show it beats the baselines by 0.5 points."
)


def test_embedding_stores_each_papers_sentences_with_labels_and_unit_vectors(
    library: Library,
) -> None:
    library.store.upsert_papers([_paper(1, ABSTRACT), _paper(2, "")], source="test")
    library.vectors.update_vectors()
    found = library.sentences.sentences_of(["2501.00001", "2501.00002", "2501.09999"])
    assert list(found) == ["2501.00001"]
    sentences = found["2501.00001"]
    assert sentences.texts == [
        "Graph models are widely studied.",
        "We propose a new graph network, e.g. for molecules.",
        "Experiments show it beats the baselines by 0.5 points.",
    ]
    assert len(sentences.labels) == 3
    assert set(sentences.labels) <= {"background", "objective", "method", "result", "other"}
    assert sentences.vectors.dtype == np.float32
    assert sentences.vectors.shape == (3, library.embedding.get().dimension)
    assert np.allclose(np.linalg.norm(sentences.vectors, axis=1), 1.0, atol=1e-2)


def test_a_changed_abstract_has_no_sentences_until_it_is_embedded_again(
    library: Library, store: Any
) -> None:
    store.upsert_papers([_paper(1, ABSTRACT)], source="test")
    library.vectors.update_vectors()
    changed = Paper(
        arxiv_id="2501.00001",
        title="Paper 1",
        abstract="A different abstract. It has two sentences.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        latest_version=2,
    )
    store.upsert_papers([changed], source="test")
    assert library.sentences.sentences_of(["2501.00001"]) == {}
    library.vectors.update_vectors()
    texts = library.sentences.sentences_of(["2501.00001"])["2501.00001"].texts
    assert texts == ["A different abstract.", "It has two sentences."]


def test_papers_embedded_before_sentences_existed_are_reported_missing(library: Library) -> None:
    library.store.upsert_papers([_paper(1, ABSTRACT)], source="test")
    plain = Library(library.settings, library.store, library.embedding.get())
    plain.vectors._sentences = None  # an older release: vectors only
    plain.vectors.update_vectors()
    assert library.sentences.missing() == ["2501.00001"]
