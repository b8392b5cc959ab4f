"""A hand-set relevance calibration for the fake embedder: p = sigmoid(25 (s - boundary))."""

from __future__ import annotations

import math

import numpy as np

from likewise.rank.cosine_adapter import CosineAdapter, RelevanceCalibration


def steep_calibration(model_id: str, boundary: float) -> RelevanceCalibration:
    """p = sigmoid(25 (s - boundary)) of the raw score, for every fusion method and query: a
    boundary above every possible score leaves "no good matches" for any query."""
    zeros = np.zeros(2)
    adapters = {
        method: CosineAdapter(
            model_id,
            method,
            "scores",
            zeros,
            np.ones(2),
            zeros,
            math.log(25.0),
            zeros,
            -25.0 * boundary,
        )
        for method in ("dense", "rrf", "convex", "bm25")
    }
    return RelevanceCalibration(model_id, 0.5, adapters)
