"""Search and similar papers over a catalog whose papers are not all embedded yet (an ingest
before `likewise embed`), with the bundled calibration of the real model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings

PAPERS = [
    Paper(
        arxiv_id="2501.00001",
        title="Contrastive learning for dense retrieval",
        abstract="We train dense passage retrievers with contrastive losses and hard negatives.",
        categories=["cs.IR"],
    ),
    Paper(
        arxiv_id="2501.00002",
        title="Dense retrieval with hard negatives",
        abstract="Mining hard negatives improves dense retrievers for open-domain questions.",
        categories=["cs.CL"],
    ),
    Paper(
        arxiv_id="2501.00003",
        title="Wildlife body proportions from images",
        abstract="Estimating animal body measurements from camera-trap pictures.",
        categories=["cs.CV"],
    ),
]


@pytest.fixture(scope="module")
def real_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxMiniLMEmbedder:
    cache = tmp_path_factory.mktemp("models")
    return OnnxMiniLMEmbedder(batch_size=8, threads=1, cache_dir=cache)


@pytest.fixture
def unembedded(
    settings: Settings, store: Any, real_embedder: OnnxMiniLMEmbedder
) -> Iterator[Library]:
    """The real model's library over stored papers, none of them embedded."""
    real = settings.with_overrides(embedder="minilm-int8")
    library = Library.open(real, store=store, embedder=real_embedder)
    store.upsert_papers(PAPERS, source="test")
    yield library


def test_search_before_embedding_ranks_by_keywords_and_says_why(unembedded: Library) -> None:
    result = unembedded.search.search(
        "contrastive learning for dense retrieval", apply_cutoff=False
    )
    assert result.method == "bm25"
    assert result.coverage_notice is not None
    assert "3 of 3 papers are not embedded yet: run `likewise embed`" in result.coverage_notice
    assert result.hits and result.hits[0].arxiv_id == "2501.00001"
    # With the cut-off the BM25 calibration decides; it needs no paper vector, so no crash.
    assert unembedded.search.search("contrastive learning for dense retrieval").coverage_notice
    assert all("dense" not in hit.components for hit in result.hits)


def test_search_with_some_papers_embedded_still_ranks_every_paper_alike(
    unembedded: Library, store: Any
) -> None:
    unembedded.vectors.update_vectors()
    store.upsert_papers(
        [Paper(arxiv_id="2501.00004", title="Dense retrieval distillation", abstract="A.")],
        source="test",
    )
    result = unembedded.search.search("dense retrieval", apply_cutoff=False)
    assert result.method == "bm25"
    assert result.coverage_notice is not None
    assert result.coverage_notice.startswith("1 of 4 papers are not embedded yet")
    assert "2501.00004" in {hit.arxiv_id for hit in result.hits}


def test_search_of_a_fully_embedded_catalog_is_hybrid_without_a_notice(
    unembedded: Library,
) -> None:
    unembedded.vectors.update_vectors()
    assert unembedded.search.embedding_gap().missing == 0
    result = unembedded.search.search("contrastive learning for dense retrieval")
    assert result.method == unembedded.settings.fusion
    assert result.coverage_notice is None
    assert result.calibrated


def test_explicit_dense_search_of_a_partly_embedded_catalog_names_what_it_left_out(
    unembedded: Library, store: Any
) -> None:
    unembedded.vectors.update_vectors()
    store.upsert_papers([Paper(arxiv_id="2501.00005", title="New", abstract="B.")], source="test")
    result = unembedded.search.search("dense retrieval", fusion="dense", apply_cutoff=False)
    assert result.method == "dense"
    assert result.coverage_notice is not None
    assert "Only the 3 embedded papers were searched" in result.coverage_notice


def test_similar_papers_of_an_unembedded_catalog_share_words_of_the_title(
    unembedded: Library,
) -> None:
    hits = unembedded.similar.similar("2501.00001", limit=5)
    assert [hit.arxiv_id for hit in hits][:1] == ["2501.00002"]
    assert all("cosine" not in hit.components and hit.reason for hit in hits)
    assert "2501.00001" not in {hit.arxiv_id for hit in hits}


def test_the_pipeline_never_shows_a_probability_it_cannot_compute(unembedded: Library) -> None:
    from likewise.rank.search import SearchPlan, hybrid_search

    result = hybrid_search(
        "dense retrieval",
        SearchPlan(method="convex"),
        store=unembedded.store,
        index=unembedded.vectors.vector_index(),
        embedder=unembedded.embedding.get(),
        calibration=unembedded.search.relevance_calibration(),
    )
    assert not result.calibrated
    assert result.notice and "not relevance probabilities" in result.notice
    assert result.hits
