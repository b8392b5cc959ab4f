"""Sentence facet labels by a small classifier: multinomial logistic regression on the
sentence vector, its neighbours' vectors and the sentence's place in its abstract.

Discourse roles in abstracts follow position and the sentences around them (background
first, results last), which is why sequential sentence classifiers use context (Dernoncourt
and Lee, "PubMed 200k RCT: a Dataset for Sequential Sentence Classification in Medical
Abstracts", IJCNLP 2017); here a linear model sees the previous and next sentence's vectors
and a few position features beside the sentence's own vector. Weights are fitted once on
CSFCube's labelled sentences (sentence_classifier_fit.py, bench/sentence_facets.py) and
shipped in facet_data/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

BUNDLED_CLASSIFIER = Path(__file__).resolve().parent / "facet_data" / "sentence_classifier.json"


class ClassifierFileError(ValueError):
    """A classifier file that cannot be read."""


def position_features(count: int) -> npt.NDArray[np.float32]:
    """(count, 5): relative position, its square, first, last, and 1 / count."""
    if count == 0:
        return np.zeros((0, 5), dtype=np.float32)
    place = np.arange(count, dtype=np.float32) / max(count - 1, 1)
    first = np.zeros(count, dtype=np.float32)
    last = np.zeros(count, dtype=np.float32)
    first[0] = 1.0
    last[-1] = 1.0
    inverse = np.full(count, 1.0 / count, dtype=np.float32)
    return np.stack([place, place**2, first, last, inverse], axis=1)


def sentence_features(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Features of one abstract's sentences, in order: the vector, the previous and the next
    sentence's vectors (zeros at the ends), then position features."""
    own = vectors.astype(np.float32)
    edge = np.zeros((min(len(own), 1), own.shape[1]), dtype=np.float32)
    previous = np.concatenate([edge, own[:-1]])
    following = np.concatenate([own[1:], edge])
    return np.concatenate([own, previous, following, position_features(len(own))], axis=1)


@dataclass(frozen=True, slots=True)
class SentenceClassifier:
    """Linear softmax over sentence features; valid only for vectors of `model_id`."""

    model_id: str
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (features, labels)
    bias: npt.NDArray[np.float32]  # (labels,)

    def probabilities(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(sentences, labels) probabilities for one abstract's sentences, in order."""
        logits = sentence_features(vectors) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(
            np.float32
        )
        return probabilities

    def predict(self, vectors: npt.NDArray[np.float32]) -> list[str]:
        """The most probable label of each sentence of one abstract."""
        if len(vectors) == 0:
            return []
        best = np.argmax(self.probabilities(vectors), axis=1)
        return [self.labels[int(index)] for index in best]

    def to_json(self) -> dict[str, object]:
        return {
            "model_id": self.model_id,
            "labels": list(self.labels),
            "weights": np.round(self.weights, 5).tolist(),
            "bias": np.round(self.bias, 5).tolist(),
        }


def load_classifier(path: Path = BUNDLED_CLASSIFIER) -> SentenceClassifier:
    """The classifier of a JSON file shaped like facet_data/sentence_classifier.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        classifier = SentenceClassifier(
            str(data["model_id"]),
            tuple(str(label) for label in data["labels"]),
            np.asarray(data["weights"], dtype=np.float32),
            np.asarray(data["bias"], dtype=np.float32),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ClassifierFileError(f"{path}: {error}") from error
    shape = (classifier.weights.ndim, classifier.weights.shape[-1], classifier.bias.shape)
    if shape != (2, len(classifier.labels), (len(classifier.labels),)):
        raise ClassifierFileError(f"{path}: weights and bias do not match the labels")
    return classifier
