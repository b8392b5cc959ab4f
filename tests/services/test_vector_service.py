"""Library vectors: only new or changed papers are embedded, and the index follows the store."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.index.exact import ExactIndex
from likewise.index.persisted import index_paths
from likewise.index.usearch_index import UsearchIndex
from likewise.library import Library
from likewise.models import Paper
from likewise.services.vectors import VectorService
from likewise.settings import Settings

# On PostgreSQL the index lives in pgvector's table (services/pgvectors.py), not in files.
file_index_only = pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND") == "postgres",
    reason="the index file exists on SQLite; PostgreSQL keeps the index in pgvector",
)

TOPICS = [
    "graph neural networks for molecules",
    "speech recognition with transformers",
    "image segmentation of satellite photos",
    "reinforcement learning for robot arms",
    "machine translation of low resource languages",
    "diffusion models for video generation",
    "question answering over tables",
    "federated learning privacy attacks",
]


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.embedded.extend(texts)
        return super().embed_documents(texts)


def make_papers(count: int, start: int = 0, version: int = 1) -> list[Paper]:
    return [
        Paper(
            arxiv_id=f"2501.{number:05d}",
            title=f"Paper {number} on {TOPICS[number % len(TOPICS)]}",
            abstract=f"We study {TOPICS[number % len(TOPICS)]} in setting {number}.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            latest_version=version,
        )
        for number in range(start, start + count)
    ]


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def opened(settings: Settings, store: Any, counting: CountingEmbedder) -> Iterator[Library]:
    settings.home.mkdir(parents=True, exist_ok=True)
    yield Library(settings, store, counting)


def second_process(settings: Settings, store: Any) -> Library:
    """Another Library on the same catalog, as a second web worker would open it."""
    return Library(settings, store, FakeEmbedder())


def test_update_vectors_embeds_each_paper_once(opened: Library, counting: CountingEmbedder) -> None:
    opened.store.upsert_papers(make_papers(12), source="test")
    assert opened.vectors.update_vectors() == 12
    assert len(counting.embedded) == 12
    assert opened.vectors.update_vectors() == 0
    assert len(counting.embedded) == 12
    assert len(opened.vectors.vector_index()) == 12


def test_only_new_and_changed_papers_are_embedded_after_an_ingest(
    opened: Library, counting: CountingEmbedder
) -> None:
    opened.store.upsert_papers(make_papers(10), source="test")
    opened.vectors.update_vectors()
    changed = make_papers(1, start=3, version=2)[0]
    changed.abstract = "A completely rewritten abstract about protein folding."
    opened.store.upsert_papers([changed, *make_papers(2, start=10)], source="test")
    counting.embedded.clear()
    assert opened.vectors.update_vectors() == 3
    assert sorted(counting.embedded) == sorted(
        [changed.embedding_text(), *(paper.embedding_text() for paper in make_papers(2, 10))]
    )
    stored = opened.vectors.paper_vector(changed.arxiv_id)
    assert stored is not None
    assert np.allclose(stored, FakeEmbedder().embed_query(changed.embedding_text()), atol=1e-6)
    assert len(opened.vectors.vector_index()) == 12


def test_a_paper_is_its_own_nearest_neighbour(opened: Library) -> None:
    papers = make_papers(16)
    opened.store.upsert_papers(papers, source="test")
    opened.vectors.update_vectors()
    index = opened.vectors.vector_index()
    key = opened.store.paper_keys([papers[5].arxiv_id])[papers[5].arxiv_id]
    vector = opened.vectors.paper_vector(papers[5].arxiv_id)
    assert vector is not None
    found, scores = index.search(vector, 3)
    assert found[0] == key and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_paper_vector_is_none_for_unknown_or_unembedded_papers(opened: Library) -> None:
    opened.store.upsert_papers(make_papers(2), source="test")
    assert opened.vectors.paper_vector("2501.00000") is None
    assert opened.vectors.paper_vector("9999.99999") is None


@file_index_only
def test_a_catalog_above_the_threshold_is_served_from_a_saved_usearch_file(
    settings: Settings, store: Any
) -> None:
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    first = Library(settings, store, FakeEmbedder())
    first.store.upsert_papers(make_papers(20), source="test")
    first.vectors.update_vectors()
    paths = index_paths(settings.home, FakeEmbedder().model_id)
    assert isinstance(first.vectors.vector_index(), UsearchIndex)
    assert paths.usearch.is_file() and paths.stamp.is_file()
    written = paths.usearch.stat().st_mtime_ns
    other = second_process(settings, store)
    index = other.vectors.vector_index()
    assert isinstance(index, UsearchIndex) and len(index) == 20
    assert paths.usearch.stat().st_mtime_ns == written  # loaded, not rebuilt


@file_index_only
def test_a_stale_index_file_is_detected_and_rebuilt(settings: Settings, store: Any) -> None:
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    first = Library(settings, store, FakeEmbedder())
    first.store.upsert_papers(make_papers(20), source="test")
    first.vectors.update_vectors()
    # A vector changes in the store behind the file's back (say, a crash before saving).
    model_id = FakeEmbedder().model_id
    moved = FakeEmbedder().embed_query("something else entirely")
    store.put_vectors(model_id, [("2501.00004", "other-hash", moved)])
    other = second_process(settings, store)
    stored = other.vectors.paper_vector("2501.00004")
    assert stored is not None and np.allclose(stored, moved, atol=1e-3)


def test_a_stale_index_file_is_repaired_without_a_full_rebuild(
    settings: Settings, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    first = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(20), source="test")
    first.vectors.update_vectors()
    # Vectors stored behind the file's back: one changed, one paper new.
    model_id = FakeEmbedder().model_id
    store.upsert_papers(make_papers(1, start=20), source="test")
    changed = FakeEmbedder().embed_query("quantum error correction codes")
    added = FakeEmbedder().embed_query("protein structure prediction")
    store.put_vectors(model_id, [("2501.00002", "h1", changed), ("2501.00020", "h2", added)])

    def no_rebuild(*arguments: object, **keywords: object) -> None:
        raise AssertionError("the whole index was rebuilt")

    monkeypatch.setattr(VectorService, "_build", no_rebuild)
    other = second_process(settings, store)
    assert len(other.vectors.vector_index()) == 21
    for arxiv_id, vector in (("2501.00002", changed), ("2501.00020", added)):
        stored = other.vectors.paper_vector(arxiv_id)
        assert stored is not None and np.allclose(stored, vector, atol=1e-3)
    assert len(second_process(settings, store).vectors.vector_index()) == 21


def test_an_unreadable_index_file_is_rebuilt(settings: Settings, store: Any) -> None:
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    first = Library(settings, store, FakeEmbedder())
    first.store.upsert_papers(make_papers(20), source="test")
    first.vectors.update_vectors()
    index_paths(settings.home, FakeEmbedder().model_id).usearch.write_bytes(b"not an index")
    assert len(second_process(settings, store).vectors.vector_index()) == 20


def test_another_process_sees_newly_embedded_papers(settings: Settings, store: Any) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    worker = second_process(settings, store)
    embedding = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(6), source="test")
    embedding.vectors.update_vectors()
    assert len(worker.vectors.vector_index()) == 6
    store.upsert_papers(make_papers(3, start=6), source="test")
    embedding.vectors.update_vectors()
    assert len(worker.vectors.vector_index()) == 9


@file_index_only
def test_growing_past_the_threshold_switches_to_the_ann_index(
    settings: Settings, store: Any
) -> None:
    settings = settings.with_overrides(ann_threshold=10)
    settings.home.mkdir(parents=True, exist_ok=True)
    library = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(8), source="test")
    library.vectors.update_vectors()
    assert isinstance(library.vectors.vector_index(), ExactIndex)
    store.upsert_papers(make_papers(8, start=8), source="test")
    library.vectors.update_vectors()
    index = library.vectors.vector_index()
    assert isinstance(index, UsearchIndex) and len(index) == 16


@file_index_only
def test_reindex_rebuilds_from_the_stored_vectors(settings: Settings, store: Any) -> None:
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    library = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(9), source="test")
    library.vectors.update_vectors()
    paths = index_paths(settings.home, FakeEmbedder().model_id)
    paths.usearch.unlink()
    assert library.vectors.reindex() == 9
    assert paths.usearch.is_file()
    assert len(second_process(settings, store).vectors.vector_index()) == 9


def test_the_progress_bar_reports_on_stderr(
    opened: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    opened.store.upsert_papers(make_papers(5), source="test")
    assert opened.vectors.update_vectors(progress=True) == 5
    assert "embedding" in capsys.readouterr().err


@pytest.mark.postgres
def test_on_postgresql_the_index_is_shared_through_pgvector(settings: Settings, store: Any) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL pass only")
    from sqlalchemy import text

    from likewise.index.pgvector_index import PgvectorIndex

    with store.engine.begin() as connection:
        # What pgvector's migration creates, for catalogs where it has not run yet.
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS vector_index (model_id varchar(128) NOT NULL, "
                "paper_key bigint NOT NULL, embedding vector NOT NULL, "
                "PRIMARY KEY (model_id, paper_key))"
            )
        )
    settings = settings.with_overrides(ann_threshold=5)
    settings.home.mkdir(parents=True, exist_ok=True)
    library = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(12), source="test")
    assert library.vectors.update_vectors() == 12
    index = library.vectors.vector_index()
    assert isinstance(index, PgvectorIndex) and len(index) == 12 and index.has_graph()
    vector = library.vectors.paper_vector("2501.00003")
    assert vector is not None
    key = store.paper_keys(["2501.00003"])["2501.00003"]
    assert index.search(vector, 1)[0].tolist() == [key]
    # A vector the index missed (a crash between the two writes) is caught up on opening.
    index.remove(np.array([key], dtype=np.int64))
    worker = second_process(settings, store)
    assert len(worker.vectors.vector_index()) == 12
    assert worker.vectors.reindex() == 12
