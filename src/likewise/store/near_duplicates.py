"""Near-duplicate rows (store/near_duplicate_tables.py): band keys, judged pairs, checks, and
the groups they form.

A paper's rows are valid while its check's content hash equals the paper's; a changed paper
is checked again (services/near_duplicates.py), which replaces its bands and pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from likewise.store import schema
from likewise.store.near_duplicate_tables import (
    near_duplicate_checks,
    near_duplicate_pairs,
    paper_bands,
)

_CHUNK = 500
_BAND_CHUNK = 5000  # bands per look-up: one query costs far more than its parameters
# A band shared by more papers than this says nothing about any one pair (a stock title
# such as "Technical Report"); its members are not compared through it.
MAX_BAND_MEMBERS = 50
# Groups are found by following pairs this many steps out; real groups are two or three.
_MAX_HOPS = 4


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """What the rule reads of one stored paper, with its key and content hash."""

    key: int
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    listed: date | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class Checked:
    """One paper's check: the content it was made for and its band keys."""

    key: int
    content_hash: str
    bands: Sequence[int]


class NearDuplicateRepository:
    """The near-duplicate tables on one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    def unchecked(self, limit: int) -> list[StoredRecord]:
        """Papers never checked or changed since (content hash differs), in key order."""
        papers = schema.papers
        checks = near_duplicate_checks
        query = (
            self._record_query()
            .select_from(papers.outerjoin(checks, checks.c.paper_key == papers.c.key))
            .where(
                or_(
                    checks.c.paper_key.is_(None),
                    checks.c.content_hash != papers.c.content_hash,
                )
            )
            .order_by(papers.c.key)
            .limit(limit)
        )
        with self._reading() as connection:
            return [_record(row) for row in connection.execute(query)]

    def records(self, keys: Iterable[int]) -> dict[int, StoredRecord]:
        papers = schema.papers
        query = self._record_query().where(papers.c.key.in_(bindparam("keys", expanding=True)))
        found: dict[int, StoredRecord] = {}
        unique = sorted(set(keys))
        with self._reading() as connection:
            for start in range(0, len(unique), _CHUNK):
                for row in connection.execute(query, {"keys": unique[start : start + _CHUNK]}):
                    record = _record(row)
                    found[record.key] = record
        return found

    def replace_bands(self, checked: Sequence[Checked]) -> None:
        """New band keys for these papers; their old bands and pairs go (one transaction)."""
        if not checked:
            return
        keys = [item.key for item in checked]
        with self._engine.begin() as connection:
            self._forget(connection, keys)
            rows = [
                {"paper_key": item.key, "band": band}
                for item in checked
                for band in sorted(set(item.bands))
            ]
            for start in range(0, len(rows), _CHUNK * 4):
                connection.execute(paper_bands.insert(), rows[start : start + _CHUNK * 4])

    def band_members(self, bands: Iterable[int]) -> dict[int, list[int]]:
        """Paper keys per band, for bands with at most MAX_BAND_MEMBERS papers."""
        table = paper_bands
        wanted = sorted(set(bands))
        counted = (
            select(table.c.band)
            .where(table.c.band.in_(bindparam("bands", expanding=True)))
            .group_by(table.c.band)
            .having(func.count() <= MAX_BAND_MEMBERS)
        )
        members_query = select(table.c.band, table.c.paper_key).where(
            table.c.band.in_(bindparam("small", expanding=True))
        )
        members: dict[int, list[int]] = {}
        with self._reading() as connection:
            for start in range(0, len(wanted), _BAND_CHUNK):
                chunk = wanted[start : start + _BAND_CHUNK]
                small = [band for (band,) in connection.execute(counted, {"bands": chunk})]
                if not small:
                    continue
                for band, key in connection.execute(members_query, {"small": small}):
                    members.setdefault(int(band), []).append(int(key))
        return members

    def finish(self, checked: Sequence[Checked], pairs: Iterable[tuple[int, int]]) -> None:
        """Store the judged pairs and mark the papers checked at their content hash, in one
        transaction (a kill before it leaves the papers unchecked, to be checked again)."""
        rows = [{"paper_key": min(a, b), "other_key": max(a, b)} for a, b in set(pairs) if a != b]
        unique = list({(row["paper_key"], row["other_key"]): row for row in rows}.values())
        with self._engine.begin() as connection:
            if unique:
                connection.execute(self._insert_pairs(), unique)
            values = [
                {"paper_key": item.key, "content_hash": item.content_hash} for item in checked
            ]
            if values:
                connection.execute(self._upsert_checks(), values)

    def groups_of(self, arxiv_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each id that has near-duplicates, the other ids of its group in key order."""
        papers = schema.papers
        pairs = near_duplicate_pairs
        with self._reading() as connection:
            keys = _keys_of(connection, arxiv_ids)
            if not keys:
                return {}
            linked: dict[int, set[int]] = {}
            frontier = set(keys.values())
            seen = set(frontier)
            touching = select(pairs.c.paper_key, pairs.c.other_key).where(
                or_(
                    pairs.c.paper_key.in_(bindparam("keys", expanding=True)),
                    pairs.c.other_key.in_(bindparam("keys", expanding=True)),
                )
            )
            for _ in range(_MAX_HOPS):
                if not frontier:
                    break
                found: set[int] = set()
                batch = sorted(frontier)
                for start in range(0, len(batch), _CHUNK):
                    rows = connection.execute(touching, {"keys": batch[start : start + _CHUNK]})
                    for a, b in rows:
                        linked.setdefault(a, set()).add(b)
                        linked.setdefault(b, set()).add(a)
                        found.update((a, b))
                frontier = found - seen
                seen |= found
            if not linked:
                return {}
            names = dict(
                connection.execute(
                    select(papers.c.key, papers.c.arxiv_id).where(
                        papers.c.key.in_(bindparam("keys", expanding=True))
                    ),
                    {"keys": sorted(linked)},
                ).all()
            )
        groups: dict[str, list[str]] = {}
        for arxiv_id, key in keys.items():
            if key not in linked:
                continue
            component = _component(key, linked)
            groups[arxiv_id] = [names[other] for other in sorted(component) if other != key]
        return groups

    def pair_count(self) -> int:
        with self._reading() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(near_duplicate_pairs)
                ).scalar_one()
            )

    # -- helpers -------------------------------------------------------------------------------
    def _record_query(self) -> Any:
        papers = schema.papers
        return select(
            papers.c.key,
            papers.c.arxiv_id,
            papers.c.title,
            papers.c.abstract,
            papers.c.authors,
            papers.c.listed_day,
            papers.c.content_hash,
        )

    def _forget(self, connection: Connection, keys: Sequence[int]) -> None:
        pairs = near_duplicate_pairs
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            connection.execute(delete(paper_bands).where(paper_bands.c.paper_key.in_(chunk)))
            connection.execute(
                delete(pairs).where(or_(pairs.c.paper_key.in_(chunk), pairs.c.other_key.in_(chunk)))
            )

    def _reading(self) -> Connection:
        # A plain BEGIN on SQLite: readers never queue behind the writer (store/README.md).
        return self._engine.connect().execution_options(sqlite_begin="deferred")

    def _dialect_module(self) -> Any:
        return postgresql if self._dialect == "postgresql" else sqlite

    def _insert_pairs(self) -> Any:
        statement = self._dialect_module().insert(near_duplicate_pairs)
        return statement.on_conflict_do_nothing(index_elements=["paper_key", "other_key"])

    def _upsert_checks(self) -> Any:
        statement = self._dialect_module().insert(near_duplicate_checks)
        return statement.on_conflict_do_update(
            index_elements=["paper_key"], set_={"content_hash": statement.excluded.content_hash}
        )


def _record(row: Any) -> StoredRecord:
    key, arxiv_id, title, abstract, authors, listed, content_hash = row
    return StoredRecord(
        int(key),
        arxiv_id,
        title or "",
        abstract or "",
        tuple(name for name in (authors or "").split("\n") if name),
        listed,
        content_hash,
    )


def _keys_of(connection: Connection, arxiv_ids: Sequence[str]) -> dict[str, int]:
    papers = schema.papers
    query = select(papers.c.arxiv_id, papers.c.key).where(
        papers.c.arxiv_id.in_(bindparam("ids", expanding=True))
    )
    unique = list(dict.fromkeys(arxiv_ids))
    keys: dict[str, int] = {}
    for start in range(0, len(unique), _CHUNK):
        for arxiv_id, key in connection.execute(query, {"ids": unique[start : start + _CHUNK]}):
            keys[arxiv_id] = int(key)
    return keys


def _component(start: int, linked: dict[int, set[int]]) -> set[int]:
    component = {start}
    stack = [start]
    while stack:
        for other in linked.get(stack.pop(), ()):
            if other not in component:
                component.add(other)
                stack.append(other)
    return component
