"""Ranking tries for short queries (issue 11): dense pseudo-relevance feedback, BM25 field
weights and term coverage, fusion weight by word count, measured against today's convex.

Each query is retrieved once with the product's own parts (rank/retrieval.py over a
throw-away catalog, the in-process BM25 index, the vector index); the variants re-rank those
candidates (and, for feedback, search the vector index again) without re-embedding. Choose on
the fit queries only; `--heldout` is the one look at the held-out queries for a chosen variant.

    nice -n 10 python bench/search_short_queries.py grid            # arXiv fit + SciFact fit
    nice -n 10 python bench/search_short_queries.py look --variant "stop bound1<=7w else 0"

The last is the variant adopted (docs/search.md, "Short queries"); `look` runs the held-out
queries once, with the paired test against today's convex ranking.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.factory import make_embedder
from likewise.evaluate.collections import (
    RetrievalCollection,
    load_file_collection,
    load_scifact,
    read_trec_qrels,
)
from likewise.evaluate.runs import (
    MemoisingEmbedder,
    Run,
    doc_id_of,
    document_vectors,
    mean_scores,
    per_query_scores,
    throwaway_library,
)
from likewise.evaluate.significance import compare_configs
from likewise.index.base import VectorIndex
from likewise.index.inverted import InvertedIndex
from likewise.library import Library
from likewise.rank.bm25 import Bm25Parameters, bm25_top, idf, upper_bound
from likewise.rank.fusion_convex import dense_lexical_fusion
from likewise.rank.lexical import plain_terms
from likewise.rank.retrieval import retrieve_candidates
from likewise.settings import load_settings
from likewise.store import lexical as store_lexical

ROOT = Path(__file__).resolve().parents[1]
JUDGED = ROOT / "tests" / "data" / "arxiv_judged"
CORPUS = Path.home() / ".cache" / "likewise" / "arxiv_judged" / "corpus.jsonl"
SHARED = ROOT.parent / "shared" / "data"
SCIFACT_VECTORS = SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy"
CACHE = Path.home() / ".cache" / "likewise" / "eval"
DEPTH = 100
ALPHA = 0.7  # the bundled calibration's convex weight (calibration_data/relevance.json)
Vector = npt.NDArray[np.float32]
# The stop words of store/lexical.py before issue 11's short-query work: the bench searches
# with these, so that "convex" is the ranking as it was; the `stop` variants leave out the
# product's list of today (these plus the question words and auxiliaries).
OLD_STOPWORDS = frozenset(
    (  # noqa: SIM905 - one readable line per few words
        "a an and are as at be by for from has have in into is it its of on or our that the "
        "this to via was we were which with"
    ).split()
)
FUNCTION_WORDS = store_lexical.STOPWORDS


@dataclass(slots=True)
class Query:
    """One query's candidates, retrieved once as the product retrieves them."""

    text: str
    words: int
    vector: Vector
    dense: dict[int, float]  # the dense top DEPTH and every lexical candidate's cosine
    lexical: dict[int, float]
    terms: list[str] | None


@dataclass(frozen=True, slots=True)
class Variant:
    """How to rank: fusion weight by word count, BM25 parameters and coverage, feedback."""

    name: str
    alpha_short: float = ALPHA
    short_words: int = 0  # queries of at most this many words use alpha_short
    bm25: Bm25Parameters | None = None  # None: the candidates' own BM25 scores
    coverage: float = 0.0  # exponent of the IDF share of query terms a paper holds
    prf_k: int = 0  # dense Rocchio feedback from the top k fused hits (0: none)
    prf_beta: float = 0.0
    prf_words: int = 0  # feedback only for queries of at most this many words (0: all)
    stop: bool = False  # leave function words out of the BM25 query
    bound: float = 0.0  # >0: BM25 normalised by max(observed top, bound x its upper bound)
    bound_words: int = 0  # the bound only for queries of at most this many words (0: all)
    bound_long: float = 0.0  # the bound for longer queries (0: none)


class Bench:
    """A throw-away catalog of one collection and its queries' candidates."""

    def __init__(self, library: Library, collection: RetrievalCollection) -> None:
        self.library = library
        self.collection = collection
        self.index: VectorIndex = library.vectors.vector_index()
        lexical = library.lexical.lexical_index()
        if lexical is None:
            raise SystemExit("no BM25 index was published")
        self.lexical: InvertedIndex = lexical
        embedder = library.embedding.get()
        self.names: dict[int, str] = {}
        self.queries: dict[str, Query] = {}
        self._vectors: dict[int, Vector] = {}
        self._row_of: dict[int, int] | None = None
        for query_id, text in collection.queries.items():
            found = retrieve_candidates(
                text,
                "convex",
                DEPTH,
                store=library.store,
                index=self.index,
                embedder=embedder,
                lexical_index=self.lexical,
            )
            self.queries[query_id] = Query(
                text,
                len(text.split()),
                found.query_vector,
                found.dense,
                found.lexical,
                plain_terms(text),
            )

    def vector(self, key: int) -> Vector:
        if key not in self._vectors:
            found = self.index.vector(key)
            if found is None:
                raise SystemExit(f"key {key} has no vector")
            self._vectors[key] = found.astype(np.float32)
        return self._vectors[key]

    def dense_for(self, vector: Vector, lexical: Mapping[int, float]) -> dict[int, float]:
        keys, similarities = self.index.search(vector, DEPTH, None)
        dense = dict(zip(keys.tolist(), similarities.tolist(), strict=True))
        wanted = np.fromiter(lexical.keys(), dtype=np.int64, count=len(lexical))
        present, cosines = self.index.similarities_for(vector, wanted)
        for key, cosine in zip(present.tolist(), cosines.tolist(), strict=True):
            dense.setdefault(key, cosine)
        return dense

    def terms_for(self, query: Query, variant: Variant) -> list[str] | None:
        if query.terms is None or not variant.stop:
            return query.terms
        words = query.text.lower().replace("?", " ").split()
        kept = [word for word in words if word not in FUNCTION_WORDS]
        if not kept or len(kept) == len(words):
            return query.terms
        return plain_terms(" ".join(kept))

    def lexical_for(self, query: Query, variant: Variant) -> dict[int, float]:
        terms = self.terms_for(query, variant)
        if (variant.bm25 is None and terms == query.terms) or terms is None:
            lexical = dict(query.lexical)
        else:
            parameters = variant.bm25 or Bm25Parameters()
            lexical = dict(bm25_top(self.lexical, terms, DEPTH, None, parameters))
        if variant.coverage > 0.0 and query.terms:
            lexical = self._covered(lexical, query.terms, variant.coverage)
        return lexical

    def _covered(
        self, lexical: dict[int, float], terms: list[str], exponent: float
    ) -> dict[int, float]:
        """Coordination-level matching: each score times the share of the query's IDF mass
        the paper holds, to the given power."""
        papers = len(self.lexical)
        if self._row_of is None:
            live = np.flatnonzero(self.lexical.live)
            self._row_of = dict(zip(self.lexical.keys[live].tolist(), live.tolist(), strict=True))
        keys = np.fromiter(lexical.keys(), dtype=np.int64, count=len(lexical))
        rows = np.array([self._row_of[key] for key in keys.tolist()], dtype=np.int64)
        order = np.argsort(rows)
        held = np.zeros(len(keys))
        total = 0.0
        for term in terms:
            frequency = self.lexical.document_frequency(term)
            weight = idf(papers, frequency)
            total += weight
            if frequency:
                found = self.lexical.frequencies_at(term, rows[order])
                held[order] += weight * found.any(axis=1)
        share = held / max(total, 1e-12)
        return {
            key: score * float(s) ** exponent
            for key, score, s in zip(keys.tolist(), lexical.values(), share, strict=True)
        }

    def ranking(self, query: Query, variant: Variant) -> list[int]:
        alpha = variant.alpha_short if query.words <= variant.short_words else ALPHA
        lexical = self.lexical_for(query, variant)
        changed = variant.bm25 is not None or variant.stop
        dense = self.dense_for(query.vector, lexical) if changed else query.dense
        short = variant.bound_words == 0 or query.words <= variant.bound_words
        bound = variant.bound if short else variant.bound_long
        if bound > 0.0 and lexical:
            upper = upper_bound(self.lexical, self.terms_for(query, variant) or [])
            # A phantom paper at the bound: TMM then divides by max(observed top, bound).
            lexical = {**lexical, -1: max(max(lexical.values()), bound * upper)}
        fused = dense_lexical_fusion(dense, lexical, alpha)
        fused = [item for item in fused if item[0] != -1]
        feedback = variant.prf_k > 0 and (
            variant.prf_words == 0 or query.words <= variant.prf_words
        )
        if feedback:
            top = [key for key, _ in fused[: variant.prf_k]]
            centroid = np.mean([self.vector(key) for key in top], axis=0)
            moved = query.vector + variant.prf_beta * centroid
            moved = (moved / np.linalg.norm(moved)).astype(np.float32)
            dense = self.dense_for(moved, {k: v for k, v in lexical.items() if k != -1})
            fused = dense_lexical_fusion(dense, lexical, alpha)
            fused = [item for item in fused if item[0] != -1]
        return [key for key, _ in fused[:DEPTH]]

    def run(self, variant: Variant) -> Run:
        run: Run = {}
        for query_id, query in self.queries.items():
            keys = self.ranking(query, variant)
            unnamed = [key for key in keys if key not in self.names]
            if unnamed:
                self.names.update(self.library.store.arxiv_ids_for_keys(unnamed))
            run[query_id] = {
                doc_id_of(self.names[key]): float(len(keys) - rank) for rank, key in enumerate(keys)
            }
        return run


def variants() -> list[Variant]:
    """The fit grid."""
    found = [Variant("convex")]
    for words in (2, 3, 4):
        for alpha in (0.5, 0.8):
            found.append(Variant(f"alpha{alpha}<={words}w", alpha, words))
    for alpha in (0.75, 0.8, 0.85):
        found.append(Variant(f"alpha{alpha:g} all", alpha, 1_000))
    for title in (1.0, 2.0):
        parameters = Bm25Parameters(field_weights=(title, 1.0, 1.0))
        found.append(Variant(f"title{title:g}", bm25=parameters))
    for k1 in (0.6, 2.0):
        found.append(Variant(f"k1={k1:g}", bm25=Bm25Parameters(k1=k1)))
    for exponent in (0.5, 1.0, 2.0):
        found.append(Variant(f"coverage{exponent:g}", coverage=exponent))
    for k in (3, 5, 10):
        for beta in (0.5, 1.0, 2.0):
            for words in (0, 4):
                name = f"prf k{k} b{beta:g} w{words}"
                found.append(Variant(name, prf_k=k, prf_beta=beta, prf_words=words))
    found.append(Variant("stop", stop=True))
    for bound in (0.5, 0.6, 0.7, 0.85, 1.0, 1.2):
        found.append(Variant(f"bound{bound:g}", bound=bound))
        found.append(Variant(f"stop bound{bound:g}", stop=True, bound=bound))
        for words in (3, 4, 5, 6, 7, 8, 10):
            for long in (0.0, 0.5, 0.6):
                if long >= bound:
                    continue
                name = f"stop bound{bound:g}<={words}w else {long:g}"
                found.append(
                    Variant(name, stop=True, bound=bound, bound_words=words, bound_long=long)
                )
    found.append(Variant("bound1<=7w", bound=1.0, bound_words=7))
    found.append(
        Variant(
            "stop bound1<=7w prf k5 b0.5 w7",
            stop=True,
            bound=1.0,
            bound_words=7,
            prf_k=5,
            prf_beta=0.5,
            prf_words=7,
        )
    )
    for bound in (0.85, 1.0):
        found.append(
            Variant(
                f"stop bound{bound:g} k1=2", stop=True, bound=bound, bm25=Bm25Parameters(k1=2.0)
            )
        )
        found.append(
            Variant(
                f"stop bound{bound:g} prf k5 b0.5", stop=True, bound=bound, prf_k=5, prf_beta=0.5
            )
        )
    return found


def unjudged(run: Run, qrels: Mapping[str, Mapping[str, int]]) -> int:
    return sum(
        1
        for query, docs in run.items()
        for doc in list(docs)[:10]
        if doc not in qrels.get(query, {})
    )


def _open(
    collection: RetrievalCollection, vectors_file: Path | None
) -> tuple[Bench, Callable[[], None]]:
    settings = load_settings()
    embedder = MemoisingEmbedder(make_embedder(settings))
    vectors = document_vectors(collection.documents, embedder, vectors_file, CACHE)
    context = throwaway_library(collection, settings, embedder, vectors)
    library = context.__enter__()

    def close() -> None:
        context.__exit__(None, None, None)

    return Bench(library, collection), close


def report(bench: Bench, chosen: list[Variant], compare: bool) -> None:
    scores = {}
    for variant in chosen:
        run = bench.run(variant)
        scores[variant.name] = per_query_scores(bench.collection.qrels, run, ("ndcg@10",))
        mean = mean_scores(scores[variant.name])["ndcg@10"]
        count = unjudged(run, _all_qrels(bench.collection))
        print(
            f"{bench.collection.name}\t{variant.name}\t{mean:.4f}\tunjudged@10 {count}", flush=True
        )
    if compare:
        for row in compare_configs(scores):
            print(row)


def _all_qrels(collection: RetrievalCollection) -> Mapping[str, Mapping[str, int]]:
    if collection.name.startswith("scifact"):
        return collection.qrels
    return read_trec_qrels(JUDGED / "qrels.trec")


def main(argv: list[str]) -> int:
    store_lexical.STOPWORDS = OLD_STOPWORDS  # see OLD_STOPWORDS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("grid", "look"))
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--skip-scifact", action="store_true")
    arguments = parser.parse_args(argv)
    known = {variant.name: variant for variant in variants()}
    chosen = [known["convex"]] + [known[name] for name in arguments.variant]
    if arguments.mode == "grid" and not arguments.variant:
        chosen = list(known.values())
    split = "fit" if arguments.mode == "grid" else "heldout"
    arxiv = load_file_collection(CORPUS, JUDGED / f"queries-{split}.tsv", JUDGED / "qrels.trec")
    bench, close = _open(arxiv, None)
    try:
        report(bench, chosen, arguments.mode == "look")
    finally:
        close()
    if not arguments.skip_scifact:
        scifact = load_scifact(SHARED / "scifact", split)
        bench, close = _open(scifact, SCIFACT_VECTORS)
        try:
            report(bench, chosen, arguments.mode == "look")
        finally:
            close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
