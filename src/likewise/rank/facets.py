"""Facet-restricted sentence matching for faceted query by example (background/method/result).

The query contributes only its sentences labelled with the requested facet; each is matched to
its most similar candidate sentence. This follows the multi-vector, sentence-level matching of
Mysore, Cohan and Hope, "Multi-Vector Models with Textual Guidance for Fine-Grained Scientific
Document Similarity" (Aspire), NAACL 2022, including their facet filter (a query keeps only the
sentences of the facet; "objective" sentences count as background). The default, "single",
is Aspire's fast single-match variant (tsAspire): the best-matching sentence pair. "maxsim"
averages each facet sentence's best match, the late-interaction sum of Khattab and Zaharia,
"ColBERT", SIGIR 2020. Sentence vectors here come from the general MiniLM model, not Aspire's
co-citation-trained encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FACETS: tuple[str, ...] = ("background", "method", "result")

FACET_LABELS: dict[str, frozenset[str]] = {
    "background": frozenset({"background", "objective"}),
    "method": frozenset({"method"}),
    "result": frozenset({"result"}),
}

FACET_WEIGHT = 0.5
"""Weight of the facet sentence score against the whole-abstract cosine: an even blend, the one
choice made without looking at results (docs/similar.md reports the alternatives measured)."""

MATCHING_MODES: tuple[str, ...] = ("single", "maxsim")
DEFAULT_MATCHING = "single"
"""Chosen on CSFCube's dev half between the two modes (docs/similar.md has both figures)."""


class UnknownFacetError(ValueError):
    """The facet is not one of FACETS."""


def facet_sentence_indices(labels: Sequence[str], facet: str | None) -> list[int]:
    """Indices of the sentences that speak to the facet; every sentence when the facet is None
    or no sentence carries it (a query without such sentences still has a topic)."""
    if facet is None:
        return list(range(len(labels)))
    if facet not in FACET_LABELS:
        raise UnknownFacetError(f"unknown facet {facet!r}; choose one of {', '.join(FACETS)}")
    wanted = FACET_LABELS[facet]
    chosen = [index for index, label in enumerate(labels) if label.lower() in wanted]
    return chosen or list(range(len(labels)))


def facet_sentence_scores(
    query_sentences: npt.NDArray[np.float32],
    query_labels: Sequence[str],
    candidate_sentences: Sequence[npt.NDArray[np.float32]],
    *,
    facet: str | None,
    mode: str = DEFAULT_MATCHING,
) -> npt.NDArray[np.float64]:
    """One score per candidate: how well its sentences cover the query's facet sentences."""
    if mode not in MATCHING_MODES:
        raise ValueError(f"unknown matching mode {mode!r}; choose one of {MATCHING_MODES}")
    if len(query_labels) != len(query_sentences):
        raise ValueError("the query needs exactly one facet label per sentence vector")
    selected = np.asarray(query_sentences, dtype=np.float32)[
        facet_sentence_indices(query_labels, facet)
    ]
    scores = np.empty(len(candidate_sentences), dtype=np.float64)
    for position, sentences in enumerate(candidate_sentences):
        similarities = selected @ np.asarray(sentences, dtype=np.float32).T
        best_per_query_sentence = similarities.max(axis=1)
        if mode == "maxsim":
            scores[position] = float(best_per_query_sentence.mean())
        else:
            scores[position] = float(best_per_query_sentence.max())
    return scores
