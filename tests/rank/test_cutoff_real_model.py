"""The bundled cut-off on real CS papers with the real embedding model: an everyday query over
a small slice of the arXiv corpus gets "no good matches", a matching topical query does not."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.cutoff_sources import OFF_TOPIC_FIT, OFF_TOPIC_HELDOUT
from likewise.ingest.jsonl import paper_from_record
from likewise.library import Library
from likewise.models import Paper
from likewise.rank.cosine_adapter import bundled_calibration
from likewise.settings import Settings

TOPICAL = 12  # papers about graph neural networks
OTHERS = 12  # papers that never mention graphs


def _slice(shared: Path) -> list[Paper]:
    topical: list[Paper] = []
    others: list[Paper] = []
    corpus = shared / "arxiv-daily-cs" / "papers.jsonl.gz"
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            record: dict[str, Any] = json.loads(line)
            text = f"{record['title']} {record.get('abstract', '')}".lower()
            if "graph neural network" in record["title"].lower() and len(topical) < TOPICAL:
                topical.append(paper_from_record(record)[0])
            elif "graph" not in text and len(others) < OTHERS:
                others.append(paper_from_record(record)[0])
            if len(topical) == TOPICAL and len(others) == OTHERS:
                break
    return topical + others


@pytest.fixture(scope="module")
def real_library(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    home = tmp_path_factory.mktemp("cutoff-home")
    embedder = OnnxMiniLMEmbedder(batch_size=8, threads=1, cache_dir=home / "models")
    if bundled_calibration(embedder.model_id) is None:
        pytest.fail(f"no bundled calibration for the default embedder {embedder.model_id}")
    library = Library.open(Settings(home=home, database_url=""), embedder=embedder)
    library.store.upsert_papers(_slice(shared_data), source="test")
    library.vectors.update_vectors()
    yield library
    library.close()


# Held-out everyday queries (evaluate/cutoff_sources.OFF_TOPIC_HELDOUT): none was fit on.
@pytest.mark.parametrize(
    "query",
    ["inheritance tax rules for farmland", "how to grow basil indoors", "beginner crochet blanket"],
)
@pytest.mark.parametrize("fusion", ["convex", "dense"])
def test_an_everyday_query_over_cs_papers_has_no_good_matches(
    real_library: Library, fusion: str, query: str
) -> None:
    assert query in OFF_TOPIC_HELDOUT and query not in OFF_TOPIC_FIT
    result = real_library.search.search(query, fusion=fusion)
    assert result.no_good_matches and not result.hits
    assert result.notice is not None and "no good matches" in result.notice


@pytest.mark.parametrize("fusion", ["convex", "dense"])
def test_a_matching_topical_query_keeps_its_topical_papers(
    real_library: Library, fusion: str
) -> None:
    result = real_library.search.search("graph neural networks", fusion=fusion)
    assert not result.no_good_matches
    assert result.hits
    # What survives the cut-off is on topic.
    titles = [hit.paper.title.lower() for hit in result.hits if hit.paper is not None]
    assert all("graph" in title for title in titles)
