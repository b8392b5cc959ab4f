"""Library's in-process BM25 index: follows the catalog (new, changed, deleted papers), is
shared by processes on one home, is rebuilt when its files are damaged, and serves search
without writing anything (the store answers until an index is published)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from likewise.embed.fake import FakeEmbedder
from likewise.index import inverted_files
from likewise.index.inverted_files import lexical_folder, read_stamp, stamp_path
from likewise.ingest.base import Batch, IngestError
from likewise.library import Library
from likewise.models import Paper, SearchFilters
from likewise.rank.bm25 import bm25_scores
from likewise.services import lexical as library_lexical
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
    result = library.search.search(query, fusion="bm25", apply_cutoff=False, limit=50, **options)
    return [hit.arxiv_id for hit in result.hits]


class ListSource:
    """Papers handed to CatalogService.ingest in one batch; optionally fails after it."""

    def __init__(self, papers: list[Paper], *, fail_after: bool = False) -> None:
        self.name = "test-list"
        self.papers = papers
        self.fail_after = fail_after

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        yield Batch(papers=self.papers)
        if self.fail_after:
            raise IngestError("the source broke off")


def lexical_files(home: Path) -> dict[str, tuple[int, int]]:
    """Every file of the published index with its modification time and size."""
    found = {}
    for path in [stamp_path(home), *lexical_folder(home).rglob("*")]:
        if path.is_file():
            status = path.stat()
            found[str(path)] = (status.st_mtime_ns, status.st_size)
    return found


def another_process(settings: Settings, database_url: str) -> Library:
    """A Library with its own connection and caches, as a second worker would have."""
    return Library(settings, open_store(database_url), FakeEmbedder())


def test_ingest_publishes_the_index_and_search_adds_papers_stored_since(library: Any) -> None:
    library.catalog.ingest(ListSource(make_papers(12)))
    assert read_stamp(library.settings.home) is not None
    assert len(bm25_ids(library, "graph")) == 6
    library.store.upsert_papers(make_papers(2, start=12), source="test")
    # No update: the search adds keys above the newest indexed one, in memory.
    assert "2502.00012" in bm25_ids(library, "graph molecules")
    assert len(library.lexical.lexical_index()) == 14


def test_a_search_writes_nothing_while_it_adds_another_process_s_paper(
    library: Any, database_url: str
) -> None:
    library.catalog.ingest(ListSource(make_papers(12)))
    other = another_process(library.settings, database_url)
    try:
        assert "2502.00012" not in bm25_ids(other, "graph molecules")
        other.catalog.ingest(ListSource(make_papers(1, start=12)))
        library.store.upsert_papers(make_papers(1, start=13), source="test")  # no update
        before = lexical_files(library.settings.home)
        found = bm25_ids(library, "graph molecules")
        assert "2502.00012" in found
        assert lexical_files(library.settings.home) == before
    finally:
        other.close()


def test_without_a_published_index_the_store_answers_and_nothing_is_written(
    library: Any,
) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    found = bm25_ids(library, "graph speech")
    assert found == [arxiv_id for arxiv_id, _ in library.store.lexical_search("graph speech", 50)]
    assert found
    assert library.lexical.lexical_index() is None
    home = library.settings.home
    assert not stamp_path(home).exists()
    assert not lexical_folder(home).exists()
    assert not (home / "lexical.lock").exists()


def test_the_store_and_the_published_index_find_the_same_papers(library: Any) -> None:
    library.store.upsert_papers(make_papers(30), source="test")
    from_store = bm25_ids(library, "graph images")
    library.lexical.update_lexical_index()
    assert library.lexical.lexical_index() is not None
    from_index = bm25_ids(library, "graph images")
    assert set(from_index) == set(from_store)
    if library.store.dialect == "sqlite":  # FTS5 scores exactly as the index does
        assert from_index == from_store


def test_changed_and_deleted_papers_are_reindexed_by_an_update(library: Any) -> None:
    library.store.upsert_papers(make_papers(12), source="test")
    assert library.lexical.update_lexical_index() == 12
    changed = make_papers(1, start=1, version=2)[0]
    changed.abstract = "A rewritten abstract about protein folding."
    library.store.upsert_papers([changed], source="test")
    with library.store.engine.begin() as connection:
        connection.execute(delete(schema.papers).where(schema.papers.c.arxiv_id == "2502.00002"))
    assert library.lexical.update_lexical_index() == 2
    assert bm25_ids(library, "protein folding") == ["2502.00001"]
    assert "2502.00002" not in bm25_ids(library, "image segmentation")
    assert library.lexical.update_lexical_index() == 0


def test_a_paper_changed_by_an_ingest_is_found_by_its_new_words_from_another_library(
    library: Any, database_url: str
) -> None:
    library.catalog.ingest(ListSource(make_papers(12)))
    other = another_process(library.settings, database_url)
    try:
        before = bm25_ids(other, "protein diffusion")
        assert other.lexical.lexical_index() is not None
        changed = make_papers(1, start=4, version=2)[0]
        changed.abstract = "Protein design with diffusion."
        library.catalog.ingest(ListSource([changed]))
        assert "2502.00004" not in before
        assert bm25_ids(other, "protein diffusion") == ["2502.00004"]
    finally:
        other.close()


def test_papers_committed_before_an_ingest_fails_are_indexed(library: Any) -> None:
    changed = make_papers(1, start=3, version=2)[0]
    changed.abstract = "Quantum annealing schedules."
    library.catalog.ingest(ListSource(make_papers(12)))
    summary = library.catalog.ingest(ListSource([changed], fail_after=True))
    assert summary.error
    index = library.lexical.lexical_index()
    assert index is not None and index.published_main is not None
    assert bm25_ids(library, "quantum annealing") == ["2502.00003"]


def test_a_read_only_home_answers_searches_without_reloading_each_time(
    library: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = library.settings.home
    library.catalog.ingest(ListSource(make_papers(12)))
    changed = make_papers(1, start=5, version=2)[0]
    changed.abstract = "Coral reef acoustics."
    library.store.upsert_papers([changed], source="test")  # waits for an update
    loads = []
    real_load = inverted_files.load_index

    def counted_load(where: Path) -> Any:
        loads.append(where)
        return real_load(where)

    def refused(*arguments: Any, **options: Any) -> None:  # where permissions bind
        raise PermissionError("read-only home")

    monkeypatch.setattr(library_lexical, "load_index", counted_load)
    monkeypatch.setattr(library_lexical, "save_index", refused)
    paths = [home, home / "lexical.lock", lexical_folder(home), *lexical_folder(home).iterdir()]
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    other = another_process(library.settings, database_url)
    try:
        assert other.lexical.update_lexical_index() == 1  # cannot be saved: kept in memory
        for _ in range(3):
            assert bm25_ids(other, "coral reef") == ["2502.00005"]
        assert len(bm25_ids(other, "graph")) == 6
        assert len(loads) == 1
        fresh = another_process(library.settings, database_url)
        try:
            for _ in range(3):
                assert len(bm25_ids(fresh, "graph speech")) == 10
            assert len(loads) == 2
        finally:
            fresh.close()
    finally:
        other.close()
        for path, mode in modes.items():
            path.chmod(mode)


def test_a_damaged_index_file_is_answered_by_the_store_and_rebuilt_by_an_update(
    library: Any, database_url: str
) -> None:
    library.catalog.ingest(ListSource(make_papers(12)))
    expected = bm25_ids(library, "graph speech")
    stamp = read_stamp(library.settings.home)
    assert stamp is not None
    damaged = lexical_folder(library.settings.home) / str(stamp["main"]) / "frequencies.npy"
    damaged.write_bytes(b"not an array")
    other = another_process(library.settings, database_url)
    try:
        from_store = [arxiv_id for arxiv_id, _ in other.store.lexical_search("graph speech", 50)]
        assert bm25_ids(other, "graph speech") == from_store
        assert other.lexical.lexical_index() is None
        assert other.lexical.update_lexical_index() == 12
        rebuilt = other.lexical.lexical_index()
        assert rebuilt is not None and len(rebuilt) == 12
        assert bm25_ids(other, "graph speech") == expected
    finally:
        other.close()
    stamp_path(library.settings.home).write_text("{broken", encoding="utf-8")
    assert library.lexical.rebuild_lexical_index() == 12
    assert bm25_ids(library, "graph speech") == expected


def test_cleanup_removes_folders_a_crashed_writer_left_long_ago(library: Any) -> None:
    library.catalog.ingest(ListSource(make_papers(6)))
    folder = lexical_folder(library.settings.home)
    abandoned, just_killed = folder / ".writing-abandoned", folder / ".writing-just-killed"
    abandoned.mkdir()
    just_killed.mkdir()
    long_ago = time.time() - 2 * inverted_files.ABANDONED_SECONDS
    os.utime(abandoned, (long_ago, long_ago))
    # The publish holds the exclusive file lock, so no other writer can be filling a
    # half-written folder, however new: both belong to writers that died.
    library.lexical.rebuild_lexical_index()
    assert not abandoned.exists()
    assert not just_killed.exists()


def test_a_writer_without_the_lock_keeps_a_fresh_half_written_folder(library: Any) -> None:
    library.catalog.ingest(ListSource(make_papers(6)))
    home = library.settings.home
    folder = lexical_folder(home)
    in_progress = folder / ".writing-in-progress"
    in_progress.mkdir()
    inverted_files.save_index(
        home, library.lexical.lexical_index(), inverted_files.read_stamp(home)
    )
    assert in_progress.exists()


def test_filtered_search_returns_the_true_top_k_among_allowed_papers(library: Any) -> None:
    library.catalog.ingest(ListSource(make_papers(30)))
    filters = SearchFilters(categories=("cs.CV",))
    found = bm25_ids(library, "graph images", filters=filters)
    index = library.lexical.lexical_index()
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
