"""A user's library entries on SQLite and PostgreSQL: idempotent adds, vectors kept exactly,
removal scoped to the owner, and migration 0006 on an existing database."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from likewise.store.accounts import AccountRepository
from likewise.store.factory import open_store
from likewise.store.library_entries import EntryDraft, LibraryEntryRepository, entry_key
from likewise.store.migrate import _config


@pytest.fixture
def repository(store: Any) -> LibraryEntryRepository:
    return LibraryEntryRepository(store.engine)


@pytest.fixture
def two_users(store: Any) -> tuple[int, int]:
    accounts = AccountRepository(store.engine)
    return accounts.create_user("ada", "x").id, accounts.create_user("bo", "x").id


def _drafts() -> list[EntryDraft]:
    vector = np.linspace(-1, 1, 8, dtype=np.float32)
    return [
        EntryDraft("2503.11685", "CORDIC Is All You Need", "", None, "bibtex", "arxiv_id"),
        EntryDraft(
            None,
            "Deep Residual Learning",
            "Deeper nets.",
            "10.1109/CVPR.2016.90",
            "bibtex",
            vector=vector,
            model_id="fake-8",
        ),
        EntryDraft(
            None, "A Book", "About algorithms.", None, "ris", vector=vector, model_id="fake-8"
        ),
    ]


def test_adding_the_same_entries_twice_adds_nothing_the_second_time(
    repository: LibraryEntryRepository, two_users: tuple[int, int]
) -> None:
    ada, _ = two_users
    assert repository.add(ada, _drafts()) == [True, True, True]
    assert repository.add(ada, _drafts()) == [False, False, False]
    entries = repository.entries_of(ada)
    assert [entry.title for entry in entries] == [
        "CORDIC Is All You Need",
        "Deep Residual Learning",
        "A Book",
    ]
    assert entries[0].arxiv_id == "2503.11685" and entries[0].vector is None
    assert entries[0].matched_by == "arxiv_id" and entries[0].source == "bibtex"
    assert entries[1].doi == "10.1109/CVPR.2016.90" and entries[1].arxiv_id is None
    assert entries[0].added_at.tzinfo is not None


def test_a_kept_entry_gives_back_its_vector_exactly_as_float32(
    repository: LibraryEntryRepository, two_users: tuple[int, int]
) -> None:
    ada, _ = two_users
    repository.add(ada, _drafts())
    kept = repository.entries_of(ada)[1]
    assert kept.vector is not None and kept.vector.dtype == np.float32
    np.testing.assert_array_equal(kept.vector, np.linspace(-1, 1, 8, dtype=np.float32))
    assert kept.model_id == "fake-8"


def test_the_same_paper_by_doi_case_or_title_punctuation_is_one_entry() -> None:
    assert entry_key(None, "10.1109/CVPR.2016.90", "x") == entry_key(
        None, "https://doi.org/10.1109/cvpr.2016.90", "y"
    )
    assert entry_key(None, None, "Deep Residual Learning!") == entry_key(
        None, None, "deep residual  learning"
    )
    assert entry_key("2503.11685", "10.1/x", "t") == "arxiv:2503.11685"


def test_entries_belong_to_one_user_and_removal_is_scoped_to_the_owner(
    repository: LibraryEntryRepository, two_users: tuple[int, int]
) -> None:
    ada, bo = two_users
    repository.add(ada, _drafts())
    repository.add(bo, _drafts()[:1])
    assert repository.count_of(ada) == 3 and repository.count_of(bo) == 1
    adas_first = repository.entries_of(ada)[0].id
    assert repository.remove(bo, adas_first) is False
    assert repository.remove(ada, adas_first) is True
    assert repository.count_of(ada) == 2
    assert repository.remove_all(ada) == 2
    assert repository.entries_of(ada) == []
    assert len(repository.entries_of(bo)) == 1


def test_an_unknown_source_refuses_the_whole_add(
    repository: LibraryEntryRepository, two_users: tuple[int, int]
) -> None:
    ada, _ = two_users
    bad = EntryDraft(None, "Odd", "text", None, "endnote")
    with pytest.raises(ValueError, match="unknown entry source"):
        repository.add(ada, [*_drafts(), bad])
    assert repository.entries_of(ada) == []


def test_upgrading_from_0005_adds_an_empty_library_table_and_keeps_accounts(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        connection.execute(
            text(
                "INSERT INTO users (username, username_normalised, password_hash, created_at) "
                "VALUES ('ada', 'ada', 'x', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    store = open_store(database_url)
    try:
        assert "library_entries" in inspect(store.engine).get_table_names()
        repository = LibraryEntryRepository(store.engine)
        assert repository.entries_of(1) == []
        assert repository.add(1, _drafts()[:1]) == [True]
    finally:
        store.close()


def test_accounts_are_found_by_address_whatever_its_case(store: Any) -> None:
    accounts = AccountRepository(store.engine)
    ada = accounts.create_user("ada", "x", "Ada@Example.org")
    accounts.create_user("bo", "x", "bo@example.org")
    assert [user.id for user in accounts.users_with_email(" ada@example.ORG ")] == [ada.id]
    assert accounts.users_with_email("nobody@example.org") == []
