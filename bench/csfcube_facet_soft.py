"""Similar by facet on CSFCube's dev half with soft (probability) sentence labels and other
blend normalisations: a small grid declared before the run, chosen on the fit half, reported on
the check half and all 24 in the same run (NDCG@20, ranx, linear gain).

Facet parts (the query's sentences q_i with the classifier's probability p_i of the facet, the
candidate's sentences c_j with theirs r_j; s_ij their cosine):
- "hard": today's product: max over the argmax-labelled query sentences of max_j s_ij;
- "top2": the query sentences whose two most probable labels include the facet;
- "qsoft": every query sentence, max_i p_i * max_j s_ij;
- "qsoft-csoft": max_ij p_i * s_ij * (1 + r_j) / 2, a candidate sentence of the facet counts
  fully and one of another facet at half;
- "qvec": max_j cos(q_f, c_j), q_f the unit p-weighted mean of the query's sentence vectors.
Blend: (1 - w - v) * cosine + w * facet + v * whole-abstract TF-IDF, each component min-max, z
or rank (percentile) normalised over the pool. Grid: 5 facet parts x 3 normalisations at
(w, v) = (0.3, 0.2), and the 5 facet parts with min-max at (0.5, 0.2): 20 configurations.

    nice -n 10 python bench/csfcube_facet_soft.py
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
from csfcube_facet_mix import dot, embedded_pool, per_query
from csfcube_facets import FACETS, Run, ndcg
from likewise.evaluate.significance import paired_randomization_test
from likewise.rank.facets import FACET_LABELS

Array = npt.NDArray[np.float64]
PARTS = ("hard", "top2", "qsoft", "qsoft-csoft", "qvec")
NORMS = ("minmax", "z", "rank")


def normalised(values: Array, norm: str) -> Array:
    """Per-query normalisation of one component over the pool."""
    if norm == "rank":
        return (rankdata(values) - 1.0) / max(len(values) - 1, 1)
    if norm == "minmax":
        spread = values.max() - values.min()
        return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)
    deviation = values.std()
    return (values - values.mean()) / deviation if deviation > 0 else np.zeros_like(values)


def facet_parts(
    query: npt.NDArray[np.float32],
    query_p: Array,
    query_top2: npt.NDArray[np.bool_],
    hard: npt.NDArray[np.bool_],
    candidate: npt.NDArray[np.float32],
    candidate_p: Array,
) -> dict[str, float]:
    """Each facet part of one candidate (see the module docstring)."""
    similarities = (query @ candidate.T).astype(np.float64)
    best = similarities.max(axis=1)
    chosen = hard if hard.any() else np.ones(len(hard), dtype=bool)
    loose = query_top2 if query_top2.any() else chosen
    weights = query_p if query_p.sum() > 0 else np.ones(len(query_p))
    mean = (weights[:, None] * query).sum(axis=0)
    mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return {
        "hard": float(best[chosen].max()),
        "top2": float(best[loose].max()),
        "qsoft": float((weights * best).max()),
        "qsoft-csoft": float(
            (weights[:, None] * similarities * (1.0 + candidate_p[None, :]) / 2.0).max()
        ),
        "qvec": float((candidate @ mean).max()),
    }


def main() -> int:
    pool_data = embedded_pool()
    collection = pool_data.collection
    qrels = collection.qrels
    queries, fit, check = pool_data.queries, pool_data.fit, pool_data.check
    classifier = pool_data.classifier
    p_whole, p_sentences = pool_data.whole, pool_data.sentences
    probabilities, paper_tfidf = pool_data.probabilities, pool_data.paper_tfidf

    components: dict[str, dict[str, Array]] = {}
    for query, (paper, facet, pool) in collection.queries.items():
        columns = [i for i, label in enumerate(classifier.labels) if label in FACET_LABELS[facet]]
        own = probabilities[paper].astype(np.float64)
        query_p = own[:, columns].sum(axis=1)
        hard = np.isin(own.argmax(axis=1), columns)
        top2 = np.isin(np.argsort(-own, axis=1)[:, :2], columns).any(axis=1)
        rows = [
            facet_parts(
                p_sentences[paper],
                query_p,
                top2,
                hard,
                p_sentences[c],
                probabilities[c][:, columns].sum(axis=1).astype(np.float64),
            )
            for c in pool
        ]
        components[query] = {
            "cosine": np.array([float(p_whole[c] @ p_whole[paper]) for c in pool]),
            "lexical": np.array([dot(paper_tfidf[paper], paper_tfidf[c]) for c in pool]),
            **{part: np.array([row[part] for row in rows]) for part in PARTS},
        }

    def run_of(part: str, norm: str, w: float, v: float) -> Run:
        run: Run = {}
        for query, (_, _, pool) in collection.queries.items():
            found = components[query]
            values = (
                (1 - w - v) * normalised(found["cosine"], norm)
                + w * normalised(found[part], norm)
                + v * normalised(found["lexical"], norm)
            )
            run[query] = {c: float(x) for c, x in zip(pool, values, strict=True)}
        return run

    runs: dict[str, Run] = {}
    for part, norm in itertools.product(PARTS, NORMS):
        runs[f"{part}, {norm}, w 0.3, v 0.2"] = run_of(part, norm, 0.3, 0.2)
    for part in PARTS:
        runs[f"{part}, minmax, w 0.5, v 0.2"] = run_of(part, "minmax", 0.5, 0.2)
    default = "hard, minmax, w 0.3, v 0.2"
    chosen = max(runs, key=lambda name: ndcg(qrels, runs[name], fit))
    print(f"{len(queries)} query-facet pairs, {len(fit)} fit / {len(check)} check")
    print(f"{'run':<34}{'all 24':>8}{'fit':>7}{'check':>7}", end="")
    print("".join(f"{facet:>11}" for facet in FACETS))
    for name, run in runs.items():
        per = [ndcg(qrels, run, [q for q in queries if q.endswith(f)]) for f in FACETS]
        mark = " <- chosen on fit" if name == chosen else ""
        mark += " (product default)" if name == default else ""
        print(
            f"{name:<34}{ndcg(qrels, run, queries):>8.4f}{ndcg(qrels, run, fit):>7.4f}"
            f"{ndcg(qrels, run, check):>7.4f}" + "".join(f"{value:>11.3f}" for value in per) + mark
        )
    p = paired_randomization_test(
        per_query(qrels, runs[chosen], queries), per_query(qrels, runs[default], queries)
    )
    print(f"{chosen} vs the product default on all 24: paired randomisation p = {p:.3f}")
    unrounded = {
        name: {
            part: round(ndcg(qrels, runs[name], group), 6)
            for part, group in (("all", queries), ("fit", fit), ("check", check))
        }
        for name in (chosen, default)
    }
    print(json.dumps({"chosen": chosen, "unrounded": unrounded}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
