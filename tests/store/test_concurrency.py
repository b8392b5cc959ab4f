"""Several processes (as several `likewise serve` workers and a digest run would) write to one
catalog at once: votes, ingests of the same papers and outbox rows are neither lost nor
duplicated. Runs on the backend under test (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from typing import Any

from likewise.models import Paper, Version
from likewise.store.accounts import AccountRepository
from likewise.store.digests import DigestRepository, SuggestionRecord
from likewise.store.factory import open_store

PROCESSES = 4
PAPERS = [f"2503.{number:05d}" for number in range(1, 13)]
_SPAWN = multiprocessing.get_context("spawn")


def _run_together(target: Any, arguments: list[tuple[Any, ...]]) -> list[Any]:
    """Start one fresh process per argument tuple, released at the same moment; their
    results come back in order."""
    barrier = _SPAWN.Barrier(len(arguments))
    results = _SPAWN.Queue()
    processes = [
        _SPAWN.Process(target=_collect, args=(target, barrier, results, position, *items))
        for position, items in enumerate(arguments)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    failures = [outcome for _, outcome in collected if isinstance(outcome, str)]
    assert failures == []
    return [outcome for _, outcome in sorted(collected, key=lambda pair: pair[0])]


def _collect(target: Any, barrier: Any, results: Any, position: int, *arguments: Any) -> None:
    try:
        outcome = target(barrier, *arguments)
    except Exception as error:  # reported to the test, which fails with the message
        outcome = f"process {position}: {type(error).__name__}: {error}"
    results.put((position, outcome))


# -- votes --------------------------------------------------------------------------------------
def _vote(barrier: Any, url: str, user_ids: list[int]) -> int:
    store = open_store(url)
    accounts = AccountRepository(store.engine)
    barrier.wait()
    added = 0
    try:
        for arxiv_id in PAPERS:
            for user_id in user_ids:
                added += accounts.add_vote(user_id, arxiv_id)
    finally:
        store.close()
    return added


def test_concurrent_voters_lose_no_vote_and_duplicate_none(database_url: str) -> None:
    store = open_store(database_url)
    accounts = AccountRepository(store.engine)
    users = [accounts.create_user(f"reader{n}", "hash").id for n in range(6)]
    store.close()
    # Every process votes for every paper as every user: each (user, paper) is raced 4 times.
    added = _run_together(_vote, [(database_url, users)] * PROCESSES)

    store = open_store(database_url)
    counts = AccountRepository(store.engine).vote_counts(PAPERS)
    store.close()
    assert sum(added) == len(users) * len(PAPERS)
    assert counts == {arxiv_id: len(users) for arxiv_id in PAPERS}


# -- ingests ------------------------------------------------------------------------------------
def _version(arxiv_id: str, number: int) -> Version:
    return Version(arxiv_id, number, datetime(2025, 3, number, 12, tzinfo=UTC))


def _ingest(barrier: Any, url: str, number: int) -> int:
    """Ingest version `number` of every paper, one small batch at a time."""
    store = open_store(url)
    barrier.wait()
    try:
        for start in range(0, len(PAPERS), 3):
            batch = [
                Paper(
                    arxiv_id,
                    f"Title of {arxiv_id}, version {number}",
                    abstract=f"Abstract revised in version {number}.",
                    latest_version=number,
                    versions=[_version(arxiv_id, number)],
                    updated=datetime(2025, 3, number, 12, tzinfo=UTC),
                )
                for arxiv_id in PAPERS[start : start + 3]
            ]
            store.upsert_papers(batch, source=f"writer-{number}", checkpoint=str(start))
    finally:
        store.close()
    return number


def test_concurrent_ingests_of_the_same_papers_keep_every_version_and_the_newest_record(
    database_url: str,
) -> None:
    open_store(database_url).close()
    # Each process brings a different version of the same twelve papers, all at once.
    _run_together(_ingest, [(database_url, number) for number in range(1, PROCESSES + 1)])

    store = open_store(database_url)
    stored = store.get_papers(PAPERS)
    assert store.count_papers() == len(PAPERS)
    for arxiv_id in PAPERS:
        paper = stored[arxiv_id]
        assert paper.latest_version == PROCESSES
        assert paper.title == f"Title of {arxiv_id}, version {PROCESSES}"
        assert [version.number for version in paper.versions] == list(range(1, PROCESSES + 1))
    assert {store.get_checkpoint(f"writer-{n}") for n in range(1, PROCESSES + 1)} == {"9"}
    store.close()


# -- outbox -------------------------------------------------------------------------------------
def _digest_and_claim(barrier: Any, url: str, subscriber_ids: list[int]) -> list[int]:
    """Like a digest run: store each subscriber's digest for one window, then claim mail."""
    store = open_store(url)
    digests = DigestRepository(store.engine)
    barrier.wait()
    claimed: list[int] = []
    try:
        for subscriber_id in subscriber_ids:
            digests.store_digest(
                subscriber_id,
                date(2025, 3, 18),
                recipient=f"reader{subscriber_id}@example.org",
                subject="Your papers",
                message="body",
                message_id=f"<digest-{subscriber_id}@likewise>",
                picks=[
                    SuggestionRecord(arxiv_id, "similar to your interests", "t")
                    for arxiv_id in PAPERS[:2]
                ],
            )
            digests.enqueue(
                kind="notice",
                recipient=f"reader{subscriber_id}@example.org",
                subject="Notice",
                message="body",
                message_id=f"<notice-{subscriber_id}-{id(digests)}@likewise>",
            )
        later = datetime.now(UTC) + timedelta(minutes=1)
        for _ in range(3):
            claimed += [m.id for m in digests.claim_due(later, lease=timedelta(hours=1))]
    finally:
        store.close()
    return claimed


def test_concurrent_digest_runs_write_each_outbox_row_once_and_claim_it_once(
    database_url: str,
) -> None:
    store = open_store(database_url)
    digests = DigestRepository(store.engine)
    subscribers = [
        digests.add_subscriber(f"reader{n}@example.org", confirmed=True)[0].id for n in range(5)
    ]
    store.close()

    claimed = _run_together(_digest_and_claim, [(database_url, subscribers)] * PROCESSES)

    store = open_store(database_url)
    digests = DigestRepository(store.engine)
    rows = digests.outbox_messages()
    store.close()
    # One digest per subscriber for the window whoever raced for it, one notice per
    # subscriber per process, none lost; each row claimed by exactly one run.
    digest_rows = [row for row in rows if row.kind == "digest"]
    assert sorted(row.subscriber_id for row in digest_rows) == sorted(subscribers)
    assert len(rows) == len(subscribers) + PROCESSES * len(subscribers)
    every_claim = [outbox_id for batch in claimed for outbox_id in batch]
    assert sorted(every_claim) == sorted(row.id for row in rows)
    assert all(row.state == "sending" for row in rows)
