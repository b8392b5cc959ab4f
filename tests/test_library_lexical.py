"""Library's in-process BM25 index: follows the catalog (new, changed, deleted papers), is
shared by processes on one home, is rebuilt when its files are damaged, and serves search."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from likewise.embed.fake import FakeEmbedder
from likewise.index.inverted_files import lexical_folder, read_stamp, stamp_path
from likewise.library import Library
from likewise.models import Paper, SearchFilters
from likewise.rank.bm25 import bm25_scores
from likewise.settings import Settings
from likewise.store import schema
from likewise.store.factory import open_store

TOPICS = [
    ("graph neural networks for molecules", "cs.LG"),
    ("speech recognition with transformers", "cs.CL"),
    ("image segmentation of satellite photos", "cs.CV"),
    ("graph transformers for traffic", "cs.LG"),
    ("neural speech synthesis", "cs.CL"),
    ("graph matching in images", "cs.CV"),
]


def make_papers(count: int, start: int = 0, version: int = 1) -> list[Paper]:
    papers = []
    for number in range(start, start + count):
        topic, category = TOPICS[number % len(TOPICS)]
        papers.append(
            Paper(
                arxiv_id=f"2502.{number:05d}",
                title=f"{topic.capitalize()} ({number})",
                abstract=f"We study {topic}; setting {number} of many.",
                authors=[f"Author {number % 3}"],
                categories=[category],
                latest_version=version,
            )
        )
    return papers


def bm25_ids(library: Any, query: str, **options: Any) -> list[str]:
    result = library.search(query, fusion="bm25", apply_cutoff=False, limit=50, **options)
    return [hit.arxiv_id for hit in result.hits]


def another_process(settings: Settings, database_url: str) -> Library:
    """A Library with its own connection and caches, as a second worker would have."""
    return Library(settings, open_store(database_url), FakeEmbedder())


def test_search_uses_the_saved_index_and_finds_papers_stored_since(library: Any) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    assert len(bm25_ids(library, "graph")) == 6
    assert read_stamp(library.settings.home) is not None
    library.store.upsert_papers(make_papers(2, start=12), source="test")
    # No explicit update: the search notices keys above the newest indexed one.
    assert "2502.00012" in bm25_ids(library, "graph molecules")
    assert len(library.lexical_index()) == 14


def test_changed_and_deleted_papers_are_reindexed_by_an_update(library: Any) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    library.lexical_index()
    changed = make_papers(1, start=1, version=2)[0]
    changed.abstract = "A rewritten abstract about protein folding."
    library.store.upsert_papers([changed], source="test")
    with library.store.engine.begin() as connection:
        connection.execute(delete(schema.papers).where(schema.papers.c.arxiv_id == "2502.00002"))
    assert library.update_lexical_index() == 2
    assert bm25_ids(library, "protein folding") == ["2502.00001"]
    assert "2502.00002" not in bm25_ids(library, "image segmentation")
    assert library.update_lexical_index() == 0


def test_a_second_library_on_the_same_home_sees_an_update_by_the_first(
    library: Any, database_url: str
) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    other = another_process(library.settings, database_url)
    try:
        assert "2502.00004" not in bm25_ids(other, "protein")
        changed = make_papers(1, start=4, version=2)[0]
        changed.title = "Protein design with diffusion"
        library.store.upsert_papers([changed], source="test")
        library.update_lexical_index()
        assert bm25_ids(other, "protein") == ["2502.00004"]
    finally:
        other.close()


def test_a_stale_saved_index_is_brought_up_to_date_when_loaded(
    library: Any, database_url: str
) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    library.lexical_index()
    changed = make_papers(1, start=7, version=2)[0]
    changed.authors = ["Grace Hopper"]
    library.store.upsert_papers([changed], source="test")  # no update call
    other = another_process(library.settings, database_url)
    try:
        assert bm25_ids(other, "hopper") == ["2502.00007"]
    finally:
        other.close()


def test_a_damaged_index_file_is_rebuilt(library: Any, database_url: str) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    expected = bm25_ids(library, "graph speech")
    stamp = read_stamp(library.settings.home)
    assert stamp is not None
    damaged = lexical_folder(library.settings.home) / str(stamp["main"]) / "frequencies.npy"
    damaged.write_bytes(b"not an array")
    other = another_process(library.settings, database_url)
    try:
        assert bm25_ids(other, "graph speech") == expected
        assert len(other.lexical_index()) == 12
    finally:
        other.close()
    stamp_path(library.settings.home).write_text("{broken", encoding="utf-8")
    assert library.rebuild_lexical_index() == 12
    assert bm25_ids(library, "graph speech") == expected


def test_filtered_search_returns_the_true_top_k_among_allowed_papers(library: Any) -> None:
    library.store.upsert_papers(make_papers(30), source="test")
    filters = SearchFilters(categories=("cs.CV",))
    found = bm25_ids(library, "graph images", filters=filters)
    index = library.lexical_index()
    scores = bm25_scores(index, ["graph", "imag"])
    allowed = set(library.store.keys_matching(filters).tolist())
    names = library.store.arxiv_ids_for_keys(index.keys.tolist())
    expected = sorted(
        (
            (float(score), names[int(key)])
            for key, score in zip(index.keys, scores, strict=True)
            if int(key) in allowed and score > 0
        ),
        key=lambda item: (-item[0], item[1]),
    )
    assert found == [arxiv_id for _, arxiv_id in expected]
    assert len(found) == 10  # every cs.CV paper mentions images


@pytest.mark.parametrize("query", ['"speech recognition"', "2502.00003 graph"])
def test_phrases_and_arxiv_ids_still_go_to_the_store(library: Any, query: str) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    found = bm25_ids(library, query)
    assert found == [arxiv_id for arxiv_id, _ in library.store.lexical_search(query, 50)]
    assert found
