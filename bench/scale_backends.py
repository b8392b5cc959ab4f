"""Index back-ends of bench/scale.py: each builds an index over a catalog and returns (search
function, build seconds, bytes on disk, the index object)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Keys = npt.NDArray[np.int64]
SearchFunction = Callable[[Matrix, int, Keys | None], tuple[Keys, Matrix]]


def usearch_backend(catalog: Matrix) -> tuple[SearchFunction, float, int, Any]:
    from likewise.index.usearch_index import UsearchIndex

    index = UsearchIndex(catalog.shape[1])
    started = time.perf_counter()
    block = 100_000
    for start in range(0, len(catalog), block):
        keys = np.arange(start, min(len(catalog), start + block), dtype=np.int64)
        index.add(keys, catalog[start : start + block])
    build = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.usearch"
        index.save(path)
        size = path.stat().st_size
    return index.search, build, size, index


def compressed_backend(
    catalog: Matrix, arguments: argparse.Namespace
) -> tuple[SearchFunction, float, int, Any]:
    """Reduction fitted on up to 100k catalog vectors (evenly spaced), counted in the build."""
    from likewise.index.linear_reduction import fit_pca
    from likewise.index.usearch_index import UsearchIndex, reduction_path

    started = time.perf_counter()
    step = max(1, len(catalog) // 100_000)
    reduction = fit_pca(
        catalog[::step], arguments.reduced_dimensions, center=arguments.reduction == "pca-centred"
    )
    index = UsearchIndex(
        catalog.shape[1],
        dtype=arguments.compressed_dtype,
        reduction=reduction,
        rerank_factor=arguments.rerank_factor,
    )
    block = 100_000
    for start in range(0, len(catalog), block):
        keys = np.arange(start, min(len(catalog), start + block), dtype=np.int64)
        index.add(keys, catalog[start : start + block])
    build = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.usearch"
        index.save(path)
        size = path.stat().st_size + reduction_path(path).stat().st_size
    return index.search, build, size, index


def pgvector_backend(
    catalog: Matrix, database_url: str, graph_degree: int, construction_breadth: int
) -> tuple[SearchFunction, float, int, Any]:
    from sqlalchemy import create_engine, text

    from likewise.index.pgvector_index import PgvectorIndex

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        connection.execute(text("DROP TABLE IF EXISTS vector_index"))
        connection.execute(
            text(
                "CREATE TABLE vector_index (model_id varchar(128) NOT NULL, paper_key bigint "
                "NOT NULL, embedding vector NOT NULL, PRIMARY KEY (model_id, paper_key))"
            )
        )
    index = PgvectorIndex(
        engine, "bench", catalog.shape[1], m=graph_degree, ef_construction=construction_breadth
    )
    started = time.perf_counter()
    block = 100_000
    for start in range(0, len(catalog), block):
        keys = np.arange(start, min(len(catalog), start + block), dtype=np.int64)
        index.add(keys, catalog[start : start + block])
    loaded = time.perf_counter()
    index.build(maintenance_memory="6GB", workers=2)
    build = time.perf_counter() - started
    print(
        f"    pgvector (m {graph_degree}, ef_construction {construction_breadth}): "
        f"load {loaded - started:.0f} s, graph {build - (loaded - started):.0f} s"
    )
    return index.search, build, index.size_bytes(), index


def start_postgres(folder: Path) -> tuple[Any, str]:
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    # Larger buffers than the 128 MB default; the restart below applies them.
    server.psql("ALTER SYSTEM SET shared_buffers = '2GB';")
    server.psql("ALTER SYSTEM SET max_parallel_workers_per_gather = 0;")
    server.cleanup()
    server = pgserver.get_server(folder, cleanup_mode="stop")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    return server, url
