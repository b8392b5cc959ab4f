"""The embedded SQLite catalog: engine set-up (WAL, foreign keys, busy timeout, explicit
transactions) and lexical search with FTS5's BM25.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    column,
    create_engine,
    event,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from likewise.models import SearchFilters
from likewise.store import schema
from likewise.store.catalog import SqlCatalogStore
from likewise.store.lexical import ParsedQuery, fts5_expression
from likewise.store.rows import decode_lines as decode
from likewise.store.upsert import author_rows

BUSY_TIMEOUT_MS = 30_000
CACHE_KIB = 32 * 1024  # page cache per connection
WAL_CHECKPOINT_PAGES = 10_000
REFRESH_CHUNK = 10_000  # papers indexed per lexical-refresh transaction
# BM25 column weights of papers_fts(title, abstract, authors): a title match counts most.
TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHORS_WEIGHT = 4.0, 1.0, 1.0
# The FTS5 table the migration creates (external content over papers, rowid = papers.key).
_FULL_TEXT = table("papers_fts", column("rowid"))


def create_sqlite_engine(url: str, *, in_memory: bool = False) -> Engine:
    """An engine whose connections run WAL with foreign keys, and whose transactions are
    explicit: BEGIN IMMEDIATE for writes (so a writer never fails on a stale snapshot),
    plain BEGIN for readers that ask for it with execution_options(sqlite_begin="deferred")."""
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below (pysqlite's own is incomplete).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Ingest touches several indexes per paper; the 2 MiB default cache thrashes.
            cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            # Checkpoint every ~40 MiB of WAL instead of 4 MiB: index pages that each batch
            # rewrites are copied back once instead of many times.
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "immediate")
        connection.exec_driver_sql("BEGIN" if mode == "deferred" else "BEGIN IMMEDIATE")

    return engine


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


class SqliteCatalogStore(SqlCatalogStore):
    """The catalog in one SQLite file."""

    def change_token(self) -> object | None:
        """The identity of the database file and its write-ahead log, which change with every
        commit; None for an in-memory database."""
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            return None
        return (_file_identity(Path(str(database))), _file_identity(Path(f"{database}-wal")))

    def _search_backlog(self, connection: Connection) -> tuple[int, int]:
        indexed = connection.exec_driver_sql(
            "SELECT indexed_key FROM search_index_state WHERE id = 1"
        ).scalar_one()
        newest = connection.execute(select(func.max(schema.papers.c.key))).scalar()
        return int(indexed), int(newest or 0)

    def refresh_search_index(self) -> int:
        indexed_total = 0
        while True:
            # Bounded transactions, so a long catch-up never holds the writer lock for long.
            with self.writing() as connection:
                indexed, newest = self._search_backlog(connection)
                if newest <= indexed:
                    return indexed_total
                upto = min(newest, indexed + REFRESH_CHUNK)
                result = connection.exec_driver_sql(
                    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
                    'SELECT "key", title, abstract, authors FROM papers '
                    'WHERE "key" > ? AND "key" <= ?',
                    (indexed, upto),
                )
                authors = connection.exec_driver_sql(
                    'SELECT "key", authors FROM papers WHERE "key" > ? AND "key" <= ?',
                    (indexed, upto),
                )
                rows = [row for key, names in authors for row in author_rows(key, decode(names))]
                self._writer.insert_authors(connection, rows)
                connection.exec_driver_sql(
                    "UPDATE search_index_state SET indexed_key = ? WHERE id = 1", (upto,)
                )
                indexed_total += max(result.rowcount, 0)

    def _ensure_search_index(self) -> None:
        with self.reading() as connection:
            indexed, newest = self._search_backlog(connection)
        if newest > indexed:
            self.refresh_search_index()

    def lexical_search(
        self, query: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        self._ensure_search_index()
        return super().lexical_search(query, limit, filters)

    def keys_matching(self, filters: SearchFilters) -> npt.NDArray[np.int64]:
        if filters.authors:
            self._ensure_search_index()
        return super().keys_matching(filters)

    def _full_text(
        self,
        connection: Connection,
        parsed: ParsedQuery,
        limit: int,
        conditions: list[ColumnElement[bool]],
    ) -> list[tuple[str, float]]:
        papers = schema.papers
        fts: ColumnElement[Any] = literal_column("papers_fts")
        bm25 = func.bm25(
            fts,
            literal_column(repr(TITLE_WEIGHT)),
            literal_column(repr(ABSTRACT_WEIGHT)),
            literal_column(repr(AUTHORS_WEIGHT)),
        )
        match = fts.op("MATCH")(fts5_expression(parsed))
        if conditions:
            statement = (
                select(papers.c.arxiv_id, bm25.label("rank"))
                .select_from(_FULL_TEXT.join(papers, papers.c.key == _FULL_TEXT.c.rowid))
                .where(match, *conditions)
                .order_by(bm25, papers.c.key)
                .limit(limit)
            )
        else:
            # Unfiltered: rank inside the FTS5 table first and join only the top rows; joining
            # every match before sorting doubled the latency on 75k papers.
            best = (
                select(_FULL_TEXT.c.rowid.label("key"), bm25.label("rank"))
                .select_from(_FULL_TEXT)
                .where(match)
                .order_by(bm25, _FULL_TEXT.c.rowid)
                .limit(limit)
                .subquery()
            )
            statement = (
                select(papers.c.arxiv_id, best.c.rank)
                .select_from(best.join(papers, papers.c.key == best.c.key))
                .order_by(best.c.rank, best.c.key)
            )
        # FTS5's bm25() is lower-is-better; the protocol's score is higher-is-better.
        return [(arxiv_id, -float(rank)) for arxiv_id, rank in connection.execute(statement)]
