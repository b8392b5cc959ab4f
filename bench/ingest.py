"""Ingest throughput: parse + store of the 74,728-paper daily file into a fresh SQLite catalog.

Every figure is a ratio against a baseline measured in the same process: plain ``json.loads``
of every line of the same gzip file. Run from the repository root:

    nice -n 19 python bench/ingest.py [--path FILE] [--limit N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import tempfile
import time
from pathlib import Path

from likewise.ingest.jsonl import JsonlSource
from likewise.library import Library
from likewise.settings import Settings

DEFAULT_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared/data/arxiv-daily-cs/papers.jsonl.gz"
)


def bare_parse(path: Path, limit: int | None) -> tuple[int, float]:
    """Baseline: decompress and json.loads every line, nothing else."""
    started = time.perf_counter()
    count = 0
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as lines:
        for line in itertools.islice(lines, limit):
            json.loads(line)
            count += 1
    return count, time.perf_counter() - started


def parse_only(path: Path, limit: int | None, batch_size: int) -> tuple[int, float]:
    """likewise's parser (records -> Paper objects), without the store."""
    started = time.perf_counter()
    count = 0
    for batch in JsonlSource(path).batches(None, batch_size):
        count += len(batch.papers) + len(batch.rejected)
        if limit is not None and count >= limit:
            break
    return count, time.perf_counter() - started


def parse_and_store(path: Path, limit: int | None, batch_size: int) -> tuple[int, float, int]:
    """The real pipeline: CatalogService.ingest into a throw-away SQLite catalog (a txn a batch)."""
    with tempfile.TemporaryDirectory(prefix="likewise-bench-") as folder:
        source_path = path
        if limit is not None:  # a head of the file, so that --limit measures the same work
            source_path = Path(folder) / "head.jsonl"
            with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as lines:
                source_path.write_bytes(b"".join(itertools.islice(lines, limit)))
        settings = Settings(home=Path(folder) / "home", embedder="fake")
        with Library.open(settings) as library:
            started = time.perf_counter()
            summary = library.catalog.ingest(JsonlSource(source_path), batch_size=batch_size)
            elapsed = time.perf_counter() - started
            stored = library.store.count_papers()
    return summary.read, elapsed, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--limit", type=int, help="only the first N lines")
    parser.add_argument("--batch-size", type=int, default=2000)
    arguments = parser.parse_args()
    path, limit, batch_size = arguments.path, arguments.limit, arguments.batch_size

    baseline_count, baseline_seconds = bare_parse(path, limit)
    parsed_count, parse_seconds = parse_only(path, limit, batch_size)
    read, total_seconds, stored = parse_and_store(path, limit, batch_size)

    def rate(count: int, seconds: float) -> str:
        return f"{count / seconds:,.0f} papers/s"

    print(f"file: {path} ({baseline_count} lines)")
    rows = [
        ("baseline json.loads", baseline_count, baseline_seconds, ""),
        ("likewise parse only", parsed_count, parse_seconds, ""),
        ("likewise parse + store", read, total_seconds, f", {stored} stored"),
    ]
    for label, count, seconds, extra in rows:
        print(f"{label + ':':<28}{rate(count, seconds)} ({seconds:.2f} s{extra})")
    store_seconds = max(total_seconds - parse_seconds, 0.0)
    print(f"ratio parse/baseline:       {parse_seconds / baseline_seconds:.2f}x")
    print(f"ratio parse+store/baseline: {total_seconds / baseline_seconds:.2f}x")
    print(f"ratio store/baseline:       {store_seconds / baseline_seconds:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
