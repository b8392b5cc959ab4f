"""CatalogStore over SQLAlchemy Core, shared by SQLite and PostgreSQL.

Only lexical search differs per dialect: PostgreSQL's weighted tsvector here, SQLite's FTS5
in store/sqlite.py. Reads run in plain (deferred) transactions; writes go through
upsert.BatchWriter in one transaction per call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.engine import Connection, Engine

from likewise.models import (
    Announcement,
    AnnouncementKind,
    Paper,
    SearchFilters,
    normalise_name,
    normalise_title,
)
from likewise.store import indexed_text, schema
from likewise.store.base import (
    CatalogStatus,
    StoredText,
    UnknownPaperError,
    UpsertCounts,
)
from likewise.store.catalog_status import read_catalog_status
from likewise.store.lexical import ParsedQuery, parse_query
from likewise.store.rows import normalise_doi, row_to_paper, title_hash
from likewise.store.upsert import BatchWriter, chunks, load_versions

papers = schema.papers
# Built once: SQLAlchemy then reuses the compiled form (an expanding IN list per call).
_PAPERS_BY_ID = select(papers).where(papers.c.arxiv_id.in_(bindparam("ids", expanding=True)))
_KIND_ORDER = {kind.value: position for position, kind in enumerate(AnnouncementKind)}


class SqlCatalogStore:
    """The catalog on one SQLAlchemy engine (see store/base.py for each method's contract)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = BatchWriter(self.dialect)

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite a deferred one, so readers never queue)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="deferred")
            with connection.begin():
                yield connection

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction (on SQLite BEGIN IMMEDIATE: the writer lock up front)."""
        with self.engine.begin() as connection:
            yield connection

    # -- papers --------------------------------------------------------------------------------
    def upsert_papers(
        self,
        papers: Sequence[Paper],
        *,
        source: str,
        announcements: Sequence[Announcement] = (),
        checkpoint: str | None = None,
    ) -> UpsertCounts:
        with self.writing() as connection:
            return self._writer.write(
                connection,
                papers,
                source=source,
                announcements=announcements,
                checkpoint=checkpoint,
            )

    def _papers_from_rows(self, connection: Connection, rows: Sequence[Any]) -> list[Paper]:
        histories = load_versions(connection, {row.key: row.arxiv_id for row in rows})
        return [row_to_paper(row, histories.get(row.key, [])) for row in rows]

    def get_paper(self, arxiv_id: str) -> Paper | None:
        return self.get_papers([arxiv_id]).get(arxiv_id)

    def get_papers(self, arxiv_ids: Sequence[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        with self.reading() as connection:
            for chunk in chunks(list(dict.fromkeys(arxiv_ids))):
                rows = connection.execute(_PAPERS_BY_ID, {"ids": chunk}).all()
                for paper in self._papers_from_rows(connection, rows):
                    found[paper.arxiv_id] = paper
        return found

    def iter_papers(self, batch_size: int = 1000) -> Iterator[Paper]:
        last_key = 0
        while True:
            with self.reading() as connection:
                rows = connection.execute(
                    select(papers)
                    .where(papers.c.key > last_key)
                    .order_by(papers.c.key)
                    .limit(batch_size)
                ).all()
                batch = self._papers_from_rows(connection, rows)
            yield from batch
            if len(rows) < batch_size:
                return
            last_key = rows[-1].key

    def count_papers(self) -> int:
        with self.reading() as connection:
            return int(connection.scalar(select(func.count()).select_from(papers)) or 0)

    def paper_keys(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        with self.reading() as connection:
            return self._writer.stored_keys(connection, list(arxiv_ids))

    def arxiv_ids_for_keys(self, keys: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        with self.reading() as connection:
            for chunk in chunks([int(key) for key in keys]):
                query = select(papers.c.key, papers.c.arxiv_id).where(papers.c.key.in_(chunk))
                found.update({key: arxiv_id for key, arxiv_id in connection.execute(query)})
        return found

    def filter_conditions(self, filters: SearchFilters | None) -> list[ColumnElement[bool]]:
        """SQL conditions on `papers` that together are exactly the filters."""
        if filters is None:
            return []
        conditions: list[ColumnElement[bool]] = []
        if filters.since is not None:
            conditions.append(papers.c.listed_day >= filters.since)
        if filters.until is not None:
            conditions.append(papers.c.listed_day <= filters.until)
        if filters.categories:
            in_category = select(schema.paper_categories.c.paper_key).where(
                schema.paper_categories.c.category.in_(list(filters.categories))
            )
            conditions.append(papers.c.key.in_(in_category))
        if filters.authors:
            names = sorted({normalise_name(name) for name in filters.authors})
            by_author = select(schema.paper_authors.c.paper_key).where(
                schema.paper_authors.c.name_normalised.in_(names)
            )
            conditions.append(papers.c.key.in_(by_author))
        # Chunked, so that any number of excluded ids stays under the bound-parameter limit.
        for chunk in chunks(sorted(filters.exclude_ids)):
            conditions.append(papers.c.arxiv_id.not_in(chunk))
        return conditions

    def keys_matching(self, filters: SearchFilters) -> npt.NDArray[np.int64]:
        query = select(papers.c.key).where(*self.filter_conditions(filters)).order_by(papers.c.key)
        with self.reading() as connection:
            keys = connection.execute(query).scalars().all()
        return np.asarray(keys, dtype=np.int64)

    def find_by_doi_or_title(self, doi: str | None, title: str) -> str | None:
        normalised_doi = normalise_doi(doi)
        normalised_title = normalise_title(title)
        with self.reading() as connection:
            if normalised_doi:
                found = connection.scalar(
                    select(papers.c.arxiv_id)
                    .where(papers.c.doi_normalised == normalised_doi)
                    .order_by(papers.c.key)
                    .limit(1)
                )
                if found is not None:
                    return str(found)
            if not normalised_title:
                return None
            candidates = connection.execute(
                select(papers.c.arxiv_id, papers.c.title)
                .where(papers.c.title_hash == title_hash(title))
                .order_by(papers.c.key)
            )
            for arxiv_id, stored_title in candidates:
                if normalise_title(stored_title) == normalised_title:
                    return str(arxiv_id)
            return None

    # -- lexical search ------------------------------------------------------------------------
    def lexical_search(
        self, query: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        parsed = parse_query(query)
        if limit <= 0 or not (parsed.arxiv_ids or parsed.has_text):
            return []
        conditions = self.filter_conditions(filters)
        with self.reading() as connection:
            exact: list[str] = []
            if parsed.arxiv_ids:
                exact = list(
                    connection.execute(
                        select(papers.c.arxiv_id).where(
                            papers.c.arxiv_id.in_(parsed.arxiv_ids), *conditions
                        )
                    ).scalars()
                )
            hits = (
                self._full_text(connection, parsed, limit + len(exact), conditions)
                if parsed.has_text
                else []
            )
        ranked = [(arxiv_id, score) for arxiv_id, score in hits if arxiv_id not in exact]
        # A paper named by its id comes first, above every text match.
        top = (ranked[0][1] if ranked else 0.0) + 1.0
        exact_hits = [(arxiv_id, top) for arxiv_id in sorted(exact, key=parsed.arxiv_ids.index)]
        return (exact_hits + ranked)[:limit]

    def refresh_search_index(self) -> int:
        """PostgreSQL's tsvector is a generated column: always current, nothing to do."""
        return 0

    def _full_text(
        self,
        connection: Connection,
        parsed: ParsedQuery,
        limit: int,
        conditions: list[ColumnElement[bool]],
    ) -> list[tuple[str, float]]:
        """PostgreSQL: phrases required, any word enough, ranked by ts_rank_cd over the
        weighted tsvector (title A, abstract B, authors C)."""
        english: ColumnElement[Any] = literal_column("'english'::regconfig")
        word_queries = [func.plainto_tsquery(english, word) for word in parsed.words]
        phrase_queries = [func.phraseto_tsquery(english, typed) for typed in parsed.phrase_texts]
        if phrase_queries:
            matching = join_tsqueries(phrase_queries, "&&")
        else:
            matching = join_tsqueries(word_queries, "||")
        ranking = join_tsqueries([matching, *word_queries], "||") if phrase_queries else matching
        vector: ColumnElement[Any] = literal_column("papers.search_vector")
        score = func.ts_rank_cd(vector, ranking).label("score")
        statement = (
            select(papers.c.arxiv_id, score)
            .where(vector.op("@@")(matching), *conditions)
            .order_by(score.desc(), papers.c.key)
            .limit(limit)
        )
        return [(arxiv_id, float(value)) for arxiv_id, value in connection.execute(statement)]

    # -- text for the in-process lexical index (queries in store/indexed_text.py) ---------------
    def paper_text_fingerprints(
        self, after_key: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
        with self.reading() as connection:
            return indexed_text.paper_text_fingerprints(connection, after_key)

    def paper_texts(
        self, keys: Sequence[int] | None = None, *, after_key: int | None = None
    ) -> list[StoredText]:
        with self.reading() as connection:
            return indexed_text.paper_texts(connection, keys, after_key)

    def change_token(self) -> object | None:
        """Unknown here (PostgreSQL has no cheap commit counter): callers ask the database."""
        return None

    # -- announcements and sync state ----------------------------------------------------------
    def announcement_days(self) -> list[date]:
        table = schema.announcements
        with self.reading() as connection:
            days = connection.execute(select(table.c.day).distinct().order_by(table.c.day))
            return list(days.scalars())

    def announced_on(self, day: date) -> list[Announcement]:
        table = schema.announcements
        with self.reading() as connection:
            rows = list(
                connection.execute(select(table.c.arxiv_id, table.c.kind).where(table.c.day == day))
            )
        rows.sort(key=lambda row: (_KIND_ORDER.get(row.kind, 99), row.arxiv_id))
        return [Announcement(row.arxiv_id, day, AnnouncementKind(row.kind)) for row in rows]

    def get_checkpoint(self, source: str) -> str | None:
        table = schema.sync_state
        with self.reading() as connection:
            found = connection.scalar(select(table.c.checkpoint).where(table.c.source == source))
        return str(found) if found is not None else None

    def record_sync(self, source: str, *, finished: datetime, stored: int, rejected: int) -> None:
        with self.writing() as connection:
            self._writer.record_sync(connection, source, finished, stored, rejected)

    def status(self) -> CatalogStatus:
        days = self.announcement_days()
        with self.reading() as connection:
            return read_catalog_status(connection, days)

    # -- vectors -------------------------------------------------------------------------------
    def stale_for_model(self, model_id: str, limit: int | None = None) -> list[Paper]:
        vectors = schema.vectors
        joined = papers.outerjoin(
            vectors, and_(vectors.c.paper_key == papers.c.key, vectors.c.model_id == model_id)
        )
        query = (
            select(papers)
            .select_from(joined)
            .where(
                or_(vectors.c.paper_key.is_(None), vectors.c.content_hash != papers.c.content_hash)
            )
            .order_by(papers.c.key)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as connection:
            return self._papers_from_rows(connection, connection.execute(query).all())

    def put_vectors(
        self,
        model_id: str,
        items: Sequence[tuple[str, str, npt.NDArray[np.float32]]],
    ) -> None:
        if not items:
            return
        with self.writing() as connection:
            # Chunked inside the one transaction: an imported file of millions of vectors
            # then never holds a second, encoded copy of itself in memory.
            for chunk in chunks(items, 10_000):
                keys = self._writer.stored_keys(connection, [arxiv_id for arxiv_id, _, _ in chunk])
                rows = []
                for arxiv_id, content_hash, vector in chunk:
                    if arxiv_id not in keys:
                        raise UnknownPaperError(f"no paper {arxiv_id!r} is stored")
                    data = np.ascontiguousarray(vector, dtype="<f4").tobytes()
                    rows.append((model_id, keys[arxiv_id], content_hash, data))
                self._writer.put_vectors(connection, rows)

    def load_vectors(self, model_id: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        vectors = schema.vectors
        query = (
            select(vectors.c.paper_key, vectors.c.vector)
            .where(vectors.c.model_id == model_id)
            .order_by(vectors.c.paper_key)
        )
        with self.reading() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        keys = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        flat = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype="<f4")
        return keys, flat.reshape(len(rows), -1).astype(np.float32, copy=False)

    def close(self) -> None:
        self.engine.dispose()


def join_tsqueries(queries: list[Any], operator: str = "||") -> Any:
    """PostgreSQL tsqueries joined left to right: `||` any of them, `&&` all of them."""
    combined = queries[0]
    for query in queries[1:]:
        combined = combined.op(operator)(query)
    return combined
