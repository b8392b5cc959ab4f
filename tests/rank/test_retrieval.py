"""Candidate retrieval: BM25 beside the dense search, papers read ahead, naming by key."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.index.exact import ExactIndex
from likewise.models import Paper
from likewise.rank.fusion_convex import dense_lexical_fusion
from likewise.rank.retrieval import retrieve_candidates
from likewise.rank.search import SearchPlan, hybrid_search

TITLES = {
    "2402.00001": "Graph neural networks for molecule property prediction",
    "2402.00002": "Diffusion models for photorealistic image synthesis",
    "2402.00003": "Sparse attention transformers for long documents",
    "2402.00004": "Graph transformers for molecule generation",
    "2402.00005": "Self supervised speech recognition at scale",
    "2402.00006": "Reinforcement learning for robot grasping",
}


def _paper(arxiv_id: str, title: str) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=f"We study {title.lower()}.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        submitted=datetime(2024, 2, 1, tzinfo=UTC),
        source="test",
    )


@pytest.fixture
def catalog(store: Any) -> tuple[Any, ExactIndex, FakeEmbedder]:
    embedder = FakeEmbedder()
    papers = [_paper(arxiv_id, title) for arxiv_id, title in TITLES.items()]
    store.upsert_papers(papers, source="test")
    keys = store.paper_keys(list(TITLES))
    index = ExactIndex(embedder.dimension)
    index.add(
        np.array([keys[paper.arxiv_id] for paper in papers], dtype=np.int64),
        embedder.embed_documents([paper.embedding_text() for paper in papers]),
    )
    return store, index, embedder


class FailingEmbedder(FakeEmbedder):
    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        raise RuntimeError("the embedding model crashed")


class SlowIndex(ExactIndex):
    """An exact index whose search takes as long as a large graph search might."""

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        time.sleep(0.3)
        return super().search(query, k, allowed)


def _slow_copy(index: ExactIndex) -> SlowIndex:
    slow = SlowIndex(index.dimension)
    keys, vectors = index.export()
    slow.add(keys, vectors)
    return slow


def _search(
    catalog: tuple[Any, ExactIndex, FakeEmbedder], method: str, limit: int, index: Any = None
) -> Any:
    store, exact, embedder = catalog
    return hybrid_search(
        "graph molecule",
        SearchPlan(method=method, limit=limit),
        store=store,
        index=exact if index is None else index,
        embedder=embedder,
        calibration=None,
    )


def test_candidates_are_keyed_by_store_key_and_named_on_request(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    store, index, embedder = catalog
    found = retrieve_candidates(
        "graph molecule", "convex", 10, store=store, index=index, embedder=embedder
    )
    keys = store.paper_keys(list(TITLES))
    assert set(found.dense) == set(keys.values())  # every paper has a vector
    assert set(found.lexical) == {keys["2402.00001"], keys["2402.00004"]}
    names = found.arxiv_ids(list(found.dense), store)
    assert names == {key: arxiv_id for arxiv_id, key in keys.items()}


def test_lexical_only_candidates_get_their_exact_cosine(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    store, index, embedder = catalog
    # A dense depth of 1 leaves the second graph paper to the lexical side alone.
    found = retrieve_candidates(
        "graph molecule", "convex", 1, store=store, index=index, embedder=embedder
    )
    query = embedder.embed_query("graph molecule")
    for key in found.lexical:
        vector = index.vector(key)
        assert vector is not None
        assert found.dense[key] == pytest.approx(float(query @ vector), abs=1e-5)


def test_every_hit_carries_its_stored_paper_whether_read_ahead_or_not(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    store, index, _ = catalog
    # The two lexical matches are read while the (slow) dense search runs; the other four
    # hits come from the dense side only and are fetched afterwards.
    result = _search(catalog, "convex", 6, _slow_copy(index))
    assert len(result.hits) == len(TITLES)
    stored = store.get_papers(list(TITLES))
    assert all(hit.paper == stored[hit.arxiv_id] for hit in result.hits)


def test_a_dense_hit_whose_paper_is_gone_is_passed_over(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    _, index, embedder = catalog
    orphan = 10_000_000  # a vector left behind by a paper no longer in the catalog
    index.add(np.array([orphan], dtype=np.int64), embedder.embed_query("graph molecule")[None])
    result = _search(catalog, "dense", 3)
    assert len(result.hits) == 3  # the page is still filled from the ranking
    assert all(hit.paper is not None for hit in result.hits)
    store, _, embedder = catalog
    second = hybrid_search(
        "graph molecule",
        SearchPlan(method="dense", limit=3, offset=3),
        store=store,
        index=index,
        embedder=embedder,
        calibration=None,
    )
    shown = [hit.arxiv_id for hit in result.hits + second.hits]
    assert sorted(shown) == sorted(TITLES)  # the two pages neither overlap nor skip a paper


def test_a_failed_query_embedding_leaves_no_worker_waiting(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    store, index, _ = catalog
    outcomes: list[str] = []

    def searches() -> None:
        # More failures than the pool has workers: a worker left waiting for the query
        # vector would hang the search itself or starve the one after.
        for embedder in [FailingEmbedder()] * 6 + [FakeEmbedder()]:
            try:
                result = hybrid_search(
                    "graph molecule",
                    SearchPlan(method="convex"),
                    store=store,
                    index=index,
                    embedder=embedder,
                    calibration=None,
                )
                outcomes.append(f"{len(result.hits)} hits")
            except RuntimeError as error:
                outcomes.append(str(error))

    runner = threading.Thread(target=searches, daemon=True)
    runner.start()
    runner.join(timeout=20)
    assert outcomes == ["the embedding model crashed"] * 6 + ["6 hits"]


def test_fusion_by_store_key_ranks_as_fusion_by_arxiv_id() -> None:
    dense = {"a": 0.9, "b": 0.5, "c": 0.1}
    lexical = {"b": 12.0, "c": 3.0, "d": 6.0}
    key_of = {"a": 3, "b": 1, "c": 4, "d": 2}
    by_id = dense_lexical_fusion(dense, lexical, 0.5)
    by_key = dense_lexical_fusion(
        {key_of[doc]: value for doc, value in dense.items()},
        {key_of[doc]: value for doc, value in lexical.items()},
        0.5,
    )
    assert [(key_of[doc], score) for doc, score in by_id] == by_key
    # b: 0.5 * (1.5 / 1.9) + 0.5 * 1.0; a: 0.5 * 1.0; d: 0.5 * 0.5; c: 0.5 * 1.1/1.9 + 0.5 * 0.25
    assert [doc for doc, _ in by_id] == ["b", "a", "c", "d"]
    assert by_id[0][1] == pytest.approx(0.5 * 1.5 / 1.9 + 0.5)


@pytest.mark.parametrize("rank", [0, 1])
def test_the_lexical_papers_around_the_page_are_read_while_the_dense_search_runs(
    catalog: tuple[Any, ExactIndex, FakeEmbedder], rank: int
) -> None:
    store, index, embedder = catalog
    found = retrieve_candidates(
        "graph molecule",
        "convex",
        10,
        store=store,
        index=_slow_copy(index),
        embedder=embedder,
        prefetch=range(rank, rank + 1),
    )
    by_score = sorted(found.lexical, key=lambda key: (-found.lexical[key], key))
    named = found.arxiv_ids([by_score[rank]], store)[by_score[rank]]
    assert found.papers == {named: store.get_paper(named)}
