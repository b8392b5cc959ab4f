"""`likewise eval recommend`: the personal feed against zotero-arxiv-daily's and
arxiv-sanity-lite's methods on arxiv-daily-cs, fit and held-out readers (docs/recommend.md)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from likewise.cli.common import fail, print_json

SPLITS = ("fit", "held-out")
Report = Callable[
    [argparse.Namespace, str, dict[str, dict[str, dict[str, float]]], tuple[str, ...]], int
]


def recommend_cache_dir() -> Path:
    """Where the vectors of the evaluation's papers are cached (XDG cache folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "likewise" / "recommend"


def add_recommend_arguments(parser: argparse.ArgumentParser) -> None:
    from likewise.evaluate.recommend_data import Protocol

    defaults = Protocol()
    group = parser.add_argument_group("recommend (the personal feed)")
    group.add_argument(
        "--papers",
        type=Path,
        help="arxiv-daily-cs style JSON lines (default: DATA/arxiv-daily-cs/papers.jsonl.gz)",
    )
    group.add_argument("--cutoff", default=defaults.cutoff, help="YYYY-MM-DD (%(default)s)")
    group.add_argument("--window-days", type=int, default=defaults.window_days)
    group.add_argument("--readers", type=int, default=defaults.readers, help="authors sampled")
    group.add_argument("--min-papers", type=int, default=defaults.min_papers)
    group.add_argument("--profile-size", type=int, default=defaults.profile_size)
    group.add_argument(
        "--background",
        type=int,
        default=defaults.background,
        help="earlier papers added to the TF-IDF catalog (not embedded)",
    )
    group.add_argument("--seed", type=int, default=defaults.seed, help="sampling + split seed")
    group.add_argument(
        "--every-author",
        action=argparse.BooleanOptionalAction,
        default=defaults.every_author,
        help="every eligible author, not only the --readers sample (which keeps its split; the "
        "others are split by the seed); --no-every-author: the sample alone (faster)",
    )
    group.add_argument("--min-df", type=int, default=5, help="arxiv-sanity-lite's TF-IDF min_df")
    group.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    group.add_argument(
        "--variants", action="store_true", help="also run the model variants compared on fit"
    )
    group.add_argument(
        "--grid",
        action="store_true",
        help="print the best FeedWeights of the weight grid on the fit readers, then stop",
    )


def run_recommend(arguments: argparse.Namespace, embedder: Any, report: Report) -> int:
    from likewise.evaluate.recommend import (
        BASELINES,
        FEED_METRICS,
        MODEL,
        FeedInputs,
        candidate_models,
        evaluate,
    )
    from likewise.evaluate.recommend_data import Protocol, build_task, cached_vectors, read_papers
    from likewise.rank.personal_linear_map import bundled_map
    from likewise.rank.personal_svm import tfidf_matrix

    papers = arguments.papers or arguments.data / "arxiv-daily-cs" / "papers.jsonl.gz"
    if not papers.is_file():
        fail(f"{papers} does not exist (give --papers or --data)")
    protocol = Protocol(
        cutoff=arguments.cutoff,
        window_days=arguments.window_days,
        min_papers=arguments.min_papers,
        profile_size=arguments.profile_size,
        readers=arguments.readers,
        background=arguments.background,
        seed=arguments.seed,
        every_author=arguments.every_author,
    )
    task = build_task(read_papers(papers), protocol)
    if not task.fit or not task.held_out or not task.candidates:
        fail(
            f"too few readers ({len(task.fit)} fit, {len(task.held_out)} held-out) or no "
            f"candidates in the {protocol.window_days} days from {protocol.cutoff}"
        )
    print(
        f"{len(task.fit) + len(task.held_out)} readers, {len(task.candidates)} candidates, "
        f"{len(task.papers)} papers embedded",
        file=sys.stderr,
    )
    vectors = cached_vectors(task.papers, embedder, recommend_cache_dir())
    texts = [paper.text for paper in (*task.papers, *task.background)]
    tfidf = tfidf_matrix(texts, min_df=arguments.min_df)
    inputs = FeedInputs(task, vectors, tfidf, bundled_map(embedder.model_id))
    if arguments.grid:
        return _print_grid(inputs)
    models = dict(BASELINES)
    models.update(candidate_models() if arguments.variants else {MODEL: candidate_models()[MODEL]})
    splits = SPLITS if arguments.split == "both" else (arguments.split,)
    results = {split: evaluate(inputs, models, split=split) for split in splits}
    if arguments.json:
        from likewise.evaluate.runs import mean_scores

        print_json(
            {
                split: {
                    name: {m: round(v, 4) for m, v in mean_scores(per_reader).items()}
                    for name, per_reader in scores.items()
                }
                for split, scores in results.items()
            }
        )
        return 0
    for split, scores in results.items():
        name = f"arxiv-daily-cs {split} readers, cut-off {task.cutoff} + {task.window_days} days"
        report(arguments, name, scores, FEED_METRICS)
    return 0


def _print_grid(inputs: Any) -> int:
    """The weight grid on the fit readers (never the held-out ones), best ten first."""
    from likewise.evaluate.recommend import weight_grid

    print("dense mean, dense nearest, lexical mean, lexical nearest: ndcg@10 recall@50")
    for weights, metrics in weight_grid(inputs, inputs.task.fit)[:10]:
        print(
            f"{weights.dense_mean:g}, {weights.dense_nearest:g}, {weights.lexical_mean:g}, "
            f"{weights.lexical_nearest:g}: {metrics['ndcg@10']:.4f} {metrics['recall@50']:.4f}"
        )
    return 0
