"""Personal-feed speed: 1,000 readers over ~1,000 new papers scored in one score_readers batch
against a per-reader loop in the same run (real all-MiniLM-L6-v2 vectors from the cache that
`likewise eval recommend` writes), with the served model: the shipped map and up to 2,000
earlier papers as Rocchio's background. Prints the ratio and the time per reader.

    PYTHONPATH=src nice -n 10 python bench/recommend.py [--readers 1000] [--loop-readers 100]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from likewise.cli.evaluation_recommend import recommend_cache_dir
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.recommend import library_rows
from likewise.evaluate.recommend_data import Protocol, build_task, cached_vectors, read_papers
from likewise.rank.personal_feed import (
    BACKGROUND_TEXTS,
    ReaderProfile,
    ReaderScores,
    score_readers,
)
from likewise.rank.personal_linear_map import bundled_map
from likewise.rank.personal_profiles import uniform_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--papers", type=Path, default=Path("../shared/data/arxiv-daily-cs/papers.jsonl.gz")
    )
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--loop-readers", type=int, default=100, help="readers timed one by one")
    parser.add_argument("--profile-size", type=int, default=12)
    arguments = parser.parse_args()
    task = build_task(read_papers(arguments.papers), Protocol())
    # The evaluation's cache: run `likewise eval recommend` first, or this embeds ~5,000 papers.
    embedder = OnnxMiniLMEmbedder()
    vectors = cached_vectors(task.papers, embedder, recommend_cache_dir())
    dense_map = bundled_map(embedder.model_id)
    earlier = [paper.text for paper in reversed(task.background)][:BACKGROUND_TEXTS]
    library = library_rows(task)
    window = list(task.candidates[: arguments.candidates])
    candidates = vectors[window]
    texts = [task.papers[row].text for row in window]
    generator = np.random.default_rng(5)
    profiles = []
    for reader in range(arguments.readers):
        rows = generator.choice(library, arguments.profile_size, replace=False)
        profiles.append(
            ReaderProfile(
                f"reader{reader}",
                vectors[rows],
                uniform_weights(len(rows)),
                positive_texts=tuple(task.papers[row].text for row in rows),
            )
        )

    def served(readers: list[ReaderProfile]) -> ReaderScores:
        return score_readers(
            readers,
            candidates,
            candidate_texts=texts,
            dense_map=dense_map,
            background_texts=earlier,
        )

    start = time.perf_counter()
    batch = served(profiles)
    batch_seconds = time.perf_counter() - start
    loop = profiles[: arguments.loop_readers]
    start = time.perf_counter()
    for profile in loop:
        served([profile])
    loop_seconds = time.perf_counter() - start
    per_batch = batch_seconds / len(profiles)
    per_loop = loop_seconds / len(loop)
    mapping = "shipped map" if dense_map is not None else "no map (identity)"
    print(f"{len(profiles)} readers x {len(window)} candidates, {batch.scores.shape}")
    print(f"{mapping}; {len(earlier)} earlier papers as Rocchio's background")
    print(f"batch: {batch_seconds:.2f} s in all, {per_batch * 1000:.2f} ms per reader")
    print(f"per-reader loop ({len(loop)} readers): {per_loop * 1000:.1f} ms per reader")
    print(f"ratio (loop / batch, per reader): {per_loop / per_batch:.1f}x")


if __name__ == "__main__":
    main()
