"""Above `compressed_index_threshold` the vector service keeps a compressed usearch graph (PCA
to fewer dimensions, int8), re-ranked with the store's vectors; its kind is in the stamp."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from test_vector_service import make_papers

from likewise.embed.fake import FakeEmbedder
from likewise.index.persisted import index_paths, read_stamp
from likewise.index.usearch_index import UsearchIndex, reduction_path
from likewise.library import Library
from likewise.settings import Settings

pytestmark = pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND") == "postgres",
    reason="the index file exists on SQLite; PostgreSQL keeps the index in pgvector",
)


def _compressing(settings: Settings) -> Settings:
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings.with_overrides(
        ann_threshold=5, compressed_index_threshold=30, compressed_dimensions=16
    )


def test_a_catalog_above_the_compression_threshold_gets_a_compressed_graph(
    settings: Settings, store: Any
) -> None:
    settings = _compressing(settings)
    library = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(40), source="test")
    library.vectors.update_vectors()
    index = library.vectors.vector_index()
    assert isinstance(index, UsearchIndex) and index.kind == "usearch-compressed"
    assert index.reduction is not None and index.reduction.dimensions == 16
    paths = index_paths(settings.home, FakeEmbedder().model_id)
    assert reduction_path(paths.usearch).is_file()
    stamp = read_stamp(paths.stamp)
    assert stamp is not None and stamp.kind == "usearch-compressed" and stamp.count == 40
    for paper in make_papers(40)[::7]:
        vector = library.vectors.paper_vector(paper.arxiv_id)
        assert vector is not None
        found, scores = index.search(vector, 1)
        assert found.tolist() == [store.paper_keys([paper.arxiv_id])[paper.arxiv_id]]
        assert scores[0] == pytest.approx(1.0, abs=1e-3)  # re-ranked with the full vector


def test_another_process_loads_the_compressed_graph_with_the_stored_vectors(
    settings: Settings, store: Any
) -> None:
    settings = _compressing(settings)
    first = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(40), source="test")
    first.vectors.update_vectors()
    paths = index_paths(settings.home, FakeEmbedder().model_id)
    written = paths.usearch.stat().st_mtime_ns
    other = Library(settings, store, FakeEmbedder())
    index = other.vectors.vector_index()
    assert isinstance(index, UsearchIndex) and index.kind == "usearch-compressed"
    assert len(index) == 40 and paths.usearch.stat().st_mtime_ns == written  # loaded as is


def test_crossing_the_threshold_either_way_switches_the_kind_of_graph(
    settings: Settings, store: Any
) -> None:
    settings = _compressing(settings)
    library = Library(settings, store, FakeEmbedder())
    store.upsert_papers(make_papers(20), source="test")
    library.vectors.update_vectors()
    plain = library.vectors.vector_index()
    assert isinstance(plain, UsearchIndex) and plain.kind == "usearch"
    store.upsert_papers(make_papers(20, start=20), source="test")
    library.vectors.update_vectors()
    grown = library.vectors.vector_index()
    assert isinstance(grown, UsearchIndex) and grown.kind == "usearch-compressed"
    assert len(grown) == 40
    # Turning compression off (a setting change) makes the next process go back to plain.
    plain_settings = settings.with_overrides(compressed_index_threshold=0)
    reopened = Library(plain_settings, store, FakeEmbedder()).vectors.vector_index()
    assert isinstance(reopened, UsearchIndex) and reopened.kind == "usearch"
    paths = index_paths(settings.home, FakeEmbedder().model_id)
    assert not reduction_path(paths.usearch).exists()
    keys, vectors = reopened.export()
    assert len(keys) == 40 and np.all(np.isfinite(vectors))


def test_a_catalog_of_millions_is_built_and_loaded_with_the_wider_search(
    settings: Settings, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 papers stand in for millions: the size where the breadth doubles is lowered to 30.
    monkeypatch.setattr("likewise.index.usearch_index.LARGE_CATALOG", 30)
    settings = _compressing(settings)
    store.upsert_papers(make_papers(40), source="test")
    built = Library(settings, store, FakeEmbedder())
    built.vectors.update_vectors()
    index = built.vectors.vector_index()
    assert isinstance(index, UsearchIndex) and index._index.expansion_search == 800
    loaded = Library(settings, store, FakeEmbedder()).vectors.vector_index()
    assert isinstance(loaded, UsearchIndex) and loaded._index.expansion_search == 800
    monkeypatch.setattr("likewise.index.usearch_index.LARGE_CATALOG", 41)
    smaller = Library(settings, store, FakeEmbedder()).vectors.vector_index()
    assert isinstance(smaller, UsearchIndex) and smaller._index.expansion_search == 400
