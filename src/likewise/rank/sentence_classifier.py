"""Sentence facet labels by a small classifier: multinomial logistic regression on the
sentence vector, its neighbours' vectors, its place in the abstract and its hashed words
(weights fitted on CSFCube by sentence_classifier_fit.py and shipped in facet_data/)."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

BUNDLED_CLASSIFIER = Path(__file__).resolve().parent / "facet_data" / "sentence_classifier.json"
# Version 1 files (no "version" field) have no cue columns; version 2 adds "cue_size".
FORMAT_VERSION = 2
CUE_SIZE = 2048
_TOKEN = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*|%")
NUMBER = "<num>"


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


def tokens(text: str) -> list[str]:
    """Lower-cased words, "%" and numbers (each number as NUMBER)."""
    return [NUMBER if token[0].isdigit() else token for token in _TOKEN.findall(text.lower())]


def cue_terms(texts: Sequence[str], row: int) -> tuple[list[str], list[str]]:
    """The cue terms of sentence `row` of one abstract: its words ("u:" unigrams, "b:" bigrams)
    and its openings ("f1:".."f3:" its first one to three words, "p2:" and "n2:" the previous
    and next sentence's first two words)."""
    own = tokens(texts[row])
    words = [f"u:{token}" for token in own]
    words += [f"b:{left} {right}" for left, right in pairwise(own)]
    openings = [f"f{size}:{' '.join(own[:size])}" for size in (1, 2, 3) if len(own) >= size]
    if row > 0:
        openings.append(f"p2:{' '.join(tokens(texts[row - 1])[:2])}")
    if row + 1 < len(texts):
        openings.append(f"n2:{' '.join(tokens(texts[row + 1])[:2])}")
    return words, openings


def hashed(term: str, size: int) -> tuple[int, float]:
    """The column (crc32 mod size) and sign (+1 or -1, from the hash's top bit) of a term."""
    code = zlib.crc32(term.encode("utf-8"))
    return code % size, -1.0 if code >> 31 else 1.0


def cue_features(texts: Sequence[str], size: int) -> npt.NDArray[np.float32]:
    """(sentences, size) hashed cue terms of one abstract's sentences, in order: the word terms
    and the opening terms each scaled to unit length, so each group weighs like one vector.

    Lexical discourse cues ("we propose", "results show", digits, "%") are read from the text
    itself, mapped into a fixed number of columns by signed feature hashing with a stable hash
    (Weinberger et al., "Feature Hashing for Large Scale Multitask Learning", ICML 2009)."""
    features = np.zeros((len(texts), size), dtype=np.float32)
    if size == 0:
        return features
    for row in range(len(texts)):
        for group in cue_terms(texts, row):
            part: dict[int, float] = {}
            for term in group:
                column, sign = hashed(term, size)
                part[column] = part.get(column, 0.0) + sign
            norm = float(np.sqrt(sum(value * value for value in part.values())))
            for column, value in part.items():
                if norm > 0:
                    features[row, column] += value / norm
    return features


def sentence_features(
    vectors: npt.NDArray[np.float32], texts: Sequence[str] = (), cue_size: int = 0
) -> npt.NDArray[np.float32]:
    """Features of one abstract's sentences, in order: the vector, the previous and the next
    sentence's vectors (zeros at the ends), position features, then `cue_size` hashed cue
    columns of the sentence texts (none when 0).

    Discourse roles in abstracts follow position and the sentences around them (background
    first, results last), which is why sequential sentence classifiers use context
    (Dernoncourt and Lee, "PubMed 200k RCT: a Dataset for Sequential Sentence Classification
    in Medical Abstracts", IJCNLP 2017)."""
    own = vectors.astype(np.float32)
    edge = np.zeros((min(len(own), 1), own.shape[1]), dtype=np.float32)
    previous = np.concatenate([edge, own[:-1]])
    following = np.concatenate([own[1:], edge])
    parts = [own, previous, following, position_features(len(own))]
    if cue_size:
        if len(texts) != len(own):
            raise ValueError(f"{len(texts)} sentence texts for {len(own)} sentence vectors")
        parts.append(cue_features(texts, cue_size))
    return np.concatenate(parts, axis=1)


@dataclass(frozen=True, slots=True)
class SentenceClassifier:
    """Linear softmax over sentence features; valid only for vectors of `model_id`."""

    model_id: str
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (features, labels)
    bias: npt.NDArray[np.float32]  # (labels,)
    cue_size: int = 0  # hashed cue columns after the vector and position features

    def probabilities(
        self, vectors: npt.NDArray[np.float32], texts: Sequence[str]
    ) -> npt.NDArray[np.float32]:
        """(sentences, labels) probabilities for one abstract's sentence vectors and texts."""
        logits = sentence_features(vectors, texts, self.cue_size) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(
            np.float32
        )
        return probabilities

    def predict(self, vectors: npt.NDArray[np.float32], texts: Sequence[str]) -> list[str]:
        """The most probable label of each sentence of one abstract (vectors and texts)."""
        if len(vectors) == 0:
            return []
        best = np.argmax(self.probabilities(vectors, texts), axis=1)
        return [self.labels[int(index)] for index in best]

    def runner_up(self, vectors: npt.NDArray[np.float32], texts: Sequence[str]) -> list[str]:
        """The second most probable label of each sentence of one abstract, for a facet filter
        that also admits sentences whose facet came a close second (rank/facet_similar.py)."""
        if len(vectors) == 0:
            return []
        if len(self.labels) < 2:
            return self.predict(vectors, texts)
        order = np.argsort(-self.probabilities(vectors, texts), axis=1, kind="stable")
        return [self.labels[int(index)] for index in order[:, 1]]

    def to_json(self) -> dict[str, object]:
        return {
            "version": FORMAT_VERSION,
            "model_id": self.model_id,
            "labels": list(self.labels),
            "cue_size": self.cue_size,
            "weights": np.round(self.weights.astype(np.float64), 5).tolist(),
            "bias": np.round(self.bias.astype(np.float64), 5).tolist(),
        }


def load_classifier(path: Path = BUNDLED_CLASSIFIER) -> SentenceClassifier:
    """The classifier of a JSON file shaped like facet_data/sentence_classifier.json (format
    version 1, without cue columns, or 2)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = int(data.get("version", 1))
        if version not in (1, FORMAT_VERSION):
            raise ValueError(f"unknown classifier format version {version}")
        classifier = SentenceClassifier(
            str(data["model_id"]),
            tuple(str(label) for label in data["labels"]),
            np.asarray(data["weights"], dtype=np.float32),
            np.asarray(data["bias"], dtype=np.float32),
            int(data["cue_size"]) if version >= 2 else 0,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ClassifierFileError(f"{path}: {error}") from error
    shape = (classifier.weights.ndim, classifier.weights.shape[-1], classifier.bias.shape)
    if shape != (2, len(classifier.labels), (len(classifier.labels),)):
        raise ClassifierFileError(f"{path}: weights and bias do not match the labels")
    vector_rows = classifier.weights.shape[0] - 5 - classifier.cue_size
    if classifier.cue_size < 0 or vector_rows <= 0 or vector_rows % 3:
        raise ClassifierFileError(f"{path}: too few weight rows for {classifier.cue_size} cues")
    return classifier
