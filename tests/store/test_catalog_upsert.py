"""Upsert semantics of the catalog store, on the backend under test."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from catalog_helpers import make_paper, version

from likewise.models import Announcement, AnnouncementKind, SearchFilters, Version
from likewise.store.base import StoreError, UpsertCounts
from likewise.store.upsert import BatchWriter


def test_reingesting_identical_papers_changes_nothing(store: Any) -> None:
    papers = [make_paper("2503.00001"), make_paper("2503.00002", doi="10.1/X")]
    first = store.upsert_papers(papers, source="file")
    stored = store.get_papers(["2503.00001", "2503.00002"])

    second = store.upsert_papers(papers, source="file")

    assert first == UpsertCounts(inserted=2)
    assert second == UpsertCounts(unchanged=2)
    assert store.get_papers(["2503.00001", "2503.00002"]) == stored
    assert store.count_papers() == 2


def test_a_paper_round_trips_with_every_field(store: Any) -> None:
    paper = make_paper(
        "2503.00003",
        authors=["José García", "Ann Lee"],
        categories=["cs.CL", "cs.AI"],
        updated=datetime(2025, 3, 20, 8, 0, tzinfo=UTC),
        record_modified=date(2025, 3, 21),
        latest_version=2,
        versions=[version("2503.00003", 1, 14), version("2503.00003", 2, 20)],
        comment="12 pages",
        journal_ref="J. Tests 1 (2025)",
        doi="10.1234/ABC",
        license="http://creativecommons.org/licenses/by/4.0/",
    )
    store.upsert_papers([paper], source="oai")

    loaded = store.get_paper("2503.00003")

    assert loaded == make_paper(
        "2503.00003",
        authors=["José García", "Ann Lee"],
        categories=["cs.CL", "cs.AI"],
        updated=datetime(2025, 3, 20, 8, 0, tzinfo=UTC),
        record_modified=date(2025, 3, 21),
        latest_version=2,
        versions=[version("2503.00003", 1, 14), version("2503.00003", 2, 20)],
        comment="12 pages",
        journal_ref="J. Tests 1 (2025)",
        doi="10.1234/ABC",
        license="http://creativecommons.org/licenses/by/4.0/",
        source="oai",
    )


def test_a_newer_version_updates_the_record_and_keeps_the_history(store: Any) -> None:
    first = make_paper("2503.00004", versions=[version("2503.00004", 1, 14)])
    second = make_paper(
        "2503.00004",
        title="Revised title",
        latest_version=2,
        versions=[version("2503.00004", 2, 25)],
        updated=datetime(2025, 3, 25, 12, 0, tzinfo=UTC),
    )
    store.upsert_papers([first], source="api")

    counts = store.upsert_papers([second], source="api")
    stale = store.upsert_papers([first], source="api")

    loaded = store.get_paper("2503.00004")
    assert counts == UpsertCounts(updated=1)
    assert stale == UpsertCounts(unchanged=1)  # an older version never wins
    assert loaded.title == "Revised title"
    assert loaded.latest_version == 2
    assert [item.number for item in loaded.versions] == [1, 2]
    assert loaded.versions[0] == version("2503.00004", 1, 14)


def test_a_newer_record_modified_date_updates_the_same_version(store: Any) -> None:
    store.upsert_papers(
        [make_paper("2503.00005", journal_ref="old", record_modified=date(2025, 3, 1))],
        source="oai",
    )
    newer = make_paper("2503.00005", journal_ref="new", record_modified=date(2025, 4, 1))
    older = make_paper("2503.00005", journal_ref="older", record_modified=date(2025, 2, 1))

    assert store.upsert_papers([newer], source="oai") == UpsertCounts(updated=1)
    assert store.upsert_papers([older], source="oai") == UpsertCounts(unchanged=1)
    assert store.get_paper("2503.00005").journal_ref == "new"


def test_missing_fields_in_a_newer_record_do_not_erase_stored_ones(store: Any) -> None:
    store.upsert_papers(
        [make_paper("2503.00006", doi="10.5/abc", comment="5 figures", abstract="Long text.")],
        source="oai",
    )
    sparse = make_paper("2503.00006", latest_version=2, doi=None, comment=None, abstract="")

    store.upsert_papers([sparse], source="api")

    loaded = store.get_paper("2503.00006")
    assert (loaded.doi, loaded.comment, loaded.abstract) == ("10.5/abc", "5 figures", "Long text.")
    assert loaded.latest_version == 2


def test_announced_keeps_the_earliest_day(store: Any) -> None:
    store.upsert_papers([make_paper("2503.00007", announced=date(2025, 3, 19))], source="rss")
    store.upsert_papers([make_paper("2503.00007", announced=date(2025, 3, 18))], source="rss")
    store.upsert_papers([make_paper("2503.00007", announced=date(2025, 3, 24))], source="rss")

    assert store.get_paper("2503.00007").announced == date(2025, 3, 18)


def test_old_style_ids_of_different_archives_are_different_papers(store: Any) -> None:
    store.upsert_papers(
        [
            make_paper("hep-th/9901001", title="Strings"),
            make_paper("math/9901001", title="Sheaves"),
        ],
        source="oai",
    )

    assert store.count_papers() == 2
    assert store.get_paper("hep-th/9901001").title == "Strings"
    assert store.get_paper("math/9901001").title == "Sheaves"
    assert store.get_paper("9901001") is None


def test_repeats_of_one_id_within_a_batch_become_one_record(store: Any) -> None:
    counts = store.upsert_papers(
        [make_paper("2503.00008", comment="first"), make_paper("2503.00008", latest_version=2)],
        source="file",
    )

    assert counts == UpsertCounts(inserted=1)
    loaded = store.get_paper("2503.00008")
    assert (loaded.latest_version, loaded.comment) == (2, "first")


def test_a_failed_batch_leaves_earlier_batches_and_the_checkpoint_intact(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_papers([make_paper("2503.00009")], source="oai", checkpoint="token-1")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # Fails after the batch's papers, authors and versions are written: all must roll back.
    monkeypatch.setattr(BatchWriter, "_write_announcements", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.upsert_papers(
            [make_paper("2503.00010"), make_paper("2503.00009", title="Changed", latest_version=3)],
            source="oai",
            checkpoint="token-2",
        )
    monkeypatch.undo()

    assert store.count_papers() == 1
    assert store.get_paper("2503.00010") is None
    assert store.get_paper("2503.00009").title == make_paper("2503.00009").title
    assert store.get_checkpoint("oai") == "token-1"


def test_the_checkpoint_moves_with_its_batch(store: Any) -> None:
    assert store.get_checkpoint("oai") is None
    store.upsert_papers([make_paper("2503.00011")], source="oai", checkpoint="2025-03-18")
    store.upsert_papers([], source="oai", checkpoint="2025-03-19")
    store.upsert_papers([make_paper("2503.00012")], source="other")

    assert store.get_checkpoint("oai") == "2025-03-19"
    assert store.get_checkpoint("other") is None


def test_announcements_are_recorded_once_per_paper_and_day(store: Any) -> None:
    day = date(2025, 3, 18)
    announcements = [
        Announcement("2503.00013", day, AnnouncementKind.NEW),
        Announcement("2503.00014", day, AnnouncementKind.CROSS_LIST),
        Announcement("2401.00001", day, AnnouncementKind.REPLACEMENT),
    ]
    papers = [make_paper("2503.00013", announced=None), make_paper("2503.00014", announced=None)]
    store.upsert_papers(papers, source="rss", announcements=announcements)
    store.upsert_papers(papers, source="rss", announcements=announcements)

    assert store.announced_on(day) == announcements
    assert store.get_paper("2503.00014").announced == day  # a cross-list is its first listing
    assert store.announcement_days() == [day]


def test_a_papers_announced_day_counts_as_an_announcement(store: Any) -> None:
    store.upsert_papers([make_paper("2503.00015", announced=date(2025, 3, 20))], source="file")

    assert store.announced_on(date(2025, 3, 20)) == [
        Announcement("2503.00015", date(2025, 3, 20), AnnouncementKind.NEW)
    ]


def test_concurrent_writers_on_separate_connections_lose_nothing(database_url: str) -> None:
    from likewise.store.factory import open_store

    stores = [open_store(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for batch in range(4):
                # Every writer also re-sends one shared paper, so their batches overlap.
                papers = [make_paper(f"2504.{writer}{batch}{n:03d}") for n in range(20)]
                papers.append(make_paper("2504.99999", comment=None))
                stores[writer].upsert_papers(papers, source=f"writer-{writer}")
                stores[writer].lexical_search("study", limit=3)
        except BaseException as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert stores[0].count_papers() == 3 * 4 * 20 + 1
    assert len(stores[0].keys_matching(SearchFilters(authors=("ada lovelace",)))) == 241
    for opened in stores:
        opened.close()


def test_a_days_listing_says_what_kind_an_announcement_was(store: Any) -> None:
    day = date(2025, 3, 18)
    store.upsert_papers([make_paper("2503.00016", announced=day)], source="file")
    listing = [Announcement("2503.00016", day, AnnouncementKind.CROSS_LIST)]

    store.upsert_papers([], source="rss", announcements=listing)
    store.upsert_papers([make_paper("2503.00016", announced=day)], source="file")

    assert store.announced_on(day) == listing


def test_a_paper_without_id_or_text_title_is_refused_with_its_name(store: Any) -> None:
    store.upsert_papers([make_paper("2503.00017")], source="file")

    with pytest.raises(StoreError, match="has no id"):
        store.upsert_papers([make_paper("  ")], source="file")
    with pytest.raises(StoreError, match=r"paper 2503\.00018 from file"):
        store.upsert_papers([make_paper("2503.00018", title=None)], source="file")
    assert store.count_papers() == 1


def test_nul_bytes_from_any_source_are_dropped_alike_on_every_backend(store: Any) -> None:
    paper = make_paper(
        "2503.00031",
        title="Nul\x00 title",
        authors=["A.\x00 One"],
        comment="c\x00",
        versions=[version("2503.00031", 1, 14)],
    )
    paper.versions = [Version("2503.00031", 1, paper.versions[0].submitted, "1\x00kb")]

    assert store.upsert_papers([paper], source="bibtex") == UpsertCounts(inserted=1)

    loaded = store.get_paper("2503.00031")
    assert (loaded.title, loaded.authors, loaded.comment) == ("Nul title", ["A. One"], "c")
    assert loaded.versions[0].size == "1kb"
    assert paper.title == "Nul\x00 title"  # the caller's paper is left as it was
