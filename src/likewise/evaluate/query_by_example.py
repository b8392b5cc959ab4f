"""Query-by-example evaluation (CSFCube): rank each query paper's judged pool with every
similar-paper configuration of rank/similar.py, per the upstream protocol (NDCG@20).

Mysore et al., "CSFCube — A Test Collection of Computer Science Papers for Faceted Query by
Example", NeurIPS 2021 Datasets & Benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.evaluate.collections import QueryByExampleCollection
from likewise.evaluate.runs import EvaluationError, Run, document_vectors, embed_texts_cached

QBE_METRICS = ("ndcg@20", "map")


def sentence_vectors(
    collection: QueryByExampleCollection,
    embedder: Embedder,
    cache_dir: Path,
    sentences_file: Path | None = None,
) -> dict[str, npt.NDArray[np.float32]]:
    """Per paper, one unit vector per abstract sentence: from `sentences_file` (rows in corpus
    order, with NAME.offsets.npy beside it) or embedded once and cached."""
    papers = list(collection.documents.values())
    offsets = np.cumsum([0, *(len(paper.sentences) for paper in papers)])
    if sentences_file is not None:
        offsets_file = sentences_file.with_suffix(".offsets.npy")
        if not (sentences_file.is_file() and offsets_file.is_file()):
            raise EvaluationError(f"{sentences_file} or {offsets_file.name} does not exist")
        matrix = np.load(sentences_file).astype(np.float32)
        if (
            not np.array_equal(np.load(offsets_file), offsets)
            or matrix.shape[1] != embedder.dimension
        ):
            raise EvaluationError(f"{sentences_file} does not match this corpus and embedder")
    else:
        texts = [sentence for paper in papers for sentence in paper.sentences]
        matrix = embed_texts_cached(texts, embedder, cache_dir, f"{collection.name}-sentences")
    return {
        paper.doc_id: matrix[offsets[row] : offsets[row + 1]] for row, paper in enumerate(papers)
    }


def similar_runs(
    collection: QueryByExampleCollection,
    embedder: Embedder,
    configs: Sequence[str],
    *,
    vectors_file: Path | None,
    cache_dir: Path,
    sentences_file: Path | None = None,
) -> dict[str, Run]:
    """One run per similarity config: each query's pool scored against the query paper."""
    from likewise.rank.similar import PaperRepresentation, score_candidates

    papers = list(collection.documents.values())
    whole = document_vectors(papers, embedder, vectors_file, cache_dir)
    sentences = (
        sentence_vectors(collection, embedder, cache_dir, sentences_file)
        if any(config.startswith("facet") for config in configs)
        else {}
    )
    representations = {
        paper.doc_id: PaperRepresentation(
            vector=whole[row],
            sentence_vectors=sentences.get(paper.doc_id),
            sentence_facets=paper.sentence_facets if paper.doc_id in sentences else None,
        )
        for row, paper in enumerate(papers)
    }
    runs: dict[str, Run] = {}
    for config in configs:
        run: Run = {}
        for query_id, (paper, facet, pool) in collection.queries.items():
            scores = score_candidates(
                representations[paper],
                [representations[candidate] for candidate in pool],
                facet=facet,
                config=config,
                bank=whole,
            )
            run[query_id] = {c: float(s) for c, s in zip(pool, scores, strict=True)}
        runs[config] = run
    return runs
