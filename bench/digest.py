"""Batched digest matching (HQI-style, rank/batch_match.py) against a naive per-subscriber loop.

10,000 synthetic subscribers whose interests are drawn from the real corpus (categories and
authors of real papers, saved searches that are real titles, liked papers that are real
papers from earlier days) are matched against the papers of one real announcement day of
../shared/data/arxiv-daily-cs, once as one batch and once subscriber by subscriber, in the
same process; the ratio is printed and both plans must choose exactly the same papers.

Vectors: the cached corpus matrix (~/.cache/likewise/arxiv-daily-cs.int8.npy, from
bench/embed_corpus.py) when present, else the day's papers and the interest texts are
embedded here with the real model (a minute or two; not part of the timed matching).

    nice -n 19 /tmp/venv/bin/python bench/digest.py [--subscribers 10000] [--day YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.embed.factory import make_embedder
from likewise.rank.batch_match import (
    MatchRequest,
    Selection,
    WindowPapers,
    fallback_calibration,
    match_batch,
    match_naive,
)
from likewise.rank.cosine_adapter import bundled_calibration
from likewise.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "arxiv-daily-cs"
CACHE = Path.home() / ".cache" / "likewise"
POOL = 300  # distinct saved-search titles and liked papers (their vectors are cached per
# interest in the product, so the pool only bounds the embedding done here)


def read_day(day: str | None) -> tuple[str, list[str], dict[str, dict[str, Any]]]:
    listings: dict[str, list[str]] = {}
    with gzip.open(CORPUS / "daily_listings.tsv.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            listed, arxiv_id = line.rstrip("\n").split("\t")
            listings.setdefault(listed, []).append(arxiv_id)
    if day is None:
        median = statistics.median(len(ids) for ids in listings.values())
        day = min(sorted(listings), key=lambda d: abs(len(listings[d]) - median))
    if day not in listings:
        raise SystemExit(f"no listing on {day}")
    papers: dict[str, dict[str, Any]] = {}
    with gzip.open(CORPUS / "papers.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            papers[record["id"]] = record
    return day, listings[day], papers


def vectors_for(
    ids: list[str], texts: dict[str, str], queries: list[str], fake: bool
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], str]:
    """(document vectors of ids, query vectors of queries, where they came from)."""
    settings = Settings(embedder="fake" if fake else "minilm-int8", embed_threads=2)
    embedder = make_embedder(settings)
    saved = CACHE / f"bench-digest-{embedder.model_id}-{len(ids)}-{len(queries)}.npz"
    if saved.is_file():
        stored = np.load(saved)
        if list(stored["ids"]) == ids:
            return stored["documents"], stored["queries"], f"{embedder.model_id} (cached {saved})"
    matrix_path, ids_path = CACHE / "arxiv-daily-cs.int8.npy", CACHE / "arxiv-daily-cs.int8.ids.txt"
    if not fake and matrix_path.is_file() and ids_path.is_file():
        row_of = {arxiv_id: row for row, arxiv_id in enumerate(ids_path.read_text().split())}
        matrix = np.load(matrix_path, mmap_mode="r")
        documents = np.stack([matrix[row_of[arxiv_id]] for arxiv_id in ids]).astype(np.float32)
        source = f"{embedder.model_id} (cached corpus vectors {matrix_path})"
    else:
        documents = embedder.embed_documents([texts[arxiv_id] for arxiv_id in ids])
        source = f"{embedder.model_id} (embedded here)"
    query_vectors = np.stack([embedder.embed_query(q) for q in queries])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(saved, ids=np.array(ids), documents=documents, queries=query_vectors)
    return documents, query_vectors, source


def calibration_for(
    vectors: npt.NDArray[np.float32], window: WindowPapers, source: str
) -> npt.NDArray[np.float64]:
    """Each interest's Cosine Adapter (a(q), b(q)) from the bundled calibration when it was
    fit for this model (features from its top-10 scores over the day), else the fallback."""
    model_id = source.split(" ")[0]
    calibration = bundled_calibration(model_id)
    adapter = calibration.adapter_for("dense") if calibration is not None else None
    if adapter is None:
        print(f"calibration: fallback logistic (none bundled for {model_id})", file=sys.stderr)
        return fallback_calibration(len(vectors))
    print(f"calibration: bundled Cosine Adapter for {model_id}", file=sys.stderr)
    top = np.sort(vectors @ window.vectors.T, axis=1)[:, ::-1][:, :10]
    return np.array(
        [adapter.parameters(vector, scores) for vector, scores in zip(vectors, top, strict=True)],
        dtype=np.float64,
    )


def synthetic_requests(
    count: int,
    window: WindowPapers,
    pool: dict[str, Any],
    generator: np.random.Generator,
    since: date,
) -> list[MatchRequest]:
    category_counts = Counter(c for cats in window.categories for c in cats)
    categories = sorted(category_counts)
    weights = np.array([category_counts[c] for c in categories], dtype=np.float64)
    weights /= weights.sum()
    requests = []
    for number in range(count):
        picked = generator.choice(
            len(categories), size=int(generator.integers(0, 3)), replace=False, p=weights
        )
        rows: list[int] = []
        reasons: list[str] = []
        for _ in range(int(generator.integers(0, 3))):  # saved searches
            row = int(generator.integers(0, len(pool["search_titles"])))
            rows.append(row)
            reasons.append(f"matches your search '{pool['search_titles'][row][:60]}'")
        for _ in range(int(generator.integers(0 if rows else 1, 3))):  # papers like these
            row = int(generator.integers(0, len(pool["liked_titles"])))
            rows.append(len(pool["search_titles"]) + row)
            reasons.append(f"similar to “{pool['liked_titles'][row][:60]}”")
        authors = frozenset(
            pool["authors"][int(i)]
            for i in generator.integers(0, len(pool["authors"]), size=int(generator.integers(0, 3)))
        )
        requests.append(
            MatchRequest(
                subscriber_id=number,
                query_vectors=pool["vectors"][rows],
                query_reasons=reasons,
                query_calibration=pool["calibration"][rows],
                query_ids=rows,  # one saved search or liked paper: the same row for everyone
                categories=frozenset(categories[int(i)] for i in picked),
                authors=authors,
                since=since,
                threshold=float(generator.choice([0.3, 0.5, 0.7])),
                exclude=frozenset(generator.choice(window.ids, size=int(generator.integers(0, 4)))),
                trending=5 if generator.random() < 0.1 else 0,
                limit=25,
            )
        )
    return requests


def same(batch: list[Selection], naive: list[Selection]) -> int:
    """How many subscribers got different picks (0 expected)."""
    different = 0
    for left, right in zip(batch, naive, strict=True):
        chosen = [(p.column, p.reason) for p in left.picks]
        expected = [(p.column, p.reason) for p in right.picks]
        scores = np.array([p.score for p in left.picks])
        reference = np.array([p.score for p in right.picks])
        if chosen != expected or not np.allclose(scores, reference):
            different += 1
    return different


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--day", help="announcement day (default: the one nearest the median size)")
    parser.add_argument("--fake", action="store_true", help="FakeEmbedder vectors (smoke test)")
    parser.add_argument("--seed", type=int, default=2023)
    arguments = parser.parse_args()
    generator = np.random.default_rng(arguments.seed)
    day, day_ids, papers = read_day(arguments.day)
    day_ids = [arxiv_id for arxiv_id in day_ids if arxiv_id in papers]
    earlier = [arxiv_id for arxiv_id, record in papers.items() if record["first_listed"] < day]
    sample = [earlier[int(i)] for i in generator.choice(len(earlier), size=2 * POOL, replace=False)]
    search_titles = [" ".join(papers[i]["title"].split()) for i in sample[:POOL]]
    liked = sample[POOL:]
    texts = {i: f"{papers[i]['title']}. {papers[i]['abstract']}" for i in day_ids + liked}
    print(
        f"day {day}: {len(day_ids)} papers; embedding the window and {2 * POOL} interests ...",
        file=sys.stderr,
    )
    documents, queries, source = vectors_for(day_ids + liked, texts, search_titles, arguments.fake)
    window = WindowPapers(
        ids=day_ids,
        vectors=documents[: len(day_ids)],
        categories=[frozenset(papers[i]["categories"]) for i in day_ids],
        authors=[frozenset(a.casefold() for a in papers[i]["authors"]) for i in day_ids],
        announced=[date.fromisoformat(day)] * len(day_ids),
        trending_rank=generator.permutation(len(day_ids)).astype(np.int64),
    )
    everyone = sorted({a.casefold() for i in earlier[-20000:] for a in papers[i]["authors"]})
    today = sorted({a for names in window.authors for a in names})
    vectors = np.concatenate([queries, documents[len(day_ids) :]]).astype(np.float32)
    pool = {
        "search_titles": search_titles,
        "liked_titles": [papers[i]["title"] for i in liked],
        # Mostly authors of other days (no match), some of this day's.
        "authors": everyone[:: max(1, len(everyone) // 3000)] + today,
        "vectors": vectors,
        "calibration": calibration_for(vectors, window, source),
    }
    requests = synthetic_requests(
        arguments.subscribers, window, pool, generator, date.fromisoformat(day)
    )
    partitions = len({r.since for r in requests})
    category_sets = len({r.categories for r in requests})
    # The corpus loaded above is millions of live objects: without this, every full garbage
    # collection during the timings scans it, which measures the loader rather than matching.
    del papers
    gc.collect()
    gc.freeze()
    batch_times, naive_times = [], []
    for _ in range(3):
        started = time.perf_counter()
        batch = match_batch(requests, window)
        batch_times.append(time.perf_counter() - started)
    started = time.perf_counter()
    naive = match_naive(requests, window)
    naive_times.append(time.perf_counter() - started)
    batch_time, naive_time = min(batch_times), min(naive_times)
    picks = sum(len(selection.picks) for selection in batch)
    print(f"vectors: {source}")
    print(
        f"{len(requests)} subscribers, {len(day_ids)} papers on {day}, {partitions} date "
        f"partition(s), {category_sets} distinct category sets, "
        f"{sum(len(r.query_reasons) for r in requests)} interest vectors, {picks} picks"
    )
    print(f"naive per-subscriber loop: {naive_time:.3f} s")
    print(f"batched (HQI partitions):  {batch_time:.3f} s (best of 3)")
    print(f"speed-up: {naive_time / batch_time:.1f}x (target >= 10x)")
    different = same(batch, naive)
    print(f"same selections: {'yes' if different == 0 else f'NO ({different} subscribers differ)'}")
    return 0 if different == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
