"""Similar by facet over a whole catalog: candidates found by the paper vector are re-scored by
how well their sentences match the query paper's sentences of one facet, each score carrying
the sentence pairs that made it.

The task is CSFCube's faceted query by example (Mysore, Jasim, McCallum and Zamani, "CSFCube -
A Test Collection of Computer Science Research Articles for Faceted Query by Example", NeurIPS
2021 Datasets & Benchmarks): given a paper and a facet (background, method, result), find papers
similar in that facet. The scoring is the aspect-based sentence max-sim of its companion model
(Mysore, Cohan and Hope, "Multi-Vector Models with Textual Guidance for Fine-Grained Scientific
Document Similarity", NAACL 2022): only the query's sentences of the facet take part ("objective"
counts as background, as in CSFCube), each is matched to its most similar candidate sentence,
and the matches are aggregated, then blended with the whole-paper cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.rank.facets import FACET_LABELS, FACETS, UnknownFacetError

AGGREGATIONS: tuple[str, ...] = ("max", "mean")
"""How the facet sentences' best matches combine: "max", the single best pair (Aspire's
tsAspire), or "mean", their average (ColBERT-style max-sim, normalised by the query length)."""

DEFAULT_AGGREGATION = "max"
DEFAULT_FACET_WEIGHT = 0.3
"""With "max", chosen on the fit half of CSFCube's dev queries with predicted labels and the
product's span-pooled sentence vectors (bench/csfcube_facets.py; docs/facets.md)."""

MATCHES_KEPT = 2


@dataclass(frozen=True, slots=True)
class FacetQuery:
    """The query paper's sentences that speak to the facet: their positions in its abstract
    and their unit vectors. `fallback` is true when no sentence carried the facet's labels and
    every sentence stands in (a paper without such sentences still has a topic)."""

    facet: str
    positions: tuple[int, ...]
    vectors: npt.NDArray[np.float32]
    fallback: bool


@dataclass(frozen=True, slots=True)
class SentenceMatch:
    """One query facet sentence and the candidate sentence closest to it (positions in each
    paper's abstract sentences) with their cosine."""

    query_sentence: int
    candidate_sentence: int
    similarity: float


@dataclass(frozen=True, slots=True)
class FacetScore:
    """A candidate's blended score, its facet part (None when it has no stored sentences, so
    the score is its cosine) and its best sentence matches, best first."""

    score: float
    facet_score: float | None
    matches: tuple[SentenceMatch, ...]


def facet_query(vectors: npt.NDArray[np.float32], labels: Sequence[str], facet: str) -> FacetQuery:
    """The query's sentences of `facet` (labels mapped as FACET_LABELS says)."""
    if facet not in FACET_LABELS:
        raise UnknownFacetError(f"unknown facet {facet!r}; choose one of {', '.join(FACETS)}")
    if len(labels) != len(vectors):
        raise ValueError(f"{len(labels)} labels for {len(vectors)} sentence vectors")
    wanted = FACET_LABELS[facet]
    chosen = [index for index, label in enumerate(labels) if label.lower() in wanted]
    fallback = not chosen
    if fallback:
        chosen = list(range(len(labels)))
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(labels), -1)
    return FacetQuery(facet, tuple(chosen), matrix[chosen], fallback)


def score_by_facet(
    query: FacetQuery,
    cosines: npt.NDArray[np.float64],
    candidate_sentences: Sequence[npt.NDArray[np.float32] | None],
    *,
    weight: float = DEFAULT_FACET_WEIGHT,
    aggregation: str = DEFAULT_AGGREGATION,
    kept: int = MATCHES_KEPT,
) -> list[FacetScore]:
    """One FacetScore per candidate: (1 - weight) * cosine + weight * facet match, where the
    facet match aggregates each query facet sentence's best cosine with a candidate sentence.
    A candidate without sentences (or a query without any) keeps its cosine as its score."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}; choose one of {AGGREGATIONS}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError("the facet weight is between 0 and 1")
    if len(cosines) != len(candidate_sentences):
        raise ValueError(f"{len(cosines)} cosines for {len(candidate_sentences)} candidates")
    scores: list[FacetScore] = []
    for cosine, sentences in zip(cosines.tolist(), candidate_sentences, strict=True):
        if sentences is None or len(sentences) == 0 or len(query.vectors) == 0:
            scores.append(FacetScore(float(cosine), None, ()))
            continue
        similarities = query.vectors @ np.asarray(sentences, dtype=np.float32).T
        best_column = similarities.argmax(axis=1)
        best = similarities[np.arange(len(best_column)), best_column].astype(np.float64)
        matched = float(best.max() if aggregation == "max" else best.mean())
        order = np.argsort(-best, kind="stable")[:kept]
        matches = tuple(
            SentenceMatch(query.positions[row], int(best_column[row]), float(best[row]))
            for row in order.tolist()
        )
        scores.append(
            FacetScore((1.0 - weight) * float(cosine) + weight * matched, matched, matches)
        )
    return scores
