"""Convex combination of normalised lexical and dense scores.

Bruch, Gai & Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023:
f(q, d) = alpha * phi(f_dense(q, d)) + (1 - alpha) * phi(f_lexical(q, d)), with phi the
theoretical min-max normalisation (TMM) phi(s) = (s - m) / (M_q - m), where m is the lowest score
the scoring function can produce (0 for BM25, -1 for cosine) and M_q the highest score observed
for the query. A document a component did not retrieve gets that component's minimum (0 after
normalisation). The paper finds TMM robust and alpha sample-efficient to tune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

# Lowest value each score function can take: BM25 is non-negative, cosine is bounded by -1.
BM25_MINIMUM = 0.0
COSINE_MINIMUM = -1.0
# Documents are named by arXiv id or by store key; ties are broken by that name.
Doc = TypeVar("Doc", str, int)


@dataclass(frozen=True, slots=True)
class Component(Generic[Doc]):
    """One retriever's scores for a query, with the theoretical minimum of its scale."""

    scores: Mapping[Doc, float]
    minimum: float
    ceiling: float | None = None  # the highest score possible for the query, when known


def theoretical_min_max(
    scores: Mapping[Doc, float], minimum: float, ceiling: float | None = None
) -> dict[Doc, float]:
    """TMM-normalise scores to [0, 1]: (s - minimum) / (max_q - minimum).

    A ceiling is the most the score function can give for this query (BM25's upper bound,
    rank/bm25.py): max_q is then max(observed top, ceiling), so that a best paper matching
    only part of a short query is not scaled up to a full match (docs/search.md)."""
    if not scores:
        return {}
    top = max(scores.values())
    if ceiling is not None:
        top = max(top, ceiling)
    span = top - minimum
    if span <= 0.0:
        # Every score sits at the theoretical minimum: nothing is preferred over anything.
        return {doc_id: 0.0 for doc_id in scores}
    return {doc_id: (score - minimum) / span for doc_id, score in scores.items()}


def convex_combination(
    components: Mapping[str, Component[Doc]], weights: Mapping[str, float]
) -> list[tuple[Doc, float]]:
    """(id, fused score) best first over the union of the components' documents.

    `weights` must be non-negative and sum to 1 (a convex combination); ties are broken by id.
    """
    if set(weights) != set(components):
        raise ValueError("give exactly one weight per component")
    if any(weight < 0.0 for weight in weights.values()):
        raise ValueError("convex weights must be non-negative")
    if abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ValueError("convex weights must sum to 1")
    fused: dict[Doc, float] = {}
    for name, component in components.items():
        normalised = theoretical_min_max(component.scores, component.minimum, component.ceiling)
        for doc_id, value in normalised.items():
            fused[doc_id] = fused.get(doc_id, 0.0) + weights[name] * value
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def dense_lexical_fusion(
    dense: Mapping[Doc, float],
    lexical: Mapping[Doc, float],
    alpha: float,
    lexical_ceiling: float | None = None,
) -> list[tuple[Doc, float]]:
    """The hybrid used by search: alpha on cosine similarity, 1 - alpha on BM25 (normalised
    by its upper bound for the query instead of the best score when `lexical_ceiling` is
    given)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must lie in [0, 1]")
    return convex_combination(
        {
            "dense": Component(dense, COSINE_MINIMUM),
            "lexical": Component(lexical, BM25_MINIMUM, lexical_ceiling),
        },
        {"dense": alpha, "lexical": 1.0 - alpha},
    )
