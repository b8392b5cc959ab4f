"""Search latency over the real arXiv corpus, as a ratio against bare embedding + index search.

For each query, in the same process and interleaved: the bare path (embed the query, search
the vector index for the top 10) and the full `Library.search` (embedding, lexical BM25 and
dense retrieval, fusion, calibration, fetching the hits). Prints p50/p95 per stage and the
full/bare ratio (target <= 1.3x), plus index build time and bytes per paper.

Corpus: ../shared/data/arxiv-daily-cs/papers.jsonl.gz (74,728 papers). Vectors come from the
cache written by bench/embed_corpus.py (~/.cache/likewise/arxiv-daily-cs.int8.npy); while that
is incomplete, only the papers embedded so far are used (the output says how many).

    nice -n 19 /tmp/venv/bin/python bench/search.py [--queries 60] [--ann] [--fusion rrf]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from likewise.index.base import VectorIndex
from likewise.index.persisted import index_paths
from likewise.ingest.jsonl import paper_from_record
from likewise.library import Library
from likewise.models import Announcement, Paper
from likewise.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
CACHE = Path.home() / ".cache" / "likewise"
KEYWORD_QUERIES = [
    "diffusion models for video generation",
    "retrieval augmented generation hallucination",
    "vision language model benchmark",
    "3D gaussian splatting",
    "low resource machine translation",
    "chain of thought reasoning in large language models",
    "medical image segmentation with transformers",
    "reinforcement learning from human feedback",
    "open vocabulary object detection",
    "speech recognition for low resource languages",
    "graph neural networks",
    "efficient attention for long context",
    "jailbreak attacks on LLMs",
    "autonomous driving trajectory prediction",
    "knowledge distillation for small models",
    "multilingual sentiment analysis",
    "mixture of experts",
    "text to image evaluation metrics",
    "agent planning with tools",
    "continual learning catastrophic forgetting",
]


def cached_vectors() -> tuple[list[str], np.ndarray, str]:
    """(ids, matrix, description) of the corpus vectors embedded so far."""
    matrix_path = CACHE / "arxiv-daily-cs.int8.npy"
    ids_path = CACHE / "arxiv-daily-cs.int8.ids.txt"
    if matrix_path.is_file() and ids_path.is_file():
        return ids_path.read_text().split(), np.load(matrix_path), "complete corpus cache"
    parts = CACHE / "arxiv-daily-cs.int8.parts"
    all_ids = (parts / "ids.txt").read_text().split() if (parts / "ids.txt").is_file() else []
    blocks: list[np.ndarray] = []
    for part in sorted(parts.glob("part-*.npy")) if parts.is_dir() else []:
        if part.name.endswith(".tmp.npy"):
            continue
        if int(part.stem.split("-")[1]) != sum(len(block) for block in blocks):
            break  # only a contiguous prefix is usable
        blocks.append(np.load(part))
    if not blocks:
        raise SystemExit("no corpus vectors cached yet: run bench/embed_corpus.py first")
    matrix = np.concatenate(blocks)
    return all_ids[: len(matrix)], matrix, "partial cache (a slice of the corpus)"


def read_papers(wanted: set[str]) -> tuple[list[Paper], list[Announcement]]:
    papers, announcements = [], []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                paper, listed = paper_from_record(record)
                papers.append(paper)
                announcements.extend(listed)
    return papers, announcements


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_queries(
    library: Library, index: VectorIndex, queries: list[str], fusion: str
) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """Seconds per query of the bare path and the full search, and the search's stages."""
    embedder = library.embedder
    bare: list[float] = []
    full: list[float] = []
    stages: dict[str, list[float]] = {
        "embedding": [],
        "retrieval": [],
        "bm25 (parallel)": [],
        "fusion": [],
        "fetch": [],
    }
    shown: list[int] = []

    def run_bare(query: str) -> None:
        start = time.perf_counter()
        index.search(embedder.embed_query(query), 10)
        bare.append(time.perf_counter() - start)

    def run_full(query: str) -> None:
        start = time.perf_counter()
        result = library.search(query, fusion=fusion)
        full.append(time.perf_counter() - start)
        shown.append(len(result.hits))
        timing = result.timings
        stages["embedding"].append(timing.get("embed", 0.0))
        # BM25 runs in a worker thread during the embedding; only the wait after the dense
        # search adds to the wall time ("bm25 (parallel)" shows its own duration).
        stages["retrieval"].append(
            timing.get("dense", 0.0) + timing.get("lexical wait", 0.0) + timing.get("filter", 0.0)
        )
        stages["bm25 (parallel)"].append(timing.get("lexical", 0.0))
        stages["fusion"].append(timing.get("fusion", 0.0) + timing.get("calibrate", 0.0))
        stages["fetch"].append(timing.get("fetch", 0.0))

    for number, query in enumerate(queries):
        # Alternate the order so neither path always runs on warmer caches.
        first, second = (run_bare, run_full) if number % 2 else (run_full, run_bare)
        first(query)
        second(query)
    empty = sum(1 for count in shown if count == 0)
    print(
        f"relevance cut-off: {empty}/{len(shown)} queries had no good matches; median "
        f"{statistics.median(shown):.0f} of 10 hits shown"
    )
    return bare, full, stages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=60, help="queries to time (after warm-up)")
    parser.add_argument("--ann", action="store_true", help="force the usearch index")
    parser.add_argument("--fusion", default=None, help="fusion to time (default: the setting)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads")
    parser.add_argument("--threshold", type=float, help="relevance cut-off (default: setting)")
    arguments = parser.parse_args()

    ids, matrix, described = cached_vectors()
    row_of = {arxiv_id: row for row, arxiv_id in enumerate(ids)}
    papers, announcements = read_papers(set(ids))
    print(f"corpus: {len(papers):,} papers with vectors of 74,728 ({described})")
    with tempfile.TemporaryDirectory(prefix="likewise-bench-") as folder:
        settings = Settings(
            home=Path(folder),
            embed_threads=arguments.threads,
            ann_threshold=0 if arguments.ann else Settings().ann_threshold,
            relevance_threshold=(
                Settings().relevance_threshold
                if arguments.threshold is None
                else arguments.threshold
            ),
        )
        library = Library.open(settings)
        fusion = arguments.fusion or settings.fusion
        started = time.perf_counter()
        for start in range(0, len(papers), 5_000):
            chunk = papers[start : start + 5_000]
            chosen = {paper.arxiv_id for paper in chunk}
            library.store.upsert_papers(
                chunk,
                source="bench",
                announcements=[a for a in announcements if a.arxiv_id in chosen],
            )
        library.store.lexical_search("warm up the full-text index", 1)
        ingest_seconds = time.perf_counter() - started
        model_id = library.embedder.model_id
        started = time.perf_counter()
        library.store.put_vectors(
            model_id, [(p.arxiv_id, p.content_hash(), matrix[row_of[p.arxiv_id]]) for p in papers]
        )
        store_seconds = time.perf_counter() - started
        started = time.perf_counter()
        index = library.vector_index()
        build_seconds = time.perf_counter() - started
        usearch_file = index_paths(Path(folder), model_id).usearch
        if usearch_file.is_file():
            index_bytes, where = usearch_file.stat().st_size, f"usearch file {usearch_file.name}"
        else:
            # The exact index is a float32 matrix in memory, rebuilt from the stored vectors.
            index_bytes, where = len(index) * library.embedder.dimension * 4, "exact, in memory"
        database_bytes = sum(p.stat().st_size for p in Path(folder).glob("likewise.db*"))
        kind = type(index).__name__
        print(
            f"catalog: ingest + full-text index {ingest_seconds:.1f} s, vectors stored in "
            f"{store_seconds:.1f} s; {kind} built in {build_seconds:.2f} s"
        )
        per_paper = index_bytes / len(papers)
        print(
            f"bytes per paper: vector index {per_paper:,.0f} ({where}); SQLite catalog incl. "
            f"full-text index and stored vectors {database_bytes / len(papers):,.0f}"
        )

        generator = random.Random(7)
        titles = [paper.title for paper in generator.sample(papers, arguments.queries)]
        queries = (KEYWORD_QUERIES + titles)[: arguments.queries]
        embedder = library.embedder
        for query in queries[:5]:  # warm-up: sessions, caches, page cache
            library.search(query, fusion=fusion)
            index.search(embedder.embed_query(query), 10)
        bare, full, stages = time_queries(library, index, queries, fusion)
        library.close()

    print(
        f"\n{len(queries)} queries ({len(KEYWORD_QUERIES)} keyword queries, rest paper "
        f"titles), fusion={fusion}, top 10"
    )
    print(f"{'stage':<30}{'p50 ms':>9}{'p95 ms':>9}")
    rows = [(f"  search: {name}", values) for name, values in stages.items()]
    rows += [("search (whole call)", full), ("bare embed + index search", bare)]
    for name, values in rows:
        print(
            f"{name:<30}{percentile(values, 0.5) * 1e3:>9.1f}{percentile(values, 0.95) * 1e3:>9.1f}"
        )
    ratio_50 = percentile(full, 0.5) / percentile(bare, 0.5)
    ratio_95 = percentile(full, 0.95) / percentile(bare, 0.95)
    print(f"ratio search / bare: p50 {ratio_50:.2f}x, p95 {ratio_95:.2f}x (target <= 1.3x)")
    print(f"mean {statistics.mean(full) * 1e3:.1f} ms vs {statistics.mean(bare) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
