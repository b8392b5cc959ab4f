"""`likewise migrate-store`: a SQLite catalog copied table by table into the database under
test (PostgreSQL in that pass, another SQLite file otherwise), verified, or left untouched."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from likewise.cli.main import main
from likewise.models import Announcement, AnnouncementKind, Paper, SearchFilters, Version
from likewise.store import copy as store_copy
from likewise.store.accounts import AccountRepository
from likewise.store.base import CatalogStore
from likewise.store.copy import CopyError, copy_catalog
from likewise.store.digests import DigestRepository, Interest, SuggestionRecord
from likewise.store.factory import normalise_url, open_store

ON_POSTGRES = os.environ.get("LIKEWISE_TEST_BACKEND", "sqlite") == "postgres"
IDS = [f"2503.{number:05d}" for number in range(1, 9)]
MODEL = "fake-model"


def vector_of(number: int) -> Any:
    vector = np.random.default_rng(number).standard_normal(8).astype(np.float32)
    return vector / np.linalg.norm(vector)


def fill(store: CatalogStore) -> None:
    """Something in every kind of table: catalog, vectors, accounts and digests."""
    papers = [
        Paper(
            arxiv_id,
            f"Paper {arxiv_id} on graph learning",
            abstract="We study graphs, and 'quotes', and ünïcödé.",
            authors=["Ada Lovelace", "Émile Borel"],
            categories=["cs.LG", "stat.ML"],
            submitted=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
            updated=datetime(2025, 3, 20, 10, 0, tzinfo=UTC),
            announced=date(2025, 3, 18),
            latest_version=2,
            versions=[
                Version(arxiv_id, 1, datetime(2025, 3, 14, 9, 30, tzinfo=UTC), "10kb"),
                Version(arxiv_id, 2, datetime(2025, 3, 20, 10, 0, tzinfo=UTC), "12kb"),
            ],
            doi=f"10.1000/{arxiv_id}",
        )
        for arxiv_id in IDS
    ]
    store.upsert_papers(
        papers,
        source="jsonl",
        announcements=[Announcement(IDS[0], date(2025, 3, 18), AnnouncementKind.NEW)],
        checkpoint="line 8",
    )
    store.record_sync("jsonl", finished=datetime(2025, 3, 21, tzinfo=UTC), stored=8, rejected=1)
    store.put_vectors(MODEL, [(arxiv_id, "hash", vector_of(n)) for n, arxiv_id in enumerate(IDS)])
    accounts = AccountRepository(store.engine)
    user = accounts.create_user("ada", "argon2-hash", "ada@example.org")
    for arxiv_id in IDS[:3]:
        accounts.add_vote(user.id, arxiv_id)
    accounts.hide(user.id, IDS[7])
    collection = accounts.create_collection(user.id, "to read")
    accounts.add_to_collection(collection.id, IDS[4])
    accounts.record_login_attempt(["ada"], succeeded=True)
    digests = DigestRepository(store.engine)
    subscriber, _ = digests.add_subscriber("ada@example.org", confirmed=True, user_id=user.id)
    digests.replace_interests(subscriber.id, [Interest("query", "graph learning")])
    interest = digests.get_subscriber(subscriber.id).interests[0]  # type: ignore[union-attr]
    digests.store_interest_vector(interest.id, MODEL, vector_of(99).tobytes(), (1.5, -0.25))
    digests.store_digest(
        subscriber.id,
        date(2025, 3, 18),
        recipient="ada@example.org",
        subject="Your papers",
        message="body",
        message_id="<d1@likewise>",
        picks=[SuggestionRecord(IDS[5], "close to graph learning", "graphs")],
    )


def comparable(status: Any) -> Any:
    """The status with every sync time in naive UTC (SQLite hands back naive ones)."""
    for source in status.sources:
        if source.last_sync is not None and source.last_sync.tzinfo is not None:
            source.last_sync = source.last_sync.astimezone(UTC).replace(tzinfo=None)
    return status


@pytest.fixture
def source_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source' / 'likewise.db'}"
    store = open_store(url)
    fill(store)
    store.close()
    return url


def row_counts(url: str, tables: list[str]) -> dict[str, int]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        counts = {
            name: int(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in tables
        }
    engine.dispose()
    return counts


def test_every_table_is_copied_verified_and_reads_back_the_same(
    source_url: str, database_url: str
) -> None:
    report = copy_catalog(source_url, database_url)

    copied = {table.name: table.rows for table in report.tables}
    for name in ("papers", "versions", "announcements", "sync_state", "vectors", "users",
                 "votes", "collections", "collection_items", "not_interested", "subscribers",
                 "interests", "suggested", "outbox"):  # fmt: skip
        assert copied.get(name, 0) > 0, name
    assert copied == row_counts(source_url, list(copied))
    assert copied == row_counts(database_url, list(copied))
    source, target = open_store(source_url), open_store(database_url)
    try:
        assert target.get_papers(IDS) == source.get_papers(IDS)
        assert comparable(target.status()) == comparable(source.status())
        assert target.get_checkpoint("jsonl") == "line 8"
        source_keys, source_vectors = source.load_vectors(MODEL)
        target_keys, target_vectors = target.load_vectors(MODEL)
        np.testing.assert_array_equal(target_keys, source_keys)
        np.testing.assert_array_equal(target_vectors, source_vectors)
        assert AccountRepository(target.engine).vote_counts(IDS) == AccountRepository(
            source.engine
        ).vote_counts(IDS)
        target_digests = DigestRepository(target.engine)
        [subscriber] = target_digests.list_subscribers()
        assert subscriber.interests[0].calibration == (1.5, -0.25)
        assert [m.message_id for m in target_digests.outbox_messages()] == ["<d1@likewise>"]
        assert {hit for hit, _ in target.lexical_search("graph learning", 20)} == set(IDS)
        assert len(target.keys_matching(SearchFilters(authors=("Émile Borel",)))) == len(IDS)
    finally:
        source.close()
        target.close()


def test_new_rows_after_the_copy_get_fresh_ids(source_url: str, database_url: str) -> None:
    copy_catalog(source_url, database_url)
    target = open_store(database_url)
    try:
        target.upsert_papers([Paper("2504.00001", "Arrived after the move")], source="jsonl")
        keys = target.paper_keys([*IDS, "2504.00001"])
        user = AccountRepository(target.engine).create_user("grace", "hash")
    finally:
        target.close()
    assert keys["2504.00001"] > max(keys[arxiv_id] for arxiv_id in IDS)
    assert user.id == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="pgvector exists in the PostgreSQL pass only")
def test_the_copy_builds_the_pgvector_index_from_the_copied_vectors(
    source_url: str, database_url: str
) -> None:
    from likewise.index.pgvector_index import PgvectorIndex

    report = copy_catalog(source_url, database_url)

    assert report.vector_models == {MODEL: len(IDS)}
    target = open_store(database_url)
    try:
        index = PgvectorIndex(target.engine, MODEL, 8)
        assert index.has_graph()
        [key] = target.paper_keys([IDS[3]]).values()
        assert index.search(vector_of(3), 1)[0].tolist() == [key]
    finally:
        target.close()


def test_a_target_that_already_holds_papers_is_refused_and_left_as_it_was(
    source_url: str, database_url: str
) -> None:
    target = open_store(database_url)
    target.upsert_papers([Paper("2401.00001", "Already here")], source="other")
    target.close()

    with pytest.raises(CopyError, match="already holds 1 rows in papers"):
        copy_catalog(source_url, database_url)

    assert row_counts(database_url, ["papers", "users"]) == {"papers": 1, "users": 0}


def test_a_failure_midway_leaves_no_copied_rows_in_the_target(
    source_url: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copy = store_copy._copy_table

    def failing_copy(reading: Any, writing: Any, source: Any, target: Any, *rest: Any) -> Any:
        if target.name == "outbox":
            raise CopyError("simulated failure while copying outbox")
        return real_copy(reading, writing, source, target, *rest)

    monkeypatch.setattr(store_copy, "_copy_table", failing_copy)

    with pytest.raises(CopyError, match="simulated failure"):
        copy_catalog(source_url, database_url)

    assert row_counts(database_url, ["papers", "votes", "vectors"]) == {
        "papers": 0,
        "votes": 0,
        "vectors": 0,
    }


def test_a_row_changed_on_the_way_fails_the_checksum(source_url: str, database_url: str) -> None:
    open_store(database_url).close()
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as connection:
        # Something between the two databases alters a row as it is written.
        if ON_POSTGRES:
            connection.execute(
                text(
                    "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN NEW.checkpoint := 'tampered'; RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER tamper BEFORE INSERT ON sync_state "
                    "FOR EACH ROW EXECUTE FUNCTION tamper()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER tamper AFTER INSERT ON sync_state BEGIN "
                    "UPDATE sync_state SET checkpoint = 'tampered' WHERE source = new.source; END"
                )
            )
    engine.dispose()

    with pytest.raises(CopyError, match="sync_state: checksum differs"):
        copy_catalog(source_url, database_url)

    assert row_counts(database_url, ["papers", "sync_state"]) == {"papers": 0, "sync_state": 0}


def test_a_missing_source_catalog_is_a_clear_error(tmp_path: Path, database_url: str) -> None:
    with pytest.raises(CopyError, match="does not exist"):
        copy_catalog(f"sqlite:///{tmp_path / 'nowhere.db'}", database_url)


@pytest.mark.skipif(not ON_POSTGRES, reason="the command copies to PostgreSQL only")
def test_the_command_copies_and_prints_each_verified_table(
    source_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["migrate-store", "--from", source_url, "--to", database_url])

    output = capsys.readouterr().out
    assert code == 0
    assert "every table verified" in output
    assert "papers" in output and "votes" in output and "outbox" in output


def test_the_command_refuses_a_target_that_is_not_postgresql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["migrate-store", "--to", f"sqlite:///{tmp_path / 'other.db'}"])

    assert stopped.value.code == 2
    assert "--to must be a postgresql:// URL" in capsys.readouterr().err


def test_nul_bytes_in_an_older_catalog_are_dropped_on_the_way_as_ingest_drops_them(
    source_url: str, database_url: str
) -> None:
    engine = create_engine(normalise_url(source_url))
    with engine.begin() as connection:  # written by a version that stored NUL as it came
        connection.execute(
            text("UPDATE papers SET title = :title, comment = :comment WHERE arxiv_id = :id"),
            {"title": "Nul\x00 title", "comment": "c\x00", "id": IDS[0]},
        )
    engine.dispose()

    copy_catalog(source_url, database_url)

    target = open_store(database_url)
    paper = target.get_paper(IDS[0])
    target.close()
    assert paper is not None and (paper.title, paper.comment) == ("Nul title", "c")


def test_a_failed_copy_says_which_table_and_why_in_one_short_line(
    source_url: str, database_url: str
) -> None:
    open_store(database_url).close()
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as connection:  # the target refuses every paper row
        if ON_POSTGRES:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'no papers today'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON papers "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON papers "
                    "BEGIN SELECT RAISE(ABORT, 'no papers today'); END"
                )
            )
    engine.dispose()

    with pytest.raises(CopyError) as failed:
        copy_catalog(source_url, database_url)

    message = str(failed.value)
    assert "papers" in message and "no papers today" in message
    assert "graph learning" not in message  # no dump of the rows it tried to write
    assert len(message) < 400 and "\n" not in message
    assert row_counts(database_url, ["papers", "users"]) == {"papers": 0, "users": 0}
