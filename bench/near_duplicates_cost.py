"""What near-duplicate detection adds to an ingest: the first N arxiv-daily-cs papers ingested
into a fresh SQLite catalog with detection off, then checked (services/near_duplicates.py),
both timed in the same run; prints the check's time as a ratio of the ingest's.

    PYTHONPATH=src nice -n 10 python bench/near_duplicates_cost.py [--papers 4000]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from likewise.embed.fake import FakeEmbedder
from likewise.ingest.jsonl import JsonlSource
from likewise.library import Library
from likewise.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--papers", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="likewise-near-dup-") as folder:
        home = Path(folder)
        source = home / "papers.jsonl"
        with gzip.open(args.data, "rt", encoding="utf-8") as lines, source.open("w") as out:
            for number, line in enumerate(lines):
                if number == args.papers:
                    break
                out.write(line)
        settings = Settings(
            home=home / "home", database_url=f"sqlite:///{home / 'likewise.db'}", embedder="fake"
        )
        settings.home.mkdir()
        with Library.open(settings, embedder=FakeEmbedder()) as library:
            checker = library.near_duplicates
            library.catalog._near_duplicates = None  # the baseline: the same ingest without it
            started = time.perf_counter()
            library.catalog.ingest(JsonlSource(source))
            ingest = time.perf_counter() - started
            started = time.perf_counter()
            summary = checker.update()
            check = time.perf_counter() - started
    print(
        f"{args.papers} papers: ingest {ingest:.1f} s, near-duplicate check {check:.1f} s "
        f"({summary.pairs} pairs) = {check / ingest:.2f}x the ingest, "
        f"{1000 * check / args.papers:.1f} ms per paper"
    )


if __name__ == "__main__":
    main()
