"""`SentenceService.relabel`: stored sentences get the current labeller's labels again from
their stored vectors and texts, only changed rows are rewritten, nothing is embedded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings
from likewise.store.sentences import SentenceRepository


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed_documents(self, texts: Any) -> Any:
        self.texts += len(texts)
        return super().embed_documents(texts)


def _papers() -> list[Paper]:
    return [
        Paper(
            arxiv_id=f"2502.{number:05d}",
            title=f"Relabel study {number}",
            abstract=(
                "Graph models are common. "
                f"We propose message passing for setting {number}. "
                "Results improve accuracy by two points."
            ),
            categories=["cs.LG"],
        )
        for number in range(5)
    ]


@pytest.fixture
def embedded(settings: Settings, store: Any) -> Iterator[tuple[Library, CountingEmbedder]]:
    settings.home.mkdir(parents=True, exist_ok=True)
    embedder = CountingEmbedder()
    library = Library(settings, store, embedder)
    library.store.upsert_papers(_papers(), source="test")
    library.vectors.update_vectors()
    yield library, embedder


def test_relabel_restores_the_labellers_labels_from_stored_vectors_without_embedding(
    embedded: tuple[Library, CountingEmbedder],
) -> None:
    library, embedder = embedded
    model_id = embedder.model_id
    ids = [paper.arxiv_id for paper in _papers()]
    before = library.sentences.sentences_of(ids)
    rows = SentenceRepository(library.store.engine)
    stale = [
        dataclasses.replace(stored.row, labels=["other"] * len(stored.row.labels))
        for stored in rows.get(model_id, ids[:3]).values()
    ]
    rows.put(model_id, stale)  # as an older classifier might have left them
    assert all(set(library.sentences.sentences_of([i])[i].labels) == {"other"} for i in ids[:3])
    embedded_before = embedder.texts
    assert embedded_before > 0  # the first embed went through the counter
    read, changed = library.sentences.relabel(chunk=2)  # three pages of at most 2 papers
    assert (read, changed) == (5, 3) and embedder.texts == embedded_before
    after = library.sentences.sentences_of(ids)
    for arxiv_id in ids:
        assert after[arxiv_id].labels == before[arxiv_id].labels
        assert np.array_equal(after[arxiv_id].vectors, before[arxiv_id].vectors)
    assert library.sentences.relabel() == (5, 0)


def test_relabel_skips_sentences_of_a_changed_paper(
    embedded: tuple[Library, CountingEmbedder],
) -> None:
    library, _ = embedded
    changed = dataclasses.replace(_papers()[0], abstract="A new abstract. It says more.")
    library.store.upsert_papers([changed], source="test")  # its stored sentences are stale now
    assert library.sentences.relabel() == (4, 0)
