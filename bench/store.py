"""Catalog store throughput on the 74,728-paper daily file, store only (no ingest parser).

Every figure is a ratio against plain ``json.loads`` of the same lines, timed in the same
process. Lines are read and turned into Paper objects up front, so the store figures cover
upsert_papers alone. Run from the repository root:

    nice -n 19 python bench/store.py [--limit N] [--batch-size N] [--url DATABASE_URL]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from likewise.models import Paper
from likewise.store.factory import open_store

DEFAULT_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared/data/arxiv-daily-cs/papers.jsonl.gz"
)


def _paper(record: dict[str, Any]) -> Paper:
    return Paper(
        arxiv_id=record["id"],
        title=record["title"],
        abstract=record["abstract"],
        authors=record["authors"],
        categories=record["categories"],
        comment=record["comment"],
        announced=date.fromisoformat(record["first_listed"]),
        source="bench",
    )


def _timed_batches(store: Any, papers: list[Paper], batch_size: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(papers), batch_size):
        store.upsert_papers(
            papers[start : start + batch_size], source="bench", checkpoint=str(start)
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--limit", type=int, help="only the first N lines")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    arguments = parser.parse_args()

    with gzip.open(arguments.path, "rb") as lines:
        raw = list(itertools.islice(lines, arguments.limit))
    started = time.perf_counter()
    records = [json.loads(line) for line in raw]
    baseline = time.perf_counter() - started
    papers = [_paper(record) for record in records]

    with tempfile.TemporaryDirectory(prefix="likewise-bench-store-") as folder:
        store = open_store(arguments.url or f"sqlite:///{folder}/catalog.db")
        try:
            first = _timed_batches(store, papers, arguments.batch_size)
            started = time.perf_counter()
            indexed = store.refresh_search_index()
            refresh = time.perf_counter() - started
            again = _timed_batches(store, papers, arguments.batch_size)
            stored = store.count_papers()
        finally:
            store.close()

    def line(label: str, seconds: float) -> str:
        rate = len(papers) / seconds if seconds else float("inf")
        return (
            f"{label:<34} {seconds:7.2f} s  {rate:9,.0f} papers/s  "
            f"{seconds / baseline:5.2f}x json.loads"
        )

    print(f"{len(papers)} papers from {arguments.path}, batches of {arguments.batch_size}")
    print(line("baseline json.loads", baseline))
    print(line("upsert_papers, new catalog", first))
    print(line(f"refresh_search_index ({indexed})", refresh))
    print(line("upsert_papers again (unchanged)", again))
    print(f"papers stored: {stored}")


if __name__ == "__main__":
    main()
