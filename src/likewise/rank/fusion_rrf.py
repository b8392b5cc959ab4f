"""Reciprocal rank fusion of several rankings into one.

Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
Rank Learning Methods", SIGIR 2009: score(d) = sum over rankings r of w_r / (k + rank_r(d)),
ranks counted from 1, k = 60.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

DEFAULT_K = 60
Doc = TypeVar("Doc", str, int)  # documents named by arXiv id or by store key


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[Doc]],
    *,
    k: int = DEFAULT_K,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[Doc, float]]:
    """Fuse named rankings (ids best first) into (id, fused score) best first.

    A document missing from a ranking contributes nothing for it. Ties in the fused score are
    broken by the best single rank the document reached, then by id (or key), so the output
    is stable.
    """
    if k < 0:
        raise ValueError("k must be non-negative")
    fused: dict[Doc, float] = {}
    best_rank: dict[Doc, int] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else float(weights.get(name, 0.0))
        seen: set[Doc] = set()
        for position, doc_id in enumerate(ranking, start=1):
            if doc_id in seen:  # a ranking lists a document once; later copies are noise
                continue
            seen.add(doc_id)
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + position)
            best_rank[doc_id] = min(best_rank.get(doc_id, position), position)
    return sorted(fused.items(), key=lambda item: (-item[1], best_rank[item[0]], item[0]))
