"""The site right after an ingest, before `likewise embed`: search and paper pages answer
(keyword results, similar papers by shared words) and say what is missing, HTML and JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings
from likewise.web.app import create_app

GAP = "2 of 2 papers are not embedded yet: run `likewise embed`"


@pytest.fixture(scope="module")
def real_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(batch_size=8, threads=1, cache_dir=tmp_path_factory.mktemp("m"))


@pytest.fixture
def unembedded_client(
    settings: Settings, store: Any, real_embedder: OnnxMiniLMEmbedder
) -> Iterator[TestClient]:
    library = Library.open(
        settings.with_overrides(embedder="minilm-int8"), store=store, embedder=real_embedder
    )
    store.upsert_papers(
        [
            Paper(
                arxiv_id="2501.00001",
                title="Contrastive learning for dense retrieval",
                abstract="Dense passage retrievers trained with contrastive losses.",
            ),
            Paper(
                arxiv_id="2501.00002",
                title="Dense retrieval with hard negatives",
                abstract="Hard negatives for dense retrievers.",
            ),
        ],
        source="test",
    )
    with TestClient(create_app(library.settings, library)) as client:
        yield client


def test_search_page_before_embedding_answers_with_the_notice(
    unembedded_client: TestClient,
) -> None:
    page = unembedded_client.get("/search", params={"q": "contrastive dense retrieval"})
    assert page.status_code == 200
    assert "2 of 2 papers are not embedded yet: run <code>likewise embed</code>" in page.text
    assert "ranked by keywords only" in page.text


def test_search_json_before_embedding_names_the_ranking_and_the_gap(
    unembedded_client: TestClient,
) -> None:
    answer = unembedded_client.get("/api/search", params={"q": "dense retrieval"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["ranking"] == "bm25"
    assert body["coverage_notice"].startswith(GAP)


def test_paper_page_before_embedding_lists_similar_papers_by_shared_words(
    unembedded_client: TestClient,
) -> None:
    page = unembedded_client.get("/papers/2501.00001")
    assert page.status_code == 200
    assert "Dense retrieval with hard negatives" in page.text
    assert "not embedded yet: run <code>likewise embed</code>" in page.text
    twin = unembedded_client.get("/api/papers/2501.00001").json()
    assert [card["paper"]["arxiv_id"] for card in twin["similar"]] == ["2501.00002"]
    assert twin["similar_notice"].startswith(GAP)


def test_similar_by_facet_before_embedding_says_what_is_missing(
    unembedded_client: TestClient,
) -> None:
    page = unembedded_client.get("/papers/2501.00001", params={"facet": "method"})
    assert page.status_code == 200
    assert "not embedded yet: run <code>likewise embed</code>" in page.text
    twin = unembedded_client.get("/api/papers/2501.00001", params={"facet": "method"}).json()
    assert twin["similar_notice"].startswith(GAP + ". Only embedded papers are compared.")
    assert "sentences are not stored yet" in twin["similar_notice"]
    assert twin["similar"] == []
