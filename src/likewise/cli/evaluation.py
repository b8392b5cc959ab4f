"""CLI commands of the evaluation area: `likewise eval` on a named or file test collection."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from likewise.cli.common import fail, print_json, settings_from

NAMED = ("scifact", "scifact-fit", "scifact-heldout", "csfcube", "recommend")
DEFAULT_DATA = Path("../shared/data")


def cache_dir() -> Path:
    """Where embeddings of evaluation corpora are cached (XDG cache folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "likewise" / "eval"


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "eval",
        help="measure search (or similar-paper) quality on a test collection",
        description="Run configurations on a test collection in a throw-away catalog and print "
        "nDCG@10, Recall@100 and MAP (CSFCube: NDCG@20 and MAP over each query's pool). "
        "Collections: scifact (all 809 training claims), scifact-fit / scifact-heldout (the "
        "60/40 split the calibration uses), csfcube, or --corpus/--queries/--qrels files. "
        "`eval recommend`: the personal feed on arxiv-daily-cs (docs/recommend.md).",
    )
    parser.add_argument("collection", nargs="?", choices=NAMED, metavar="COLLECTION")
    parser.add_argument("--corpus", type=Path, help="JSON lines: doc_id (or id), title, abstract")
    parser.add_argument("--queries", type=Path, help="TSV: query id <TAB> text")
    parser.add_argument("--qrels", type=Path, help="TREC qrels")
    parser.add_argument(
        "--config", action="append", default=[], help="configuration to run (repeatable)"
    )
    parser.add_argument("--compare", action="store_true", help="paired significance tests")
    parser.add_argument("--json", action="store_true", help='{"<config>": {metric: value}}')
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument(
        "--doc-vectors", type=Path, help="precomputed document vectors (.npy + .ids.txt)"
    )
    parser.add_argument(
        "--sentence-vectors",
        type=Path,
        help="csfcube: precomputed sentence vectors (.npy + .offsets.npy, corpus order)",
    )
    parser.add_argument(
        "--calibration", type=Path, help="use this calibration file instead of the bundled one"
    )
    parser.add_argument(
        "--fit-calibration",
        type=Path,
        metavar="OUT",
        help="fit the convex weight (SciFact fit claims) and the relevance cut-off (fit parts "
        "of SciFact, CSFCube, arXiv title phrases, off-topic queries), write OUT, and report "
        "the cut-off on every held-out part (see docs/search.md)",
    )
    parser.add_argument(
        "--csfcube-vectors",
        type=Path,
        help="--fit-calibration: precomputed CSFCube paper vectors (.npy + .ids.txt)",
    )
    parser.add_argument(
        "--arxiv-vectors",
        type=Path,
        help="--fit-calibration: cached vectors of the arXiv CS corpus (default: "
        "the cache bench/embed_corpus.py writes, arxiv-daily-cs.int8.npy)",
    )
    from likewise.cli.evaluation_recommend import add_recommend_arguments

    add_recommend_arguments(parser)
    parser.set_defaults(handler=run_eval)


def run_eval(arguments: argparse.Namespace) -> int:
    from likewise.evaluate.collections import CollectionError
    from likewise.evaluate.runs import EvaluationError

    try:
        if arguments.collection == "recommend":
            from likewise.cli.evaluation_recommend import run_recommend

            return run_recommend(arguments, _embedder(arguments), _report)
        if arguments.fit_calibration is not None:
            return _fit(arguments)
        if arguments.collection == "csfcube":
            return _query_by_example(arguments)
        return _retrieval(arguments)
    except (CollectionError, EvaluationError) as error:
        fail(str(error))
        return 2


def _retrieval_collection(arguments: argparse.Namespace) -> Any:
    from likewise.evaluate.collections import load_file_collection, load_scifact

    files = (arguments.corpus, arguments.queries, arguments.qrels)
    if arguments.collection is None:
        if not all(files):
            fail("name a COLLECTION or give all of --corpus, --queries and --qrels")
        return load_file_collection(arguments.corpus, arguments.queries, arguments.qrels)
    if any(files):
        fail("give either a COLLECTION name or --corpus/--queries/--qrels, not both")
    part = arguments.collection.removeprefix("scifact").removeprefix("-") or "all"
    return load_scifact(arguments.data / "scifact", part)


def _embedder(arguments: argparse.Namespace) -> Any:
    from likewise.embed.factory import make_embedder
    from likewise.evaluate.runs import MemoisingEmbedder

    return MemoisingEmbedder(make_embedder(settings_from(arguments)))


def _retrieval(arguments: argparse.Namespace) -> int:
    from likewise.evaluate.runs import (
        DEFAULT_CONFIG,
        METRICS,
        SEARCH_CONFIGS,
        document_vectors,
        per_query_scores,
        search_method,
        search_run,
        throwaway_library,
    )
    from likewise.rank.cosine_adapter import RelevanceCalibration

    settings = settings_from(arguments)
    collection = _retrieval_collection(arguments)
    # "hybrid" is whichever fusion the setting names; --compare runs each method once.
    configs = arguments.config or (list(SEARCH_CONFIGS) if arguments.compare else [DEFAULT_CONFIG])
    methods = {config: search_method(config, settings) for config in configs}
    embedder = _embedder(arguments)
    vectors = document_vectors(collection.documents, embedder, arguments.doc_vectors, cache_dir())
    scores = {}
    with throwaway_library(collection, settings, embedder, vectors) as library:
        if arguments.calibration is not None:
            library.search.use_relevance_calibration(
                RelevanceCalibration.load(arguments.calibration)
            )
        for config, method in methods.items():
            print(f"running {config} on {len(collection.queries)} queries", file=sys.stderr)
            run = search_run(library, collection.queries, method)
            scores[config] = per_query_scores(collection.qrels, run, METRICS)
    return _report(arguments, collection.name, scores, METRICS)


def _query_by_example(arguments: argparse.Namespace) -> int:
    from likewise.evaluate.collections import load_csfcube
    from likewise.evaluate.query_by_example import QBE_METRICS, similar_runs
    from likewise.evaluate.runs import per_query_scores
    from likewise.rank.similar import SIMILAR_CONFIGS

    if any((arguments.corpus, arguments.queries, arguments.qrels)):
        fail("csfcube takes no --corpus/--queries/--qrels")
    unknown = [config for config in arguments.config if config not in SIMILAR_CONFIGS]
    if unknown:
        fail(f"unknown configuration {unknown[0]!r}; choose from {', '.join(SIMILAR_CONFIGS)}")
    configs = arguments.config or list(SIMILAR_CONFIGS)
    collection = load_csfcube(arguments.data / "csfcube")
    runs = similar_runs(
        collection,
        _embedder(arguments),
        configs,
        vectors_file=arguments.doc_vectors,
        cache_dir=cache_dir(),
        sentences_file=arguments.sentence_vectors,
    )
    scores = {
        config: per_query_scores(collection.qrels, run, QBE_METRICS) for config, run in runs.items()
    }
    return _report(arguments, collection.name, scores, QBE_METRICS)


def _report(
    arguments: argparse.Namespace,
    name: str,
    scores: dict[str, dict[str, dict[str, float]]],
    metrics: tuple[str, ...],
) -> int:
    from likewise.evaluate.runs import mean_scores
    from likewise.evaluate.significance import compare_configs

    means = {config: mean_scores(per_query) for config, per_query in scores.items()}
    comparisons = compare_configs(scores) if arguments.compare and len(scores) > 1 else []
    if arguments.json:
        print_json(
            {
                config: {m: round(v, 4) for m, v in values.items()}
                for config, values in means.items()
            }
        )
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    queries = len(next(iter(scores.values()))[metrics[0]])
    table = Table(title=f"{name}: {queries} queries", title_justify="left")
    table.add_column("config")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for config, values in means.items():
        table.add_row(config, *(f"{values[m]:.4f}" for m in metrics))
    console.print(table)
    if comparisons:
        significance = Table(
            title="paired randomisation test, Holm–Bonferroni over all "
            f"{len(comparisons)} comparisons (α = 0.05)",
            title_justify="left",
        )
        for column in ("metric", "A", "B", "A − B", "p", "p (Holm)", "significant"):
            significance.add_column(column, overflow="fold")
        for item in comparisons:
            significance.add_row(
                item.metric,
                item.first,
                item.second,
                f"{item.first_mean - item.second_mean:+.4f}",
                f"{item.p_value:.4f}",
                f"{item.adjusted_p:.4f}",
                "yes" if item.significant else "no",
            )
        console.print(significance)
    return 0


def _fit(arguments: argparse.Namespace) -> int:
    from likewise.evaluate.cutoff_fit import FitInputs, fit_and_report

    if arguments.collection not in (None, "scifact", "scifact-fit"):
        fail("--fit-calibration fits on the fit parts of its own sources (see docs/search.md)")
    arxiv_vectors = arguments.arxiv_vectors or cache_dir().parent / "arxiv-daily-cs.int8.npy"
    inputs = FitInputs(
        arguments.data,
        cache_dir(),
        arguments.doc_vectors,
        arguments.csfcube_vectors,
        arxiv_vectors,
    )
    _, notes, reports = fit_and_report(
        settings_from(arguments), _embedder(arguments), inputs, arguments.fit_calibration
    )
    for note in notes:
        print(note)
    print(f"wrote {arguments.fit_calibration}")
    print("cut-off on the held-out queries of each source (top 20 per query):")
    print(
        f"{'source':<14}{'method':<8}{'thr':>5}{'queries':>8}{'precision':>10}{'recall@20':>10}"
        f"{'recall':>8}{'no-match':>9}{'mean p':>8}{'rate':>7}"
    )
    for report in reports:
        print(
            f"{report.source:<14}{report.method:<8}{report.threshold:>5.2f}{report.queries:>8}"
            f"{report.precision:>10.3f}{report.recall_shown:>10.3f}{report.recall:>8.3f}"
            f"{report.no_match_share:>9.3f}{report.mean_probability:>8.3f}"
            f"{report.observed_rate:>7.3f}"
        )
    return 0
