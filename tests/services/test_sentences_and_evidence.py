"""Embedding stores each paper's sentences (labels and unit vectors, same pass), and search
hits carry the abstract sentences that best support the query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings

LABELS = {"background", "objective", "method", "result", "other"}


def _papers() -> list[Paper]:
    return [
        Paper(
            arxiv_id=f"2501.{number:05d}",
            title=f"Study {number}",
            abstract=(
                "Deep models are everywhere. "
                f"We propose graph networks for molecules in setting {number}. "
                "Results improve accuracy by five points."
            ),
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            latest_version=1,
        )
        for number in range(6)
    ]


@pytest.fixture
def opened(settings: Settings, store: Any) -> Iterator[Library]:
    settings.home.mkdir(parents=True, exist_ok=True)
    yield Library(settings, store, FakeEmbedder())


def test_embedding_a_paper_stores_its_sentences_labels_and_unit_vectors(opened: Library) -> None:
    opened.store.upsert_papers(_papers(), source="test")
    assert opened.vectors.update_vectors() == 6
    stored = opened.sentences.sentences_of(["2501.00002", "2501.99999"])
    assert list(stored) == ["2501.00002"]
    paper = stored["2501.00002"]
    assert paper.texts[1] == "We propose graph networks for molecules in setting 2."
    assert len(paper.labels) == len(paper.texts) == len(paper.vectors) == 3
    assert set(paper.labels) <= LABELS
    assert np.allclose(np.linalg.norm(paper.vectors, axis=1), 1.0, atol=1e-3)


def test_a_changed_abstract_replaces_its_stored_sentences(opened: Library) -> None:
    opened.store.upsert_papers(_papers(), source="test")
    opened.vectors.update_vectors()
    changed = _papers()[0]
    changed.latest_version = 2
    changed.abstract = "One new sentence only."
    opened.store.upsert_papers([changed], source="test")
    opened.vectors.update_vectors()
    assert opened.sentences.sentences_of(["2501.00000"])["2501.00000"].texts == [
        "One new sentence only."
    ]


def test_search_hits_carry_a_supporting_sentence_from_their_abstract(opened: Library) -> None:
    opened.store.upsert_papers(_papers(), source="test")
    opened.lexical.update_lexical_index()
    opened.vectors.update_vectors()
    result = opened.search.search("graph networks for molecules", apply_cutoff=False)
    assert result.hits
    for hit in result.hits:
        assert hit.paper is not None and hit.evidence
        first = hit.evidence[0]
        assert hit.paper.abstract[first.start : first.end] == first.text
        assert "graph networks" in first.text
