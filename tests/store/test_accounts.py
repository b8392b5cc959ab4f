"""AccountRepository: users, one vote per (account, paper), collections, hidden papers,
log-in attempts, and several processes writing at once without duplicates or lost votes."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from likewise.store.accounts import AccountError, AccountRepository
from likewise.store.base import CatalogStore

PAPERS = [f"2503.{n:05d}" for n in range(30)]


def test_user_names_are_unique_case_insensitively(store: CatalogStore) -> None:
    accounts = AccountRepository(store.engine)
    user = accounts.create_user("Alice", "hash-1", "alice@example.org")
    assert accounts.get_user(user.id) == user
    with pytest.raises(AccountError, match="already taken"):
        accounts.create_user("alice", "hash-2")
    found = accounts.find_login("ALICE")
    assert found is not None and found[0].id == user.id and found[1] == "hash-1"


def test_one_vote_per_account_per_paper(store: CatalogStore) -> None:
    accounts = AccountRepository(store.engine)
    first = accounts.create_user("first", "h")
    second = accounts.create_user("second", "h")
    assert accounts.add_vote(first.id, "2503.00001") is True
    assert accounts.add_vote(first.id, "2503.00001") is False
    accounts.add_vote(second.id, "2503.00001")
    assert accounts.vote_counts(["2503.00001", "2503.00002"]) == {"2503.00001": 2}
    assert accounts.voted_by(first.id, ["2503.00001", "2503.00002"]) == {"2503.00001"}
    assert accounts.remove_vote(first.id, "2503.00001") is True
    assert accounts.vote_counts(["2503.00001"]) == {"2503.00001": 1}
    recent = accounts.votes_since(datetime.now(UTC) - timedelta(minutes=5))
    assert [arxiv_id for arxiv_id, _ in recent] == ["2503.00001"]


def test_collections_belong_to_their_owner(store: CatalogStore) -> None:
    accounts = AccountRepository(store.engine)
    owner = accounts.create_user("owner", "h")
    other = accounts.create_user("other", "h")
    reading = accounts.create_collection(owner.id, "Reading")
    with pytest.raises(AccountError, match="already have"):
        accounts.create_collection(owner.id, "Reading")
    accounts.create_collection(other.id, "Reading")  # the same name for someone else is fine
    accounts.add_to_collection(reading.id, "2503.00001")
    accounts.add_to_collection(reading.id, "2503.00001")
    accounts.add_to_collection(reading.id, "2503.00002")
    assert sorted(accounts.collection_items(reading.id)) == ["2503.00001", "2503.00002"]
    assert accounts.get_collection(other.id, reading.id) is None
    assert [c.size for c in accounts.collections_of(owner.id)] == [2]
    assert accounts.collections_holding(owner.id, "2503.00002") == {reading.id}
    accounts.delete_collection(reading.id)
    assert accounts.collections_of(owner.id) == []


def test_hidden_papers_are_per_account(store: CatalogStore) -> None:
    accounts = AccountRepository(store.engine)
    user = accounts.create_user("picky", "h")
    accounts.hide(user.id, "2503.00001")
    accounts.hide(user.id, "2503.00001")
    assert accounts.hidden_ids(user.id) == frozenset({"2503.00001"})
    accounts.unhide(user.id, "2503.00001")
    assert accounts.hidden_ids(user.id) == frozenset()


def test_failed_log_ins_count_only_since_the_last_success(store: CatalogStore) -> None:
    accounts = AccountRepository(store.engine)
    since = datetime.now(UTC) - timedelta(minutes=15)
    accounts.record_login_attempt(["user:a", "ip:1"], succeeded=False)
    accounts.record_login_attempt(["user:a", "ip:1"], succeeded=False)
    assert accounts.failed_attempts_since("user:a", since) == 2
    accounts.record_login_attempt(["user:a"], succeeded=True)
    assert accounts.failed_attempts_since("user:a", since) == 0
    assert accounts.failed_attempts_since("ip:1", since) == 2


def _vote_from_another_process(database_url: str, worker: int, shared_user: int) -> None:
    from likewise.store.factory import open_store

    store = open_store(database_url)
    try:
        accounts = AccountRepository(store.engine)
        own = accounts.create_user(f"worker{worker}", "h")
        for arxiv_id in PAPERS:
            accounts.add_vote(shared_user, arxiv_id)  # every process races on these rows
            accounts.add_vote(own.id, arxiv_id)
    finally:
        store.close()


def test_several_processes_voting_at_once_lose_nothing_and_duplicate_nothing(
    store: CatalogStore, database_url: str
) -> None:
    accounts = AccountRepository(store.engine)
    shared = accounts.create_user("shared", "h")
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_vote_from_another_process, args=(database_url, n, shared.id))
        for n in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    # Each paper: one vote of the shared account plus one from each of the four workers.
    assert accounts.vote_counts(PAPERS) == dict.fromkeys(PAPERS, 5)


def test_migration_0002_matches_the_account_tables(store: CatalogStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from likewise.store.account_tables import metadata

    ours = set(metadata.tables)

    def only_ours(name: str | None, kind: str, parent: object) -> bool:
        return kind != "table" or name in ours

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": only_ours})
        differences = compare_metadata(context, metadata)

    def table_of(difference: object) -> str | None:
        item = difference[0] if isinstance(difference, list) else difference
        for part in item[1:] if isinstance(item, tuple) else ():
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(getattr(part, "table", None), "name", None) or name
            if table in ours:
                return str(table)
        return None

    assert [d for d in differences if table_of(d) is not None] == []
