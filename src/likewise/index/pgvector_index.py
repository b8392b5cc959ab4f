"""A VectorIndex kept inside PostgreSQL with pgvector: one HNSW index per model, exact fallback.

Graph search is HNSW (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
search using Hierarchical Navigable Small World graphs", TPAMI 2018) as implemented by pgvector.
pgvector 0.6 has no iterative index scan, so a filtered HNSW scan can return fewer than k rows
("post-filter starvation"); filters too selective for the graph run as an exact scan instead.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

TABLE = "vector_index"
COUNT_SECONDS = 60.0
# pgvector refuses hnsw.ef_search above this.
MAX_EF_SEARCH = 1000
_SAFE_MODEL_ID = re.compile(r"^[A-Za-z0-9._:/+-]{1,128}$")
# Binary COPY framing (PostgreSQL docs, "COPY ... Binary Format"): signature, flags, extension.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


class PgvectorIndexError(RuntimeError):
    """The pgvector index cannot be used as asked (no extension, bad model id, wrong size)."""


def vector_literal(vector: npt.NDArray[np.float32]) -> str:
    """pgvector's text form; repr of each float32 (as a double) parses back to the same float32."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def binary_copy_rows(keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> bytes:
    """(paper_key bigint, embedding vector) rows in COPY BINARY format, built without a loop;
    the stream around them starts with COPY_HEADER and ends with COPY_TRAILER."""
    dimensions = vectors.shape[1]
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("key_length", ">i4"),
            ("key", ">i8"),
            ("vector_length", ">i4"),
            # pgvector's binary form: int16 dimensions, int16 unused, float4 values.
            ("dimensions", ">i2"),
            ("unused", ">i2"),
            ("values", ">f4", (dimensions,)),
        ]
    )
    rows = np.zeros(len(keys), dtype=row)
    rows["fields"] = 2
    rows["key_length"] = 8
    rows["key"] = keys
    rows["vector_length"] = 4 + 4 * dimensions
    rows["dimensions"] = dimensions
    rows["values"] = vectors
    return rows.tobytes()


class PgvectorIndex:
    """Vectors of one embedding model in the `vector_index` table (migration 0004).

    Every worker process that opens the same database sees the same index, so several
    `likewise serve` workers share one copy instead of holding one each in memory.
    """

    def __init__(
        self,
        engine: Engine,
        model_id: str,
        dimensions: int,
        *,
        ef_search: int = 200,
        m: int = 32,
        ef_construction: int = 128,
        exact_limit: int = 2_000,
        candidate_factor: float = 2.0,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise PgvectorIndexError("the pgvector index needs a PostgreSQL database")
        if not _SAFE_MODEL_ID.match(model_id):
            raise PgvectorIndexError(f"model id {model_id!r} has characters not allowed here")
        if not 1 <= dimensions <= 2000:
            raise PgvectorIndexError(f"pgvector HNSW indexes 1..2000 dimensions, not {dimensions}")
        self.engine = engine
        self.model_id = model_id
        self.dimensions = dimensions
        # Graph degree, build breadth and search breadth, measured over 1M vectors
        # (bench/scale.py, docs/operations.md): pgvector's defaults m 16 / ef_construction 64
        # reached recall@10 0.95 only at ef_search 800, p95 64 ms; this denser graph gives
        # 0.987 at ef_search 200, p95 27 ms, for a build about 3.5 times as long.
        self.ef_search = min(ef_search, MAX_EF_SEARCH)
        self.m = m
        self.ef_construction = ef_construction
        # Filters letting through at most this many keys are always searched exactly.
        self.exact_limit = exact_limit
        # A filtered graph search asks for enough candidates that this many times k are
        # expected to pass the filter.
        self.candidate_factor = candidate_factor
        # Model ids are validated above and inlined as literals: the partial HNSW index is
        # only chosen when the query's predicate matches it textually, even in generic plans.
        self._model_literal = f"'{model_id}'"
        self._expression = f"embedding::vector({dimensions})"
        self._index_name = "ix_vector_index_hnsw_" + re.sub(r"[^a-z0-9]+", "_", model_id.lower())
        # (count, when counted): only steers the filtered-search strategy, so a count a
        # minute old (other workers keep adding) is good enough there.
        self._count: tuple[int, float] | None = None

    # -- size and contents --------------------------------------------------------------------
    def __len__(self) -> int:
        """Exact: other processes add to the same table at any time."""
        with self.engine.connect() as connection:
            count = int(
                connection.execute(
                    text(f"SELECT count(*) FROM {TABLE} WHERE model_id = {self._model_literal}")
                ).scalar_one()
            )
        self._count = (count, time.monotonic())
        return count

    def _recent_count(self) -> int:
        if self._count is None or time.monotonic() - self._count[1] > COUNT_SECONDS:
            return len(self)
        return self._count[0]

    def vector(self, key: int) -> npt.NDArray[np.float32] | None:
        with self.engine.connect() as connection:
            value = connection.execute(
                text(
                    f"SELECT embedding::text FROM {TABLE} "
                    f"WHERE model_id = {self._model_literal} AND paper_key = :key"
                ),
                {"key": int(key)},
            ).scalar_one_or_none()
        if value is None:
            return None
        return np.array([float(item) for item in value.strip("[]").split(",")], dtype=np.float32)

    def similarities_for(
        self, query: npt.NDArray[np.float32], keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Scored in the database in one round trip; no vector travels."""
        wanted = unique_keys(keys)
        if len(wanted) == 0:
            return _empty()
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        return self._exact_search(query, len(wanted), wanted)

    # -- writes ---------------------------------------------------------------------------------
    def add(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Upsert vectors; bulk loads go through binary COPY into a staging table."""
        keys = np.asarray(keys, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(keys) == 0:
            return
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.dimensions):
            raise PgvectorIndexError(
                f"expected {len(keys)} vectors of {self.dimensions} dimensions, "
                f"got shape {vectors.shape}"
            )
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            # A key given twice keeps its last vector, as a dict update would.
            _, last = np.unique(keys[::-1], return_index=True)
            chosen = len(keys) - 1 - last
            keys, vectors = keys[chosen], vectors[chosen]
        with self.engine.begin() as connection:
            self.upsert(connection, keys, vectors)

    def upsert(
        self,
        connection: Connection,
        keys: npt.NDArray[np.int64],
        vectors: npt.NDArray[np.float32],
    ) -> None:
        """Write unique keys' vectors inside the caller's transaction (used by store copies)."""
        self._count = None
        connection.execute(
            text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS vector_index_staging "
                "(paper_key bigint, embedding vector) ON COMMIT DELETE ROWS"
            )
        )
        # Earlier batches of the same transaction are still there until it commits.
        connection.execute(text("TRUNCATE vector_index_staging"))
        raw: Any = connection.connection.dbapi_connection
        statement = "COPY vector_index_staging (paper_key, embedding) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(COPY_HEADER)
            step = 20_000
            for start in range(0, len(keys), step):
                copy.write(
                    binary_copy_rows(keys[start : start + step], vectors[start : start + step])
                )
            copy.write(COPY_TRAILER)
        connection.execute(
            text(
                f"INSERT INTO {TABLE} (model_id, paper_key, embedding) "
                f"SELECT {self._model_literal}, paper_key, embedding FROM vector_index_staging "
                "ON CONFLICT (model_id, paper_key) DO UPDATE SET embedding = EXCLUDED.embedding"
            )
        )

    def remove(self, keys: npt.NDArray[np.int64]) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) == 0:
            return
        with self.engine.begin() as connection:
            connection.execute(
                text(
                    f"DELETE FROM {TABLE} "
                    f"WHERE model_id = {self._model_literal} AND paper_key = ANY(:keys)"
                ),
                {"keys": keys.tolist()},
            )
        self._count = None

    def build(self, *, maintenance_memory: str = "1GB", workers: int = 2) -> None:
        """Create the HNSW graph (after a bulk load: much faster than growing it row by row)."""
        with self.engine.begin() as connection:
            self.create_graph(connection, maintenance_memory=maintenance_memory, workers=workers)

    def create_graph(
        self, connection: Connection, *, maintenance_memory: str = "1GB", workers: int = 2
    ) -> None:
        """`build` inside the caller's transaction."""
        if not re.fullmatch(r"\d+(kB|MB|GB)", maintenance_memory):
            raise PgvectorIndexError(f"bad memory size {maintenance_memory!r}, e.g. 1GB")
        # The graph build must fit in maintenance_work_mem or it slows down sharply; a larger
        # value the operator configured is kept.
        connection.execute(
            text(
                "SELECT set_config('maintenance_work_mem', :memory, true) "
                "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) "
                "< pg_size_bytes(:memory)"
            ),
            {"memory": maintenance_memory},
        )
        connection.execute(
            text(f"SET LOCAL max_parallel_maintenance_workers = {max(0, int(workers))}")
        )
        connection.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {self._index_name} ON {TABLE} "
                f"USING hnsw (({self._expression}) vector_ip_ops) "
                f"WITH (m = {int(self.m)}, ef_construction = {int(self.ef_construction)}) "
                f"WHERE model_id = {self._model_literal}"
            )
        )
        connection.execute(text(f"ANALYZE {TABLE}"))

    def has_graph(self) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_indexes WHERE tablename = :table AND indexname = :name"),
                {"table": TABLE, "name": self._index_name},
            ).first()
        return found is not None

    def drop_graph(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(f"DROP INDEX IF EXISTS {self._index_name}"))

    def save(self, path: Path) -> None:
        """Nothing to write: every change is committed to the database when it is made."""

    def size_bytes(self) -> int:
        """Bytes the table (this model's share) and this model's HNSW graph take on disk."""
        with self.engine.connect() as connection:
            table_bytes, total_rows = connection.execute(
                text(f"SELECT pg_total_relation_size('{TABLE}'), (SELECT count(*) FROM {TABLE})")
            ).one()
            graph = connection.execute(
                text("SELECT pg_relation_size(to_regclass(:name))"), {"name": self._index_name}
            ).scalar_one_or_none()
        # The table and its primary key are shared by all models: charge this model its rows.
        others = sum(self._other_graph_sizes())
        shared = int(table_bytes) - others - int(graph or 0)
        share = len(self) / total_rows if total_rows else 0.0
        return int(shared * share) + int(graph or 0)

    def _other_graph_sizes(self) -> list[int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pg_relation_size(format('%I', indexname)::regclass) FROM pg_indexes "
                    "WHERE tablename = :table AND indexname LIKE 'ix_vector_index_hnsw_%' "
                    "AND indexname <> :name"
                ),
                {"table": TABLE, "name": self._index_name},
            ).all()
        return [int(row[0]) for row in rows]

    # -- search ---------------------------------------------------------------------------------
    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dimensions:
            raise PgvectorIndexError(
                f"query has {query.shape[0]} dimensions, the index {self.dimensions}"
            )
        if k <= 0:
            return _empty()
        if allowed is None:
            return self._graph_search(query, k, max(self.ef_search, k))
        allowed = unique_keys(allowed)
        if len(allowed) == 0:
            return _empty()
        total = self._recent_count()
        if total == 0:
            return _empty()
        if len(allowed) <= self.exact_limit:
            return self._exact_search(query, k, allowed)
        # Ask the graph for enough neighbours that about candidate_factor * k pass the filter,
        # and filter here: only the candidates travel, never the (possibly huge) allowed set.
        wanted = math.ceil(self.candidate_factor * k * total / len(allowed)) + 16
        while wanted <= MAX_EF_SEARCH:
            keys, scores = self._graph_search(query, wanted, max(self.ef_search, wanted))
            passing = np.isin(keys, allowed)
            if int(passing.sum()) >= min(k, len(allowed)):
                return keys[passing][:k], scores[passing][:k]
            if wanted == MAX_EF_SEARCH or len(keys) < wanted:
                break
            wanted = min(MAX_EF_SEARCH, wanted * 4)
        # Too selective for a graph capped at MAX_EF_SEARCH candidates: score the subset.
        return self._exact_search(query, k, allowed)

    def _graph_search(
        self, query: npt.NDArray[np.float32], k: int, ef_search: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        statement = text(
            f"SELECT paper_key, {self._expression} <#> CAST(:query AS vector({self.dimensions})) "
            f"FROM {TABLE} WHERE model_id = {self._model_literal} "
            f"ORDER BY {self._expression} <#> CAST(:query AS vector({self.dimensions})) "
            "LIMIT :k"
        )
        with self.engine.begin() as connection:
            connection.execute(text(f"SET LOCAL hnsw.ef_search = {min(ef_search, MAX_EF_SEARCH)}"))
            rows = connection.execute(
                statement, {"query": vector_literal(query), "k": int(k)}
            ).all()
        return _as_result(rows)

    def _exact_search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        # MATERIALIZED keeps the planner from answering with the HNSW scan (which would filter
        # after the graph search and starve); the subset is fetched by primary key and scored.
        statement = text(
            f"WITH subset AS MATERIALIZED (SELECT paper_key, embedding FROM {TABLE} "
            f"WHERE model_id = {self._model_literal} AND paper_key = ANY(:allowed)) "
            f"SELECT paper_key, embedding <#> CAST(:query AS vector) AS distance FROM subset "
            "ORDER BY distance, paper_key LIMIT :k"
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                statement,
                {"query": vector_literal(query), "k": int(k), "allowed": allowed.tolist()},
            ).all()
        return _as_result(rows)


def unique_keys(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct keys. Filters usually arrive sorted already (keys_matching orders by
    key), which is checked in one pass; np.unique is many times slower on 10^5 keys."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return keys
    ordered = np.sort(keys)
    distinct = np.empty(len(ordered), dtype=bool)
    distinct[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=distinct[1:])
    result: npt.NDArray[np.int64] = ordered[distinct]
    return result


def _empty() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


def _as_result(rows: Any) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    if not rows:
        return _empty()
    keys = np.array([row[0] for row in rows], dtype=np.int64)
    # `<#>` is the negated inner product.
    similarities = -np.array([row[1] for row in rows], dtype=np.float32)
    return keys, similarities
