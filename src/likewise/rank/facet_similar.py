"""Similar by facet over a whole catalog: candidates found by the paper vector are re-scored by
how well their sentences match the query paper's sentences of one facet, each score carrying
the sentence pairs that made it.

The task is CSFCube's faceted query by example (Mysore, Jasim, McCallum and Zamani, "CSFCube -
A Test Collection of Computer Science Research Articles for Faceted Query by Example", NeurIPS
2021 Datasets & Benchmarks): given a paper and a facet (background, method, result), find papers
similar in that facet. The scoring is the aspect-based sentence max-sim of its companion model
(Mysore, Cohan and Hope, "Multi-Vector Models with Textual Guidance for Fine-Grained Scientific
Document Similarity", NAACL 2022): only the query's sentences of the facet take part ("objective"
counts as background, as in CSFCube; with the classifier, also those whose second most probable
label is of the facet), each is matched to its most similar candidate sentence,
and the matches are aggregated, then blended with the whole-paper cosine and a whole-paper
lexical similarity: the TF-IDF cosine of title + abstract with sublinear tf and idf log(N / df)
(Salton and Buckley, "Term-weighting approaches in automatic text retrieval", Information
Processing & Management 24(5), 1988), each of the three min-max normalised over the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.index.tokens import shared_tokeniser, term_counts
from likewise.rank.facets import FACET_LABELS, FACETS, UnknownFacetError

AGGREGATIONS: tuple[str, ...] = ("max", "mean")
"""How the facet sentences' best matches combine: "max", the single best pair (Aspire's
tsAspire), or "mean", their average (ColBERT-style max-sim, normalised by the query length)."""

NORMALISATIONS: tuple[str, ...] = ("minmax", "none")
"""How each component is scaled over one query's candidates before the blend: "minmax" maps it
onto [0, 1] (a constant component becomes 0), "none" blends the raw values."""

DEFAULT_AGGREGATION = "max"
DEFAULT_NORMALISATION = "minmax"
DEFAULT_FACET_WEIGHT = 0.3
DEFAULT_LEXICAL_WEIGHT = 0.2
"""With "max" and "minmax", chosen on the fit half of CSFCube's dev queries with predicted
labels and the product's span-pooled sentence vectors (bench/csfcube_facet_mix.py, its
whole-abstract TF-IDF row; bench/csfcube_facets.py; docs/facets.md)."""

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
    """A candidate's blended score, its facet part (None when it has no stored sentences: its
    cosine stands in), its lexical part (TF-IDF cosine, 0 without an abstract) and its best
    sentence matches, best first."""

    score: float
    facet_score: float | None
    matches: tuple[SentenceMatch, ...]
    lexical_score: float = 0.0


def facet_query(
    vectors: npt.NDArray[np.float32],
    labels: Sequence[str],
    facet: str,
    runner_up: Sequence[str] | None = None,
) -> FacetQuery:
    """The query's sentences of `facet` (labels mapped as FACET_LABELS says). With `runner_up`,
    each sentence's second most probable label, a sentence also counts when its facet came
    second, so one the classifier put just past the facet still takes part (chosen on
    CSFCube's fit half, bench/csfcube_facet_soft.py)."""
    if facet not in FACET_LABELS:
        raise UnknownFacetError(f"unknown facet {facet!r}; choose one of {', '.join(FACETS)}")
    if len(labels) != len(vectors):
        raise ValueError(f"{len(labels)} labels for {len(vectors)} sentence vectors")
    if runner_up is not None and len(runner_up) != len(labels):
        raise ValueError(f"{len(runner_up)} runner-up labels for {len(labels)} labels")
    wanted = FACET_LABELS[facet]
    seconds = list(runner_up) if runner_up is not None else [""] * len(labels)
    chosen = [
        index
        for index, (label, second) in enumerate(zip(labels, seconds, strict=True))
        if label.lower() in wanted or second.lower() in wanted
    ]
    fallback = not chosen
    if fallback:
        chosen = list(range(len(labels)))
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(labels), -1)
    return FacetQuery(facet, tuple(chosen), matrix[chosen], fallback)


def tfidf_vector(text: str, idf: Callable[[str], float]) -> dict[str, float]:
    """Unit-length TF-IDF weights of the text's stemmed terms (index/tokens.py): (1 + log tf)
    * idf(term), Salton and Buckley's sublinear tf with the catalog's idf."""
    (counts,) = term_counts(shared_tokeniser(), [text])
    weights = {term: (1.0 + math.log(count)) * idf(term) for term, count in counts.items()}
    length = math.sqrt(sum(value * value for value in weights.values()))
    return {term: value / length for term, value in weights.items()} if length > 0 else {}


def tfidf_cosine(first: dict[str, float], second: dict[str, float]) -> float:
    """Cosine of two unit-length sparse vectors: the dot product over their shared terms."""
    small, large = (first, second) if len(first) <= len(second) else (second, first)
    return sum(value * large.get(term, 0.0) for term, value in small.items())


def normalised(values: npt.NDArray[np.float64], normalisation: str) -> npt.NDArray[np.float64]:
    """One component over a query's candidates, scaled as NORMALISATIONS says."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {NORMALISATIONS}")
    values = np.asarray(values, dtype=np.float64)
    if normalisation == "none" or len(values) == 0:
        return values
    spread = float(values.max() - values.min())
    if spread <= 0:
        return np.zeros_like(values)
    result: npt.NDArray[np.float64] = (values - values.min()) / spread
    return result


def blend(
    cosines: npt.NDArray[np.float64],
    facet_parts: npt.NDArray[np.float64],
    lexical: npt.NDArray[np.float64],
    *,
    weight: float = DEFAULT_FACET_WEIGHT,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
    normalisation: str = DEFAULT_NORMALISATION,
) -> npt.NDArray[np.float64]:
    """(1 - w - v) * cosine + w * facet + v * lexical, each component normalised over the
    candidates first: the dense + lexical hybrid chosen on CSFCube's fit half."""
    if not (0.0 <= weight <= 1.0 and 0.0 <= lexical_weight <= 1.0):
        raise ValueError("the facet and lexical weights are between 0 and 1")
    if weight + lexical_weight > 1.0 + 1e-9:
        raise ValueError("the facet and lexical weights add up to at most 1")
    if not len(cosines) == len(facet_parts) == len(lexical):
        raise ValueError("one cosine, facet part and lexical part per candidate")
    result: npt.NDArray[np.float64] = (
        (1.0 - weight - lexical_weight) * normalised(cosines, normalisation)
        + weight * normalised(facet_parts, normalisation)
        + lexical_weight * normalised(lexical, normalisation)
    )
    return result


def _distinct_matches(
    query: FacetQuery,
    best_column: npt.NDArray[np.intp],
    best: npt.NDArray[np.float64],
    kept: int,
) -> tuple[SentenceMatch, ...]:
    """The best `kept` pairs, best first, each with a different candidate sentence (one
    candidate sentence that is the best match of two query sentences is shown once)."""
    shown: list[SentenceMatch] = []
    used: set[int] = set()
    for row in np.argsort(-best, kind="stable").tolist():
        column = int(best_column[row])
        if column in used:
            continue
        used.add(column)
        shown.append(SentenceMatch(query.positions[row], column, float(best[row])))
        if len(shown) == kept:
            break
    return tuple(shown)


def score_by_facet(
    query: FacetQuery,
    cosines: npt.NDArray[np.float64],
    candidate_sentences: Sequence[npt.NDArray[np.float32] | None],
    lexical: npt.NDArray[np.float64] | None = None,
    *,
    weight: float = DEFAULT_FACET_WEIGHT,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
    aggregation: str = DEFAULT_AGGREGATION,
    normalisation: str = DEFAULT_NORMALISATION,
    kept: int = MATCHES_KEPT,
) -> list[FacetScore]:
    """One FacetScore per candidate, blended as `blend` says, where the facet part aggregates
    each query facet sentence's best cosine with a candidate sentence. A candidate without
    sentences (or a query without any) has no facet part and its cosine stands in for it;
    `lexical` None means no lexical part (all 0)."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}; choose one of {AGGREGATIONS}")
    if len(cosines) != len(candidate_sentences):
        raise ValueError(f"{len(cosines)} cosines for {len(candidate_sentences)} candidates")
    lexical_parts = np.zeros(len(cosines)) if lexical is None else np.asarray(lexical, np.float64)
    facet_scores: list[float | None] = []
    found: list[tuple[SentenceMatch, ...]] = []
    for sentences in candidate_sentences:
        if sentences is None or len(sentences) == 0 or len(query.vectors) == 0:
            facet_scores.append(None)
            found.append(())
            continue
        similarities = query.vectors @ np.asarray(sentences, dtype=np.float32).T
        best_column = similarities.argmax(axis=1)
        best = similarities[np.arange(len(best_column)), best_column].astype(np.float64)
        facet_scores.append(float(best.max() if aggregation == "max" else best.mean()))
        found.append(_distinct_matches(query, best_column, best, kept))
    raw = np.asarray(cosines, dtype=np.float64)
    parts = np.array(
        [float(c) if f is None else f for c, f in zip(raw.tolist(), facet_scores, strict=True)]
    )
    scores = blend(
        raw,
        parts,
        lexical_parts,
        weight=weight,
        lexical_weight=lexical_weight,
        normalisation=normalisation,
    )
    return [
        FacetScore(float(score), facet, matches, float(lex))
        for score, facet, matches, lex in zip(
            scores.tolist(), facet_scores, found, lexical_parts.tolist(), strict=True
        )
    ]
