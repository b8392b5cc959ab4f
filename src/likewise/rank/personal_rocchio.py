"""Discriminative Rocchio: the reader's centroid minus gamma times the background's centroid
(Rocchio, "Relevance Feedback in Information Retrieval", 1971: q' = q + beta mean(relevant) -
gamma mean(non-relevant)), for the dense and the TF-IDF halves of the personal feed."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

GAMMAS = (0.25, 0.5, 1.0)


def background_cosines(candidates: Any, background: Any) -> npt.NDArray[np.float32]:
    """Per candidate, the cosine to the unit mean of the background rows (unit rows, dense
    arrays or scipy sparse matrices alike); zeros for an empty background."""
    count = candidates.shape[0]
    if background is None or background.shape[0] == 0 or count == 0:
        return np.zeros(count, dtype=np.float32)
    centroid = np.asarray(background.mean(axis=0), dtype=np.float64).ravel()
    norm = float(np.linalg.norm(centroid))
    if norm <= 1e-12:
        return np.zeros(count, dtype=np.float32)
    cosines = np.asarray(candidates @ (centroid / norm), dtype=np.float32).ravel()
    return cosines


def discriminative(
    centroid_cosines: npt.NDArray[np.float32],
    background: npt.NDArray[np.float32],
    gamma: float,
) -> npt.NDArray[np.float32]:
    """scores[u, c] = cos(c, reader u's unit centroid) - gamma cos(c, the unit background
    centroid): the cosine to Rocchio's modified query q' = q / |q| - gamma b / |b| (for unit
    candidates), one subtraction for the whole batch."""
    shifted: npt.NDArray[np.float32] = (centroid_cosines - gamma * background[None, :]).astype(
        np.float32
    )
    return shifted
