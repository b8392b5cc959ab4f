"""The personal feed over a real catalog (SQLite or PostgreSQL) with the fake embedder: what a
reader's votes, collections, library and "not interested" do to their "For you" list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from likewise.library import Library
from likewise.services.errors import SiteError
from likewise.services.recommend import ALL_SEEN, NO_PAPERS, NO_SIGNAL
from likewise.services.recommend_sources import SignalGatherer
from likewise.store.reader_signals import ReaderSignalRepository
from recommend_helpers import NEW_DAYS, FakeEntries, FakeEntry, build_catalog


def _user(library: Library, name: str, email: str | None = None) -> int:
    return library.accounts.repository.create_user(name, "not-a-real-hash", email).id


def test_a_reader_who_upvoted_retrieval_papers_gets_new_retrieval_papers_first(
    library: Library,
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    for arxiv_id in ids["old-retrieval"]:
        library.accounts.repository.add_vote(reader, arxiv_id)

    feed = library.recommend.for_user(reader, days=7, limit=5)

    assert feed.status == ""
    assert feed.start == NEW_DAYS[-1] - timedelta(days=6) and feed.end == NEW_DAYS[-1]
    top = [r.paper.arxiv_id for r in feed.recommendations[:3]]
    assert set(top) == set(ids["new-retrieval"])
    first = feed.recommendations[0]
    assert first.nearest_id in ids["old-retrieval"]
    assert first.reason.startswith("close to “Retrieval study")
    assert "(upvoted)" in first.reason
    assert all(r.paper.arxiv_id not in ids["old-retrieval"] for r in feed.recommendations)


def test_collection_items_count_and_the_why_line_names_the_collection(library: Library) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    saved = library.site.save_to_collection(reader, ids["old-speech"][0], new_name="Audio")

    feed = library.recommend.for_user(reader, days=3)

    assert feed.recommendations[0].paper.arxiv_id in ids["new-speech"]
    assert f"(saved in {saved.name})" in feed.recommendations[0].reason


def test_not_interested_takes_the_paper_out_at_once_and_pushes_its_like_down(
    library: Library,
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    library.accounts.repository.add_vote(reader, ids["old-graphs"][0])
    before = library.recommend.for_user(reader, days=3)
    hidden = before.recommendations[0].paper.arxiv_id
    assert hidden in ids["new-graphs"]

    library.site.set_not_interested(reader, hidden, True)
    after = library.recommend.for_user(reader, days=3)

    assert hidden not in [r.paper.arxiv_id for r in after.recommendations]
    assert after.hidden == 1
    # The hidden paper's neighbours lose against the same ranking without the negative.
    left = {r.paper.arxiv_id: r.score for r in after.recommendations}
    kept = {r.paper.arxiv_id: r.score for r in before.recommendations}
    other = next(a for a in ids["new-graphs"] if a != hidden)
    assert left[other] < kept[other]


def test_a_reader_with_no_signal_gets_the_empty_state_with_what_to_do(library: Library) -> None:
    build_catalog(library)
    reader = _user(library, "newcomer")

    feed = library.recommend.for_user(reader)

    assert feed.status == NO_SIGNAL and feed.recommendations == []
    assert "Upvote" in feed.message and "import your library" in feed.message


def test_an_empty_catalog_says_no_papers_rather_than_failing(library: Library) -> None:
    reader = _user(library, "early")
    library.store.upsert_papers([], source="test")
    library.recommend.gatherer = SignalGatherer(
        library.store,
        library.accounts.repository,
        ReaderSignalRepository(library.store.engine),
        FakeEntries({reader: [FakeEntry(1, None, "My own paper", "about speech audio")]}),
    )

    feed = library.recommend.for_user(reader)

    assert feed.status == NO_PAPERS
    assert "No papers were announced" in feed.message


def test_a_reader_who_saved_every_new_paper_is_told_so(library: Library) -> None:
    ids = build_catalog(library)
    reader = _user(library, "completist")
    for key, values in ids.items():
        if key.startswith("new-"):
            for arxiv_id in values:
                library.accounts.repository.add_vote(reader, arxiv_id)

    feed = library.recommend.for_user(reader, days=3)

    assert feed.status == ALL_SEEN and "already saved" in feed.message


def test_days_outside_one_to_ninety_are_refused_with_a_clear_message(library: Library) -> None:
    reader = _user(library, "reader")
    with pytest.raises(SiteError, match="between 1 and 90"):
        library.recommend.for_user(reader, days=0)


def test_the_window_holds_only_the_last_days_announcements(library: Library) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    library.accounts.repository.add_vote(reader, ids["old-vision"][0])

    feed = library.recommend.for_user(reader, days=1, limit=50)

    assert {r.day for r in feed.recommendations} == {NEW_DAYS[-1]}
    assert feed.candidates == 4


def test_imported_library_entries_count_by_catalog_match_and_by_their_own_text(
    library: Library,
) -> None:
    ids = build_catalog(library)
    matched, own = _user(library, "matched"), _user(library, "own")
    entries = FakeEntries(
        {
            matched: [FakeEntry(1, ids["old-vision"][0], "whatever the file says", None)],
            own: [
                FakeEntry(
                    2,
                    None,
                    "Phoneme transcription of acoustic audio",
                    "Speech recognition from acoustic audio with phoneme transcription.",
                    added_at=datetime.now(UTC),
                )
            ],
        }
    )
    library.recommend.gatherer = SignalGatherer(
        library.store,
        library.accounts.repository,
        ReaderSignalRepository(library.store.engine),
        entries,
    )

    by_match = library.recommend.for_user(matched, days=3)
    by_text = library.recommend.for_user(own, days=3)

    assert by_match.recommendations[0].paper.arxiv_id in ids["new-vision"]
    assert "(in your library)" in by_match.recommendations[0].reason
    assert by_text.recommendations[0].paper.arxiv_id in ids["new-speech"]
    assert by_text.recommendations[0].nearest_id is None
    assert "Phoneme transcription" in by_text.recommendations[0].reason


def test_a_collection_gets_papers_like_itself_not_like_the_rest_of_the_account(
    library: Library,
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    graphs = library.site.save_to_collection(reader, ids["old-graphs"][0], new_name="Molecules")
    for arxiv_id in ids["old-retrieval"]:
        library.accounts.repository.add_vote(reader, arxiv_id)

    feed = library.recommend.for_collection(reader, graphs.id, graphs.name, days=3, limit=3)

    assert {r.paper.arxiv_id for r in feed.recommendations} == set(ids["new-graphs"])
    assert "(in Molecules)" in feed.recommendations[0].reason


def test_subscribers_get_a_feed_only_through_an_account_that_verified_their_address(
    library: Library,
) -> None:
    ids = build_catalog(library)
    verified = _user(library, "verified", "v@example.org")
    unverified = _user(library, "unverified", "u@example.org")
    library.accounts.security.mark_email_verified(verified, "v@example.org")
    for user_id in (verified, unverified):
        library.accounts.repository.add_vote(user_id, ids["old-speech"][0])
    skip = ids["new-speech"][0]

    feeds = library.recommend.for_subscribers(
        [(10, "V@example.org"), (11, "u@example.org"), (12, "nobody@example.org")],
        NEW_DAYS[0],
        NEW_DAYS[-1],
        {10: {skip}},
        3,
    )

    assert set(feeds) == {10}
    shown = [r.paper.arxiv_id for r in feeds[10].recommendations]
    assert skip not in shown and shown[0] in ids["new-speech"]


def test_find_by_email_prefers_the_account_that_verified_the_address(library: Library) -> None:
    first = _user(library, "first", "Same@Example.org")
    second = _user(library, "second", "same@example.org")
    repository = library.accounts.repository
    assert repository.find_by_email("same@example.org").id == first  # type: ignore[union-attr]
    library.accounts.security.mark_email_verified(second, "same@example.org")
    assert repository.find_by_email(" SAME@example.org ").id == second  # type: ignore[union-attr]
    assert repository.find_by_email("other@example.org") is None
