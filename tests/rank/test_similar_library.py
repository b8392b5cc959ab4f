"""SimilarService.similar over a real store with the FakeEmbedder: exclusions, errors, reasons,
filters and the hub correction."""

from __future__ import annotations

import random
from typing import Any

import pytest

from likewise.models import Paper, SearchFilters
from likewise.store.base import UnknownPaperError

TOPICS = {
    "graph": "graph neural network message passing molecules chemistry",
    "vision": "vision transformer image segmentation pixels patches",
    "speech": "speech recognition acoustic model audio waveform",
    "robot": "robot manipulation grasping reinforcement control policy",
}


def paper(arxiv_id: str, title: str, abstract: str, categories: list[str] | None = None) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        categories=categories or ["cs.LG"],
        authors=["Ada Lovelace"] if arxiv_id.endswith("1") else ["Alan Turing"],
    )


def fill(library: Any, papers: list[Paper]) -> None:
    library.store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()


@pytest.fixture
def topical(library: Any) -> Any:
    papers = []
    number = 1
    for topic, words in TOPICS.items():
        for variant in range(4):
            papers.append(
                paper(
                    f"2501.{number:05d}",
                    f"{topic.title()} study {variant}",
                    f"We study {words} with variant {variant}.",
                    ["cs.CV"] if topic == "vision" else ["cs.LG"],
                )
            )
            number += 1
    fill(library, papers)
    return library


def test_similar_excludes_the_query_paper(topical: Any) -> None:
    hits = topical.similar.similar("2501.00001", limit=20)
    assert hits
    assert "2501.00001" not in {hit.arxiv_id for hit in hits}


def test_similar_ranks_papers_of_the_same_topic_first(topical: Any) -> None:
    hits = topical.similar.similar("2501.00001", limit=3)
    assert {hit.arxiv_id for hit in hits} == {"2501.00002", "2501.00003", "2501.00004"}
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_similar_accepts_a_versioned_id(topical: Any) -> None:
    assert topical.similar.similar("2501.00001v3", limit=1)[0].arxiv_id in {
        "2501.00002",
        "2501.00003",
        "2501.00004",
    }


def test_similar_refuses_an_unknown_id_clearly(topical: Any) -> None:
    with pytest.raises(UnknownPaperError, match=r"2599\.99999"):
        topical.similar.similar("2599.99999")


@pytest.mark.parametrize("bad", ["", "   ", "2501.00001\x00", "x" * 10_000])
def test_similar_refuses_junk_ids_without_a_traceback_worthy_error(topical: Any, bad: str) -> None:
    with pytest.raises(UnknownPaperError):
        topical.similar.similar(bad)


def test_reasons_name_the_shared_terms(topical: Any) -> None:
    hit = topical.similar.similar("2501.00005", limit=1)[0]
    assert hit.reason is not None
    assert hit.reason.startswith("shared terms:")
    shared = hit.reason.split(":", 1)[1]
    assert any(word in shared for word in TOPICS["vision"].split())


def test_similar_respects_filters(topical: Any) -> None:
    hits = topical.similar.similar(
        "2501.00001", limit=10, filters=SearchFilters(categories=("cs.CV",))
    )
    assert hits
    assert {hit.arxiv_id for hit in hits} <= {f"2501.{n:05d}" for n in range(5, 9)}


def test_other_records_of_the_same_work_are_left_out(library: Any) -> None:
    fill(
        library,
        [
            paper("2502.00001", "Sparse attention at scale", "Sparse attention kernels."),
            paper("local:abc123", "Sparse Attention at Scale", "Sparse attention kernels."),
            paper("2502.00002", "Dense attention at scale", "Dense attention kernels."),
        ],
    )
    assert [hit.arxiv_id for hit in library.similar.similar("2502.00001")] == ["2502.00002"]


GENERIC = "deep learning model data results training benchmark method"


def hub_catalog() -> list[Paper]:
    """Four topics of six papers. Every paper is mostly the same generic words plus a few of
    its topic's; the hub paper is only the generic words, so it is every paper's close
    neighbour: the kind of paper that crowds everyone's similar list."""
    generator = random.Random(5)
    papers = []
    number = 1
    for topic in ("graph", "vision", "speech", "robot"):
        vocabulary = [f"{topic}{index}" for index in range(12)]
        for _ in range(6):
            words = " ".join(generator.sample(vocabulary, 4))
            papers.append(paper(f"2503.{number:05d}", words, f"{GENERIC} {words}"))
            number += 1
    papers.append(paper("2503.09999", GENERIC, GENERIC))
    return papers


def rank_of_hub(hits: list[Any]) -> int:
    ids = [hit.arxiv_id for hit in hits]
    return ids.index("2503.09999") if "2503.09999" in ids else len(ids)


def test_hubness_correction_demotes_a_synthetic_hub(library: Any) -> None:
    fill(library, hub_catalog())
    queries = [f"2503.{number:05d}" for number in range(1, 25)]

    def opened(correction: bool) -> Any:
        settings = library.settings.with_overrides(hubness_correction=correction)
        return type(library)(settings, library.store, library.embedding.get())

    plain_library, corrected_library = opened(False), opened(True)
    plain = [rank_of_hub(plain_library.similar.similar(query, limit=5)) for query in queries]
    corrected = [
        rank_of_hub(corrected_library.similar.similar(query, limit=5)) for query in queries
    ]
    appearances_plain = sum(rank < 5 for rank in plain)
    appearances_corrected = sum(rank < 5 for rank in corrected)
    assert appearances_plain >= len(queries) // 2
    assert appearances_corrected < appearances_plain
    assert sum(corrected) > sum(plain)
    hit = corrected_library.similar.similar(queries[0], limit=1)[0]
    assert set(hit.components) == {"cosine", "hub_penalty"}
    assert hit.score == pytest.approx(hit.components["cosine"] - hit.components["hub_penalty"])
