"""On PostgreSQL with pgvector's `vector_index` table, the vector index lives in the database.

Every worker then shares one index instead of holding a copy each. It is kept in step with
the store's vectors table: a count that differs (say, a crash between the two writes) makes
the next opening resynchronise it from the stored vectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, inspect, select

from likewise.index.factory import wants_ann
from likewise.store import schema

if TYPE_CHECKING:
    from likewise.index.pgvector_index import PgvectorIndex
    from likewise.store.base import CatalogStore


def pgvector_available(store: CatalogStore) -> bool:
    """Whether the store is PostgreSQL and pgvector's table exists (a query: ask once)."""
    engine = getattr(store, "engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        return False
    return bool(inspect(engine).has_table("vector_index"))


def open_pgvector_index(
    store: CatalogStore, model_id: str, dimension: int, ann_threshold: int, *, rebuild: bool
) -> PgvectorIndex:
    """The model's pgvector index, resynchronised with the stored vectors when they differ."""
    from likewise.index.pgvector_index import PgvectorIndex

    with store.engine.connect() as connection:
        stored = int(
            connection.scalar(
                select(func.count())
                .select_from(schema.vectors)
                .where(schema.vectors.c.model_id == model_id)
            )
            or 0
        )
    index = PgvectorIndex(store.engine, model_id, dimension)
    if rebuild or len(index) != stored:
        keys, matrix = store.load_vectors(model_id)
        if rebuild:
            index.drop_graph()
        index.remove(np.setdiff1d(indexed_keys(index), keys))
        if len(keys):
            index.add(keys, matrix)
    finish_pgvector_index(index, ann_threshold)
    return index


def finish_pgvector_index(index: PgvectorIndex, ann_threshold: int) -> None:
    """Build the HNSW graph once the catalog is big enough to want one."""
    if wants_ann(len(index), ann_threshold) and not index.has_graph():
        index.build()


def indexed_keys(index: PgvectorIndex) -> npt.NDArray[np.int64]:
    from sqlalchemy import text

    from likewise.index.pgvector_index import TABLE

    with index.engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT paper_key FROM {TABLE} WHERE model_id = :model"),
            {"model": index.model_id},
        ).all()
    return np.array([row[0] for row in rows], dtype=np.int64)
