"""Multi-vector retrieval on CSFCube over the whole corpus: single-vector search, MUVERA fixed
dimensional encodings (FDE) re-ranked by exact Chamfer, and exact Chamfer over every paper.

Every one of the 4,205 papers but the query is a candidate (not only the judged pool).
Figures: recall@100 of the judged-relevant papers and NDCG@20 (ranx, linear gain) over the
dev half's query-facet pairs, each also as a ratio against single-vector search in the same
run, with the p-value of a paired randomisation test on per-query NDCG@20 against it. The
query's sentence set is either all its abstract sentences or only those of the query facet
(rank/facets.py); documents always use all their sentences. Besides re-ranking by Chamfer
alone, shortlists are also re-ranked by likewise's facet blend (whole-paper cosine and the
mean best sentence match, rank/facets.py).

Whole-paper vectors: ../shared/data/embeddings-all-minilm-l6-v2/csfcube.f16.npy. Sentence
vectors: the cache `likewise evaluate` writes (~/.cache/likewise/eval/csfcube-sentences-*.npy,
rows in corpus order, int8 ONNX MiniLM); this script never embeds.

    nice -n 10 .venv/bin/python bench/multi_vector.py [--candidates 500]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.evaluate.collections import QueryByExampleCollection, load_csfcube
from likewise.evaluate.runs import embed_texts_cached, load_vector_file
from likewise.evaluate.significance import paired_randomization_test
from likewise.index.fixed_dimensional_encoding import FdeConfig, FixedDimensionalEncoder
from likewise.rank.facets import FACET_WEIGHT, facet_sentence_indices
from likewise.rank.multi_vector import chamfer_rerank, chamfer_scores

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE_DIR = Path.home() / ".cache" / "likewise" / "eval"
SENTENCE_MODEL = "all-MiniLM-L6-v2-qint8-onnx-256-mean"
DEPTH = 100

Matrix = npt.NDArray[np.float32]
Run = dict[str, dict[str, float]]


class _CachedOnly:
    """Stands in for the embedder so that only an existing cache is read."""

    dimension = 384

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        raise SystemExit(
            f"no cached sentence vectors of {self.model_id} in {CACHE_DIR}; "
            "run `likewise evaluate` on CSFCube with a facet config first"
        )


def sentence_sets(collection: QueryByExampleCollection, model_id: str) -> list[Matrix]:
    papers = list(collection.documents.values())
    texts = [sentence for paper in papers for sentence in paper.sentences]
    matrix = embed_texts_cached(texts, _CachedOnly(model_id), CACHE_DIR, "csfcube-sentences")  # type: ignore[arg-type]
    offsets = np.cumsum([0, *(len(paper.sentences) for paper in papers)])
    return [matrix[offsets[row] : offsets[row + 1]] for row in range(len(papers))]


def top_run(ids: list[str], scores: npt.NDArray[np.float32], exclude: int) -> dict[str, float]:
    """The DEPTH best of `scores` (row `exclude`, the query paper, left out; -1: none)."""
    scores = scores.astype(np.float32).copy()
    if exclude >= 0:
        scores[exclude] = -np.inf
    top = np.argsort(-scores, kind="stable")[:DEPTH]
    return {ids[row]: float(scores[row]) for row in top}


def evaluate(qrels: dict[str, dict[str, int]], run: Run) -> tuple[float, float, Matrix]:
    """(recall@100, NDCG@20, NDCG@20 per query in sorted query order)."""
    from ranx import Qrels, Run, evaluate

    warnings.filterwarnings("ignore", message="unsafe cast")  # ranx's numba, on every call
    queries = sorted(qrels)
    judged, ranked = Qrels({q: qrels[q] for q in queries}), Run({q: run[q] for q in queries})
    figures = evaluate(judged, ranked, ["recall@100", "ndcg@20"])
    per_query = np.asarray(evaluate(judged, ranked, "ndcg@20", return_mean=False), np.float32)
    return float(figures["recall@100"]), float(figures["ndcg@20"]), per_query


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500, help="FDE hits re-ranked")
    parser.add_argument("--simhash-bits", type=int, default=3)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--projection-dimension", type=int, default=32)
    parser.add_argument("--final-dimension", type=int, default=0, help="0: no final sketch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sentence-model", default=SENTENCE_MODEL)
    arguments = parser.parse_args(argv)

    collection = load_csfcube(SHARED / "csfcube")
    papers = list(collection.documents.values())
    ids = [paper.doc_id for paper in papers]
    row_of = {doc_id: row for row, doc_id in enumerate(ids)}
    vector_ids, vectors = load_vector_file(
        SHARED / "embeddings-all-minilm-l6-v2" / "csfcube.f16.npy"
    )
    vector_row = {doc_id: row for row, doc_id in enumerate(vector_ids)}
    whole = vectors[[vector_row[doc_id] for doc_id in ids]]
    sentences = sentence_sets(collection, arguments.sentence_model)
    config = FdeConfig(
        dimension=whole.shape[1],
        simhash_bits=arguments.simhash_bits,
        repetitions=arguments.repetitions,
        projection_dimension=arguments.projection_dimension or None,
        final_dimension=arguments.final_dimension or None,
        seed=arguments.seed,
    )
    encoder = FixedDimensionalEncoder(config)
    started = time.perf_counter()
    encoded = encoder.encode_documents(sentences)
    print(
        f"CSFCube dev half: {len(collection.queries)} query-facet pairs, {len(papers):,} "
        f"candidates each; {sum(map(len, sentences)):,} sentences. FDE {config}: "
        f"{encoder.output_dimension} dimensions, documents encoded in "
        f"{time.perf_counter() - started:.1f} s"
    )

    def query_points(paper: str, facet: str, variant: str) -> Matrix:
        points = sentences[row_of[paper]]
        if variant == "all sentences":
            return points
        labels = collection.documents[paper].sentence_facets
        return points[facet_sentence_indices(labels, facet)]

    def rerank(points: Matrix, rows: npt.NDArray[np.int64], exclude: int) -> dict[str, float]:
        rows = rows[rows != exclude]
        keys, scores = chamfer_rerank(points, rows, [sentences[row] for row in rows], k=DEPTH)
        return {ids[row]: float(score) for row, score in zip(keys, scores, strict=True)}

    def blend(points: Matrix, rows: npt.NDArray[np.int64], exclude: int) -> dict[str, float]:
        """likewise's facet blend (rank/facets.py): whole-paper cosine and mean best match."""
        rows = rows[rows != exclude]
        matched = chamfer_scores(points, [sentences[row] for row in rows]) / max(len(points), 1)
        cosine = whole[rows] @ whole[exclude]
        return top_run(
            [ids[row] for row in rows], (1 - FACET_WEIGHT) * cosine + FACET_WEIGHT * matched, -1
        )

    def shortlist(scores: npt.NDArray[np.float32], exclude: int) -> npt.NDArray[np.int64]:
        scores = scores.copy()
        scores[exclude] = -np.inf
        return np.argsort(-scores, kind="stable")[: arguments.candidates + 1].astype(np.int64)

    methods: dict[str, Callable[[int, Matrix], dict[str, float]]] = {
        "single vector (cosine)": lambda row, points: top_run(ids, whole @ whole[row], row),
        "FDE only": lambda row, points: top_run(
            ids, encoded @ encoder.encode_queries([points])[0], row
        ),
        "FDE -> exact Chamfer": lambda row, points: rerank(
            points, shortlist(encoded @ encoder.encode_queries([points])[0], row), row
        ),
        "single vector -> Chamfer": lambda row, points: rerank(
            points, shortlist(whole @ whole[row], row), row
        ),
        "exact Chamfer (all)": lambda row, points: top_run(
            ids, chamfer_scores(points, sentences), row
        ),
        "single vector -> blend": lambda row, points: blend(
            points, shortlist(whole @ whole[row], row), row
        ),
        "FDE -> blend": lambda row, points: blend(
            points, shortlist(encoded @ encoder.encode_queries([points])[0], row), row
        ),
    }
    baseline: tuple[float, float, Matrix] | None = None
    print(
        f"\n{'query sentences':<16}{'method':<26}{'recall@100':>11}{'':>9}{'NDCG@20':>9}"
        f"{'':>9}{'p':>8}{'ms/query':>10}"
    )
    for variant in ("all sentences", "facet sentences"):
        for name, method in methods.items():
            if name.startswith("single vector (") and variant != "all sentences":
                continue
            run: Run = {}
            started = time.perf_counter()
            for query, (paper, facet, _) in collection.queries.items():
                run[query] = method(row_of[paper], query_points(paper, facet, variant))
            milliseconds = (time.perf_counter() - started) * 1000 / len(collection.queries)
            recall, ndcg, per_query = evaluate(collection.qrels, run)
            baseline = baseline or (recall, ndcg, per_query)
            p_value = paired_randomization_test(per_query, baseline[2])
            print(
                f"{variant:<16}{name:<26}{recall:>11.3f}{recall / baseline[0]:>8.2f}x"
                f"{ndcg:>9.3f}{ndcg / baseline[1]:>8.2f}x{p_value:>8.3f}{milliseconds:>10.1f}"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
