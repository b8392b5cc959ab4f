"""The displayed probability means the same whatever the catalog size: the same query and paper
get the same probability in a 1,000-paper catalog and in one 9x larger, by the default fusion,
by RRF and by BM25 alone (real model, shared vectors of CSFCube's CS papers and SciFact's
biomedical ones, no embedding of documents)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.collections import RetrievalCollection, load_scifact
from likewise.evaluate.cutoff_sources import csfcube_corpus
from likewise.evaluate.runs import document_vectors, throwaway_library
from likewise.library import Library
from likewise.settings import Settings

pytestmark = pytest.mark.slow
QUERIES = (
    "contrastive learning for dense retrieval",
    "citation recommendation",
    "neural machine translation with attention",
    "graph neural networks",
    "word embeddings",
)
SMALL = 1_000


@pytest.fixture(scope="module")
def catalogs(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, Library]]:
    cache = tmp_path_factory.mktemp("vectors")
    embedder = OnnxMiniLMEmbedder(batch_size=8, threads=1, cache_dir=cache / "models")
    shared_vectors = shared_data / "embeddings-all-minilm-l6-v2"
    cs = csfcube_corpus(shared_data / "csfcube")
    cs_vectors = document_vectors(cs.documents, embedder, shared_vectors / "csfcube.f16.npy", cache)
    bio = load_scifact(shared_data / "scifact", "fit")
    bio_vectors = document_vectors(
        bio.documents, embedder, shared_vectors / "scifact.f16.npy", cache
    )
    # Every fourth CSFCube paper makes the small catalog; the large one holds all of them and
    # every SciFact abstract besides.
    small_rows = np.arange(len(cs.documents))[::4][:SMALL]
    small = RetrievalCollection("small", [cs.documents[i] for i in small_rows], {}, {})
    large = RetrievalCollection("large", cs.documents + bio.documents, {}, {})
    settings = Settings(home=cache / "unused", database_url="")
    with (
        throwaway_library(small, settings, embedder, cs_vectors[small_rows]) as small_library,
        throwaway_library(
            large, settings, embedder, np.concatenate([cs_vectors, bio_vectors])
        ) as large_library,
    ):
        yield small_library, large_library


def _probabilities(library: Library, query: str, fusion: str) -> dict[str, float]:
    result = library.search.search(query, limit=100, apply_cutoff=False, fusion=fusion)
    assert result.calibrated, result.notice
    return {hit.arxiv_id: hit.score for hit in result.hits}


@pytest.mark.parametrize("fusion", ["convex", "rrf", "bm25"])
@pytest.mark.parametrize("query", QUERIES)
def test_a_paper_has_the_same_probability_in_a_small_and_a_nine_times_larger_catalog(
    catalogs: tuple[Library, Library], query: str, fusion: str
) -> None:
    small, large = catalogs
    in_small = _probabilities(small, query, fusion)
    in_large = _probabilities(large, query, fusion)
    shared = set(in_small) & set(in_large)
    assert len(shared) >= 10, "the two catalogs' candidates should overlap"
    for arxiv_id in shared:
        assert in_large[arxiv_id] == pytest.approx(in_small[arxiv_id], abs=1e-6), arxiv_id


def test_most_of_these_queries_pass_some_paper_in_the_small_catalog(
    catalogs: tuple[Library, Library],
) -> None:
    small, _ = catalogs
    passing = [query for query in QUERIES if small.search.search(query, limit=1_000).hits]
    assert len(passing) >= len(QUERIES) - 1, passing


@pytest.mark.parametrize("query", QUERIES)
def test_what_passes_the_cut_off_in_the_small_catalog_passes_in_the_large_one(
    catalogs: tuple[Library, Library], query: str
) -> None:
    small, large = catalogs
    in_small = small.search.search(query, limit=1_000)
    in_large = large.search.search(query, limit=1_000)
    # "contrastive learning for dense retrieval" passes nothing in the small CSFCube catalog
    # since the length map, which leaves only the count to compare.
    assert in_large.total >= in_small.total
    if in_large.total <= 1_000:  # every passing paper is on the page ("word embeddings": not)
        shown_large = {hit.arxiv_id for hit in in_large.hits}
        assert {hit.arxiv_id for hit in in_small.hits} <= shown_large
