""" "Why it matched": the one or two abstract sentences that best support a query.

Each sentence is scored as w * cos(query, sentence) + (1 - w) * coverage, coverage being the
share of the query's content-word weight (catalog IDF, rank/key_phrases.py CatalogRarity) that
the sentence contains; the best sentence is chosen, and the runner-up too when its score is
within SECOND_RATIO of the best. Locating the supporting sentences of a retrieved document is
the task of Liu et al., "GeAR: Generation Augmented Retrieval" (2025), done here without
training, by dense-lexical fusion; w and the ratio are fit on SciFact's rationale sentences
(Wadden et al., "Fact or Fiction: Verifying Scientific Claims", EMNLP 2020): bench/evidence.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.index.tokens import shared_tokeniser
from likewise.models import Evidence
from likewise.rank.key_phrases import STOP_WORDS, CatalogRarity

Span = tuple[int, int]
__all__ = [
    "FUSED",
    "LEXICAL",
    "Evidence",
    "EvidenceWeights",
    "QueryTerms",
    "chosen_positions",
    "locate_sentences",
    "sentence_scores",
    "supporting_sentences",
]


@dataclass(frozen=True, slots=True)
class EvidenceWeights:
    """How sentence scores are fused and when a second sentence is shown."""

    dense: float  # w: the cosine's weight; 1 - w goes to the lexical coverage
    second_ratio: float  # the runner-up is shown when its score is >= this share of the best


# Fit on the SciFact fit claims (bench/evidence.py fit); the held-out figures are in
# docs/search.md. LEXICAL is used where a hit's sentences have no vectors.
FUSED = EvidenceWeights(dense=0.30, second_ratio=0.94)
LEXICAL = EvidenceWeights(dense=0.0, second_ratio=0.71)
MAX_SENTENCES = 2
# A link's path is not prose: "code at github.com/x/graph-similarity" does not say anything
# about similarity, so its words do not count towards a sentence's coverage.
LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|io|net)/\S*", re.IGNORECASE)


class QueryTerms:
    """A query's content stems (stop words left out), each weighed by its catalog rarity
    (IDF; 1 for every stem without a catalog)."""

    def __init__(self, query: str, rarity: CatalogRarity | None) -> None:
        tokeniser = shared_tokeniser()
        weights: dict[str, float] = {}
        for word in tokeniser.words(query):
            if word.casefold() in STOP_WORDS or len(word) < 2:
                continue
            stem = tokeniser.stem(word)
            weights[stem] = 1.0 if rarity is None else rarity.weight(stem)
        self.weights = weights
        self.total = sum(weights.values())

    def coverage(self, sentence: str) -> float:
        """Share of the query's weight whose stems occur in the sentence, in [0, 1]."""
        if self.total <= 0.0:
            return 0.0
        present = set(shared_tokeniser().terms(LINK.sub(" ", sentence)))
        found = sum(weight for stem, weight in self.weights.items() if stem in present)
        return found / self.total


def sentence_scores(
    terms: QueryTerms,
    sentences: Sequence[str],
    weights: EvidenceWeights,
    query_vector: npt.NDArray[np.float32] | None = None,
    sentence_vectors: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float64]:
    """Each sentence's fused score. Without vectors (either side) the score is the coverage
    alone; a query without content words is judged by its cosine alone."""
    coverage = np.array([terms.coverage(sentence) for sentence in sentences], dtype=np.float64)
    if query_vector is None or sentence_vectors is None or weights.dense <= 0.0:
        return coverage
    cosines = sentence_vectors.astype(np.float64) @ query_vector.astype(np.float64)
    if terms.total <= 0.0:
        return cosines
    scores: npt.NDArray[np.float64] = weights.dense * cosines + (1.0 - weights.dense) * coverage
    return scores


def chosen_positions(scores: npt.NDArray[np.float64], second_ratio: float) -> list[int]:
    """The best sentence (the earlier one on ties) and the runner-up when it is close; none
    when no sentence scores above zero."""
    if scores.size == 0:
        return []
    order = sorted(range(scores.size), key=lambda row: (-scores[row], row))
    best = float(scores[order[0]])
    if best <= 0.0:
        return []
    chosen = [order[0]]
    if len(order) > 1 and MAX_SENTENCES > 1:
        runner_up = float(scores[order[1]])
        if runner_up > 0.0 and runner_up >= second_ratio * best:
            chosen.append(order[1])
    return sorted(chosen)


def supporting_sentences(
    abstract: str,
    spans: Sequence[Span],
    terms: QueryTerms,
    weights: EvidenceWeights,
    query_vector: npt.NDArray[np.float32] | None = None,
    sentence_vectors: npt.NDArray[np.float32] | None = None,
) -> list[Evidence]:
    """The abstract's one or two supporting sentences for the query, in reading order.

    `spans` are the sentences' [start, end) offsets in `abstract`; `sentence_vectors`, when
    given, has one unit row per span."""
    if sentence_vectors is not None and len(sentence_vectors) != len(spans):
        raise ValueError(f"{len(sentence_vectors)} sentence vectors for {len(spans)} sentences")
    texts = [abstract[start:end] for start, end in spans]
    scores = sentence_scores(terms, texts, weights, query_vector, sentence_vectors)
    return [
        Evidence(texts[row], spans[row][0], spans[row][1], round(float(scores[row]), 4))
        for row in chosen_positions(scores, weights.second_ratio)
    ]


def locate_sentences(abstract: str, sentences: Sequence[str]) -> list[Span] | None:
    """The [start, end) offsets of stored sentence texts in the abstract, found in order;
    None when one cannot be found (the abstract changed since they were stored)."""
    spans: list[Span] = []
    position = 0
    for sentence in sentences:
        text = sentence.strip()
        start = abstract.find(text, position)
        if not text or start < 0:
            return None
        spans.append((start, start + len(text)))
        position = start + len(text)
    return spans
