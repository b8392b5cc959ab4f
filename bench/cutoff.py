"""The relevance cut-off end to end on the real arXiv CS catalog: how many ordinary searches
(bench/search.py's 20 keyword queries and 20 paper titles) show "no good matches" (want none),
and how many held-out off-topic queries, never used for fitting, do (want nearly all).

Catalog: ../shared/data/arxiv-daily-cs/papers.jsonl.gz with the cached vectors
(~/.cache/likewise/arxiv-daily-cs.int8.npy, written by bench/embed_corpus.py); no embedding of
documents happens here. Each figure is printed beside the baseline of the same run: the share
shown by the same searches with no cut-off at all (every query shows hits).

    nice -n 19 /tmp/venv/bin/python bench/cutoff.py [--calibration FILE] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from likewise.evaluate.cutoff_sources import (
    OFF_TOPIC_FIT,
    OFF_TOPIC_HELDOUT,
    fill_arxiv_catalog,
    heldout_by_hash,
    mine_title_phrases,
)
from likewise.library import Library
from likewise.rank.cosine_adapter import RelevanceCalibration
from likewise.settings import Settings
from search import KEYWORD_QUERIES

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
VECTORS = Path.home() / ".cache" / "likewise" / "arxiv-daily-cs.int8.npy"
TITLE_QUERIES = 20


def run_queries(
    library: Library, queries: list[str], fusion: str, verbose: bool, show_top: bool = False
) -> tuple[int, int]:
    """(queries with "no good matches", queries with hits when nothing is cut)."""
    empty = uncut = 0
    for query in queries:
        result = library.search.search(query, fusion=fusion)
        baseline = library.search.search(query, fusion=fusion, apply_cutoff=False, limit=1)
        best = baseline.hits[0].score if baseline.hits else 0.0
        empty += result.no_good_matches
        uncut += bool(baseline.hits)
        if verbose:
            flag = "NO MATCH" if result.no_good_matches else f"{len(result.hits):>2} hits"
            print(f"  {flag:>8}  best p {best:.2f}  {query[:70]}")
            if show_top and result.hits and result.hits[0].paper is not None:
                print(f"            top hit: {result.hits[0].paper.title[:80]}")
    return empty, uncut


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calibration", type=Path, help="calibration file (default: bundled)")
    parser.add_argument("--threshold", type=float, help="relevance cut-off (default: setting)")
    parser.add_argument("--fusion", default=None, help="search method (default: the setting)")
    parser.add_argument("--quiet", action="store_true", help="no per-query lines")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="likewise-cutoff-") as folder:
        defaults = Settings()
        settings = Settings(
            home=Path(folder),
            relevance_threshold=(
                defaults.relevance_threshold if arguments.threshold is None else arguments.threshold
            ),
        )
        library = Library.open(settings)
        if arguments.calibration is not None:
            library.search.use_relevance_calibration(
                RelevanceCalibration.load(arguments.calibration)
            )
        texts = fill_arxiv_catalog(library, CORPUS, VECTORS)
        titles = [title for title, _ in texts.values()]
        # The same title queries bench/search.py times (same seed, same corpus order).
        sampled = random.Random(7).sample(titles, 2 * TITLE_QUERIES)[:TITLE_QUERIES]
        ordinary = KEYWORD_QUERIES + sampled
        fusion = arguments.fusion or settings.fusion
        fit_phrases = {p for p in mine_title_phrases(titles) if not heldout_by_hash(p)}
        reused = [query for query in ordinary if query.lower() in fit_phrases]
        assert not set(OFF_TOPIC_HELDOUT) & set(OFF_TOPIC_FIT)
        print(
            f"catalog: {len(texts):,} arXiv CS papers; fusion {fusion}; threshold "
            f"{settings.relevance_threshold}; {len(reused)} of the {len(ordinary)} ordinary "
            "queries are themselves fit phrases of the calibration"
        )
        verbose = not arguments.quiet
        groups = (
            ("ordinary (keyword queries + paper titles)", ordinary),
            ("off-topic, held out from fitting", list(OFF_TOPIC_HELDOUT)),
        )
        for name, queries in groups:
            if verbose:
                print(f"{name}:")
            empty, uncut = run_queries(library, queries, fusion, verbose, "off-topic" in name)
            print(
                f"{name}: {empty} of {len(queries)} show no good matches "
                f"(baseline without a cut-off: {len(queries) - uncut} of {len(queries)}); "
                f"share {empty / len(queries):.2f}"
            )
        library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
