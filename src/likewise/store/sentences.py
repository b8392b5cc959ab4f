"""Per-paper sentence rows (store/sentence_tables.py): write, read back, find the missing.

A row is valid only while its content hash equals the paper's; reads ignore stale rows, so a
changed paper has no sentences until it is embedded again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from likewise.store import schema
from likewise.store.sentence_tables import paper_sentences

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """One paper's sentences: spans into its abstract, labels, float32 unit vectors (n, d)."""

    arxiv_id: str
    content_hash: str
    spans: list[tuple[int, int]]
    labels: list[str]
    vectors: npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class StoredSentences:
    """A SentenceRow read back with the abstract its spans point into."""

    abstract: str
    row: SentenceRow


class SentenceRepository:
    """The paper_sentences table on one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    def put(self, model_id: str, rows: Sequence[SentenceRow]) -> None:
        """Store (or replace) the rows of papers that are still in the catalog, one
        transaction; rows of papers deleted meanwhile are skipped."""
        if not rows:
            return
        papers = schema.papers
        with self._engine.begin() as connection:
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                found = connection.execute(
                    select(papers.c.arxiv_id, papers.c.key).where(
                        papers.c.arxiv_id.in_([row.arxiv_id for row in chunk])
                    )
                ).all()
                keys = {arxiv_id: key for arxiv_id, key in found}
                values = [
                    {
                        "model_id": model_id,
                        "paper_key": keys[row.arxiv_id],
                        "content_hash": row.content_hash,
                        "count": len(row.spans),
                        "spans": json.dumps([list(span) for span in row.spans]),
                        "labels": json.dumps(row.labels),
                        "vectors": np.ascontiguousarray(row.vectors, dtype="<f2").tobytes(),
                    }
                    for row in chunk
                    if row.arxiv_id in keys
                ]
                if values:
                    connection.execute(self._upsert(), values)

    def get(self, model_id: str, arxiv_ids: Sequence[str]) -> dict[str, StoredSentences]:
        """The current rows of these papers (hash equal to the paper's), by arXiv id."""
        papers = schema.papers
        table = paper_sentences
        query = (
            select(
                papers.c.arxiv_id,
                papers.c.abstract,
                table.c.content_hash,
                table.c.count,
                table.c.spans,
                table.c.labels,
                table.c.vectors,
            )
            .select_from(papers.join(table, table.c.paper_key == papers.c.key))
            .where(
                table.c.model_id == model_id,
                table.c.content_hash == papers.c.content_hash,
                papers.c.arxiv_id.in_(bindparam("ids", expanding=True)),
            )
        )
        result: dict[str, StoredSentences] = {}
        unique = list(dict.fromkeys(arxiv_ids))
        with self._reading() as connection:
            for start in range(0, len(unique), _CHUNK):
                found = connection.execute(query, {"ids": unique[start : start + _CHUNK]})
                for arxiv_id, abstract, content_hash, count, spans, labels, blob in found:
                    flat = np.frombuffer(bytes(blob), dtype="<f2").astype(np.float32)
                    vectors = flat.reshape(count, -1) if count else flat.reshape(0, 0)
                    row = SentenceRow(
                        arxiv_id,
                        content_hash,
                        [(int(a), int(b)) for a, b in json.loads(spans)],
                        [str(label) for label in json.loads(labels)],
                        vectors,
                    )
                    result[arxiv_id] = StoredSentences(abstract or "", row)
        return result

    def missing(self, model_id: str, limit: int) -> list[str]:
        """Papers whose vector of `model_id` is current but whose sentences are missing or
        stale (a catalog embedded before sentences were stored), in key order."""
        papers = schema.papers
        vectors = schema.vectors
        table = paper_sentences
        joined = papers.join(
            vectors, and_(vectors.c.paper_key == papers.c.key, vectors.c.model_id == model_id)
        ).outerjoin(table, and_(table.c.paper_key == papers.c.key, table.c.model_id == model_id))
        query = (
            select(papers.c.arxiv_id)
            .select_from(joined)
            .where(
                vectors.c.content_hash == papers.c.content_hash,
                or_(table.c.paper_key.is_(None), table.c.content_hash != papers.c.content_hash),
            )
            .order_by(papers.c.key)
            .limit(limit)
        )
        with self._reading() as connection:
            return [arxiv_id for (arxiv_id,) in connection.execute(query)]

    def current_ids(self, model_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """(paper key, arXiv id) of papers with current sentence rows of `model_id` and a key
        above `after`, in key order: pages for a pass over every stored row."""
        papers = schema.papers
        table = paper_sentences
        query = (
            select(papers.c.key, papers.c.arxiv_id)
            .select_from(papers.join(table, table.c.paper_key == papers.c.key))
            .where(
                table.c.model_id == model_id,
                table.c.content_hash == papers.c.content_hash,
                papers.c.key > after,
            )
            .order_by(papers.c.key)
            .limit(limit)
        )
        with self._reading() as connection:
            return [(int(key), arxiv_id) for key, arxiv_id in connection.execute(query)]

    def _reading(self) -> Connection:
        # A plain BEGIN on SQLite: readers never queue behind the writer (store/README.md).
        return self._engine.connect().execution_options(sqlite_begin="deferred")

    def _upsert(self) -> Any:
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        statement = dialect.insert(paper_sentences)
        replaced = {
            name: statement.excluded[name]
            for name in ("content_hash", "count", "spans", "labels", "vectors")
        }
        return statement.on_conflict_do_update(
            index_elements=["model_id", "paper_key"], set_=replaced
        )
