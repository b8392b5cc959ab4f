"""Sentence facet labels by similarity: background / objective / method / result / other.

The similarity-based zero-shot classifier of Schopf, Braun and Matthes, "Evaluating
Unsupervised Text Classification: Zero-shot and Similarity-based Approaches" (2023): each
label is described in a few plain sentences, the descriptions are embedded with the same model
as the sentences, and a sentence takes the label whose mean description vector is closest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FACET_LABELS = ("background", "objective", "method", "result", "other")

# Several phrasings per label, written in the voice of abstracts; their vectors are averaged.
LABEL_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "background": (
        "Background: prior work and the context of the research problem.",
        "This problem is important and has been widely studied, but existing approaches have "
        "limitations.",
        "Recent years have seen growing interest in this area.",
    ),
    "objective": (
        "Objective: the goal and aim of this paper.",
        "In this paper, we aim to address this question.",
        "The purpose of this work is to investigate the problem.",
    ),
    "method": (
        "Method: the approach, model, algorithm or technique the authors propose.",
        "We propose a novel model that uses a neural network trained with a new objective.",
        "Our approach first builds a graph and then applies an efficient algorithm.",
    ),
    "result": (
        "Result: experimental findings, evaluation and performance.",
        "Experiments show that our method outperforms the baselines and achieves "
        "state-of-the-art accuracy.",
        "We find that the results improve significantly on benchmark datasets.",
    ),
    "other": (
        "Other: code availability, acknowledgements or publication notes.",
        "The code and data are publicly available online.",
        "This paper is an extended version of our conference paper.",
    ),
}


def description_texts() -> list[tuple[str, str]]:
    """(label, description) pairs in label order, ready to embed."""
    return [(label, text) for label in FACET_LABELS for text in LABEL_DESCRIPTIONS[label]]


def label_vectors(
    pairs: Sequence[tuple[str, str]], vectors: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """One unit vector per label of FACET_LABELS: the normalised mean of its descriptions'
    vectors (`vectors` rows aligned with `pairs`)."""
    rows = []
    for label in FACET_LABELS:
        own = vectors[[index for index, (name, _) in enumerate(pairs) if name == label]]
        mean = own.mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
    return np.asarray(rows, dtype=np.float32)


def label_by_similarity(
    sentence_vectors: npt.NDArray[np.float32], labels: npt.NDArray[np.float32]
) -> list[str]:
    """Each sentence's closest label (rows of `labels` in FACET_LABELS order)."""
    if len(sentence_vectors) == 0:
        return []
    best = np.argmax(sentence_vectors @ labels.T, axis=1)
    return [FACET_LABELS[int(index)] for index in best]
