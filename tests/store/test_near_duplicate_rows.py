"""The near-duplicate tables on both backends: migrated as defined, bands capped, groups read
back across more than one pair, rows replaced when a paper is checked again."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from catalog_helpers import make_paper
from sqlalchemy import MetaData

from likewise.store import schema
from likewise.store.near_duplicate_tables import metadata
from likewise.store.near_duplicates import MAX_BAND_MEMBERS, Checked, NearDuplicateRepository


@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")
def test_the_migrated_tables_match_their_definitions(store: Any) -> None:
    def ours(item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in metadata.tables

    combined = MetaData()  # with the catalog's tables, so that the foreign keys resolve
    for table in [*schema.metadata.tables.values(), *metadata.tables.values()]:
        table.to_metadata(combined)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": ours, "compare_type": True}
        )
        assert compare_metadata(context, combined) == []


def _stored(store: Any, count: int) -> dict[str, int]:
    papers = [make_paper(f"2501.{n:05d}") for n in range(count)]
    store.upsert_papers(papers, source="test")
    return store.paper_keys([p.arxiv_id for p in papers])


def test_groups_follow_pairs_and_a_recheck_replaces_a_papers_rows(store: Any) -> None:
    rows = NearDuplicateRepository(store.engine)
    keys = _stored(store, 5)
    k = [keys[f"2501.{n:05d}"] for n in range(5)]
    assert len(rows.unchecked(10)) == 5
    checked = [Checked(key, "hash", [7, 8]) for key in k[:3]]
    rows.replace_bands(checked)
    assert sorted(rows.band_members([7])[7]) == sorted(k[:3])
    rows.finish(checked, [(k[0], k[1]), (k[2], k[1]), (k[1], k[0])])
    assert rows.pair_count() == 2
    assert len(rows.unchecked(10)) == 5  # the hashes differ from the papers' own
    groups = rows.groups_of(["2501.00000", "2501.00003"])
    assert groups == {"2501.00000": ["2501.00001", "2501.00002"]}
    # Checking paper 1 again with other content drops its pairs (and so the group).
    rows.replace_bands([Checked(k[1], "hash2", [9])])
    assert rows.groups_of(["2501.00000"]) == {}
    assert sorted(rows.band_members([8])[8]) == [k[0], k[2]]


def test_a_band_shared_by_too_many_papers_names_no_candidates(store: Any) -> None:
    rows = NearDuplicateRepository(store.engine)
    keys = list(_stored(store, MAX_BAND_MEMBERS + 1).values())
    rows.replace_bands([Checked(key, "h", [1, 2] if key == keys[0] else [1]) for key in keys])
    members = rows.band_members([1, 2])
    assert 1 not in members and members[2] == [keys[0]]


def test_a_check_at_the_papers_hash_is_not_unchecked(store: Any) -> None:
    rows = NearDuplicateRepository(store.engine)
    _stored(store, 2)
    first, second = rows.unchecked(10)
    rows.finish([Checked(first.key, first.content_hash, [])], [])
    assert [r.arxiv_id for r in rows.unchecked(10)] == [second.arxiv_id]
    assert first.authors == ("Ada Lovelace", "Alan Turing")
