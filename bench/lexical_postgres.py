"""Lexical search quality and latency on PostgreSQL against SQLite FTS5 BM25 in the same run.

SciFact train claims (qrels from `cited_doc_ids`) over the 5,183 SciFact abstracts: nDCG@10,
Recall@100 and mean latency for SQLite's FTS5 BM25 (the baseline), the plain ts_rank_cd
ranking of store/catalog.py, the IDF-weighted ranking of store/postgres.py, and the
in-process BM25 index (index/inverted.py, rank/bm25.py) that search uses on both backends.

    nice -n 19 /tmp/venv/bin/python bench/lexical_postgres.py [--queries 809]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ranx import Qrels, Run, evaluate

from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.rank.lexical import lexical_candidates
from likewise.settings import Settings
from likewise.store.base import CatalogStore
from likewise.store.catalog import SqlCatalogStore
from likewise.store.factory import open_store

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"
Search = Callable[[str, int], list[tuple[str, float]]]


def load() -> tuple[list[Paper], list[dict[str, object]]]:
    papers = []
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            papers.append(
                Paper(
                    f"local:{record['doc_id']}",
                    record["title"],
                    abstract=" ".join(record["abstract_sentences"]),
                    source="scifact",
                )
            )
    with (SCIFACT / "claims_train.jsonl").open(encoding="utf-8") as handle:
        claims = [json.loads(line) for line in handle]
    return papers, [claim for claim in claims if claim["cited_doc_ids"]]


def score(label: str, search: Search, claims: list[dict[str, object]], qrels: Qrels) -> float:
    runs: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for claim in claims:
        hits = search(str(claim["claim"]), 100)
        runs[str(claim["id"])] = {arxiv_id: value for arxiv_id, value in hits} or {"-": 0.0}
    milliseconds = 1000 * (time.perf_counter() - started) / len(claims)
    result = evaluate(qrels, Run(runs), ["ndcg@10", "recall@100"], make_comparable=True)
    print(
        f"{label:44} nDCG@10 {result['ndcg@10']:.3f}  Recall@100 {result['recall@100']:.3f}  "
        f"{milliseconds:6.1f} ms/query",
        flush=True,
    )
    return milliseconds


def in_process(store: CatalogStore, home: Path) -> Search:
    """Search through the in-process index over this store's papers (built here, timed)."""
    library = Library(Settings(home=home, embedder="fake"), store, FakeEmbedder())
    started = time.perf_counter()
    index = library.lexical.rebuild_lexical_index()
    print(
        f"{'':44} in-process index over {index:,} papers built in "
        f"{time.perf_counter() - started:.1f} s"
    )

    def search(text: str, limit: int) -> list[tuple[str, float]]:
        return lexical_candidates(
            store, text, limit, lexical_index=library.lexical.lexical_index
        ).hits

    return search


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=809, help="first N train claims")
    arguments = parser.parse_args(argv)
    papers, claims = load()
    claims = claims[: arguments.queries]
    qrels = Qrels(
        {
            str(claim["id"]): {f"local:{doc}": 1 for doc in claim["cited_doc_ids"]}  # type: ignore[attr-defined]
            for claim in claims
        }
    )
    folder = Path(tempfile.mkdtemp(prefix="likewise-lexical-"))
    server = None
    try:
        sqlite = open_store(f"sqlite:///{folder / 'likewise.db'}")
        sqlite.upsert_papers(papers, source="scifact")
        baseline = score("SQLite FTS5 BM25 (baseline)", sqlite.lexical_search, claims, qrels)
        taken = score(
            "in-process BM25 over SQLite", in_process(sqlite, folder / "sqlite-home"), claims, qrels
        )
        print(f"{'':44} latency {taken / baseline:.2f}x the SQLite baseline")
        sqlite.close()

        import pgserver

        server = pgserver.get_server(folder / "postgres", cleanup_mode="stop")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        postgres = open_store(url)
        postgres.upsert_papers(papers, source="scifact")
        plain = SqlCatalogStore(postgres.engine)
        for label, search in (
            ("PostgreSQL ts_rank_cd (store/catalog.py)", plain.lexical_search),
            ("PostgreSQL IDF-weighted (store/postgres.py)", postgres.lexical_search),
            ("in-process BM25 over PostgreSQL", in_process(postgres, folder / "postgres-home")),
        ):
            taken = score(label, search, claims, qrels)
            print(f"{'':44} latency {taken / baseline:.2f}x the SQLite baseline")
        postgres.close()
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
