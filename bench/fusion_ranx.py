"""Reciprocal rank fusion: rank/fusion_rrf.py against `ranx.fuse(method="rrf")` on the same
real runs. Prints time per query as a ratio against ours (measured in this process) and how
often the two fused rankings agree.

Runs: SciFact papers as queries (query by example, as similar papers are found). For each of
--queries papers, a lexical run (BM25 over the in-process index, the paper's title as the
query) and a dense run (cosine of its precomputed all-MiniLM-L6-v2 vector against the
corpus), --depth deep each. Corpus and vectors: ../shared/data/scifact/corpus.jsonl and
../shared/data/embeddings-all-minilm-l6-v2/scifact.f16.npy; no model is loaded.

ranx is timed two ways: one call per query (how rank/search.py would call it, per request)
and one call for all queries (how ranx is meant to be used, in evaluation). Its first call
compiles numba kernels (cached on disk after); that warm-up is printed apart, not timed.

    nice -n 10 python bench/fusion_ranx.py [--queries 500] [--depth 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from likewise.index.inverted import InvertedIndex
from likewise.index.segments import PaperText
from likewise.index.tokens import Tokeniser
from likewise.rank.bm25 import bm25_top
from likewise.rank.fusion_rrf import DEFAULT_K, reciprocal_rank_fusion

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
Scores = dict[str, dict[str, float]]  # query id -> doc id -> score


def runs(queries: int, depth: int) -> tuple[Scores, Scores]:
    """(lexical, dense) runs of the first `queries` SciFact papers, `depth` docs each."""
    lines = (SHARED / "scifact" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    corpus = [json.loads(line) for line in lines]
    ids = [str(paper["doc_id"]) for paper in corpus]
    vector_ids = (SHARED / "embeddings-all-minilm-l6-v2" / "scifact.ids.txt").read_text().split()
    assert vector_ids == ids, "vectors and corpus are not in the same order"
    vectors = np.load(SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy")
    vectors = vectors.astype(np.float32)
    tokeniser = Tokeniser()
    texts = [
        PaperText(key, key, paper["title"], " ".join(paper["abstract_sentences"]), "")
        for key, paper in enumerate(corpus)
    ]
    index = InvertedIndex.built(texts, tokeniser)
    lexical: Scores = {}
    dense: Scores = {}
    for key in range(queries):
        query = ids[key]
        hits = bm25_top(index, tokeniser.terms(corpus[key]["title"]), depth)
        lexical[query] = {ids[hit]: score for hit, score in hits}
        similarity = vectors @ vectors[key]
        best = np.argsort(-similarity, kind="stable")[:depth]
        dense[query] = {ids[row]: float(similarity[row]) for row in best}
    return lexical, dense


def ranked(scores: dict[str, float]) -> list[str]:
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def ours(lexical: Scores, dense: Scores) -> dict[str, list[tuple[str, float]]]:
    return {
        query: reciprocal_rank_fusion(
            {"lexical": ranked(lexical[query]), "dense": ranked(dense[query])}, k=DEFAULT_K
        )
        for query in lexical
    }


def with_ranx(lexical: Scores, dense: Scores) -> dict[str, list[tuple[str, float]]]:
    from ranx import Run, fuse

    with warnings.catch_warnings():  # numba's notes about its own kernels
        warnings.simplefilter("ignore")
        fused = fuse([Run(lexical), Run(dense)], norm=None, method="rrf", params={"k": DEFAULT_K})
    return {
        query: sorted(docs.items(), key=lambda item: (-item[1], item[0]))
        for query, docs in fused.to_dict().items()
    }


def ranx_per_query(lexical: Scores, dense: Scores) -> dict[str, list[tuple[str, float]]]:
    fused: dict[str, list[tuple[str, float]]] = {}
    for query in lexical:
        fused |= with_ranx({query: lexical[query]}, {query: dense[query]})
    return fused


def best_seconds(
    fusions: dict[str, Callable[[Scores, Scores], object]], data: tuple[Scores, Scores], repeat: int
) -> dict[str, float]:
    """Best wall time of each fusion over all queries, the fusions interleaved in every round
    so that load from other processes falls on all of them alike."""
    best = dict.fromkeys(fusions, float("inf"))
    for _ in range(repeat):
        for name, fuse in fusions.items():
            start = time.perf_counter()
            fuse(*data)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def tied(scores: dict[str, float]) -> set[str]:
    """Docs sharing their score with another doc of the run: either order is a fair ranking."""
    holders: dict[float, list[str]] = {}
    for doc, score in scores.items():
        holders.setdefault(score, []).append(doc)
    return {doc for docs in holders.values() if len(docs) > 1 for doc in docs}


def agreement(
    mine: dict[str, list[tuple[str, float]]],
    theirs: dict[str, list[tuple[str, float]]],
    data: tuple[Scores, Scores],
    top: int,
) -> tuple[int, int, float, float]:
    """(queries with the same top `top` ids in order, same once ties are ignored, largest
    fused-score difference of a doc tied in neither input run, largest of any doc)."""
    same = same_but_ties = 0
    untied = anywhere = 0.0
    for query, fused in mine.items():
        other = theirs[query]
        other_scores = dict(other)
        assert set(other_scores) == {doc for doc, _ in fused}, query
        ties = tied(data[0][query]) | tied(data[1][query])
        for doc, score in fused:
            difference = abs(score - other_scores[doc])
            anywhere = max(anywhere, difference)
            untied = untied if doc in ties else max(untied, difference)
        same += [doc for doc, _ in fused[:top]] == [doc for doc, _ in other[:top]]
        # Ties may be ordered either way; the score sequence must match.
        same_but_ties += np.allclose([s for _, s in fused[:top]], [s for _, s in other[:top]])
    return same, same_but_ties, untied, anywhere


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5, help="timing runs; the best counts")
    args = parser.parse_args()
    start = time.perf_counter()
    data = runs(args.queries, args.depth)
    print(
        f"{args.queries} SciFact queries, two runs of {args.depth} each (built in "
        f"{time.perf_counter() - start:.1f} s)"
    )
    start = time.perf_counter()
    with_ranx({"q": {"a": 1.0, "b": 0.5}}, {"q": {"b": 1.0, "c": 0.5}})
    print(f"ranx warm-up (numba compile or cache load): {time.perf_counter() - start:.2f} s")

    mine = ours(*data)
    for name, fuse in (("ranx, one call per query", ranx_per_query), ("ranx, one call", with_ranx)):
        same, same_but_ties, untied, anywhere = agreement(mine, fuse(*data), data, top=10)
        print(
            f"{name}: top-10 identical for {same}/{len(mine)} queries, identical up to ties "
            f"for {same_but_ties}/{len(mine)}; largest fused-score difference {untied:.1e} "
            f"(docs tied in an input run: {anywhere:.1e}, ranx orders ties its own way)"
        )

    fusions = {
        "rank/fusion_rrf.py": ours,
        "ranx, one call per query": ranx_per_query,
        "ranx, one call": with_ranx,
    }
    seconds = best_seconds(fusions, data, args.repeat)
    baseline = seconds["rank/fusion_rrf.py"]
    print(f"{'fusion':28} {'us/query':>9} {'ratio':>7}")
    for name, took in seconds.items():
        print(f"{name:28} {took / args.queries * 1e6:9.1f} {took / baseline:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
