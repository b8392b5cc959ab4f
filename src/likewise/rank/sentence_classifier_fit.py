"""Fitting the sentence facet classifier (sentence_classifier.py): L2-regularised multinomial
logistic regression by L-BFGS on labelled sentences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from likewise.rank.sentence_classifier import SentenceClassifier

Float64 = npt.NDArray[np.float64]


def fit_classifier(
    features: npt.NDArray[np.float32],
    labels: Sequence[str],
    label_set: Sequence[str],
    model_id: str,
    *,
    l2: float = 1e-3,
    max_iterations: int = 500,
    cue_size: int = 0,
) -> SentenceClassifier:
    """The classifier minimising mean cross-entropy + l2 * |W|^2 (the bias is not penalised);
    classes are weighted by inverse frequency so that rare labels ("other") still count.
    `features` are sentence_features rows with `cue_size` hashed cue columns last."""
    if len(features) != len(labels) or len(features) == 0:
        raise ValueError("needs one label per feature row, and at least one row")
    index = {label: position for position, label in enumerate(label_set)}
    targets = np.asarray([index[label] for label in labels], dtype=np.int64)
    x = features.astype(np.float64)
    rows, width = x.shape
    classes = len(label_set)
    counts = np.bincount(targets, minlength=classes).astype(np.float64)
    class_weight = np.where(counts > 0, rows / (classes * np.maximum(counts, 1.0)), 0.0)
    sample_weight = class_weight[targets] / rows
    one_hot = np.zeros((rows, classes))
    one_hot[np.arange(rows), targets] = 1.0

    def loss(flat: Float64) -> tuple[float, Float64]:
        weights = flat[: width * classes].reshape(width, classes)
        bias = flat[width * classes :]
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        log_probabilities = logits - log_norm
        value = -float(np.sum(sample_weight * log_probabilities[np.arange(rows), targets]))
        value += l2 * float(np.sum(weights**2))
        residual = (np.exp(log_probabilities) - one_hot) * sample_weight[:, None]
        gradient_w = x.T @ residual + 2.0 * l2 * weights
        gradient_b = residual.sum(axis=0)
        return value, np.concatenate([gradient_w.ravel(), gradient_b])

    start = np.zeros(width * classes + classes)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iterations})
    flat = np.asarray(result.x, dtype=np.float64)
    return SentenceClassifier(
        model_id,
        tuple(label_set),
        flat[: width * classes].reshape(width, classes).astype(np.float32),
        flat[width * classes :].astype(np.float32),
        cue_size,
    )
