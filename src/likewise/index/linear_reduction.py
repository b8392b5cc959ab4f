"""Linear dimensionality reduction for the ANN graph: PCA, and LeanVec's query-aware variant.

The query-aware fit is LeanVec's eigenvector search (LeanVec-ES) from Tepper et al.,
"LeanVec: Search your vectors faster by making them fit", 2023 (arXiv:2312.16335).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.index.persisted import publish_file

Matrix = npt.NDArray[np.float32]
# Blends of the document and query moment matrices tried by the eigenvector search.
DEFAULT_BLEND_STEPS = 11


@dataclass(frozen=True, eq=False)
class LinearReduction:
    """x -> (x - mean) @ projection for documents, q -> q @ projection for queries.

    `projection` is D x d with orthonormal columns. The mean shifts every document's inner
    product with a query by the same amount (q . mean), so queries are not centred: the
    ranking by inner product is what the reduction has to keep.
    """

    projection: Matrix
    mean: Matrix | None = None

    def __post_init__(self) -> None:
        projection = np.asarray(self.projection, dtype=np.float32)
        if projection.ndim != 2 or not 0 < projection.shape[1] <= projection.shape[0]:
            raise ValueError(f"a projection is D x d with 0 < d <= D, not {projection.shape}")
        object.__setattr__(self, "projection", np.ascontiguousarray(projection))
        if self.mean is not None:
            mean = np.asarray(self.mean, dtype=np.float32).reshape(-1)
            if len(mean) != projection.shape[0]:
                raise ValueError(f"the mean has {len(mean)} entries, not {projection.shape[0]}")
            object.__setattr__(self, "mean", mean)

    @property
    def source_dimension(self) -> int:
        return int(self.projection.shape[0])

    @property
    def dimensions(self) -> int:
        return int(self.projection.shape[1])

    def apply(self, vectors: npt.NDArray[np.floating[Any]]) -> Matrix:
        """Reduced documents (rows of `vectors`; a single vector gives a single row)."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if self.mean is not None:
            matrix = matrix - self.mean
        reduced: Matrix = np.ascontiguousarray(matrix @ self.projection, dtype=np.float32)
        return reduced

    def apply_query(self, queries: npt.NDArray[np.floating[Any]]) -> Matrix:
        """Reduced queries: projected without centring (see the class docstring)."""
        reduced: Matrix = np.ascontiguousarray(
            np.asarray(queries, dtype=np.float32) @ self.projection, dtype=np.float32
        )
        return reduced

    def same_as(self, other: LinearReduction) -> bool:
        if (self.mean is None) != (other.mean is None):
            return False
        if self.projection.shape != other.projection.shape:
            return False
        same_mean = self.mean is None or np.array_equal(self.mean, other.mean)  # type: ignore[arg-type]
        return bool(same_mean and np.array_equal(self.projection, other.projection))

    def save(self, path: Path) -> None:
        """Write to `path` (.npz) atomically: readers see the old file or the new one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                mean = np.zeros(0, np.float32) if self.mean is None else self.mean
                np.savez(file, projection=self.projection, mean=mean)
            publish_file(Path(temporary), path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> LinearReduction:
        try:
            with np.load(path, allow_pickle=False) as data:
                projection = np.asarray(data["projection"], dtype=np.float32)
                mean = np.asarray(data["mean"], dtype=np.float32)
        except (KeyError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is not a saved linear reduction") from error
        return cls(projection, mean if len(mean) else None)


def second_moment(vectors: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """X^T X / n in float64 (D x D), accumulated in blocks to bound memory."""
    matrix = np.asarray(vectors)
    if matrix.ndim != 2 or len(matrix) == 0:
        raise ValueError(f"expected a non-empty n x D matrix, got shape {matrix.shape}")
    moment = np.zeros((matrix.shape[1], matrix.shape[1]), dtype=np.float64)
    for start in range(0, len(matrix), 65_536):
        block = matrix[start : start + 65_536].astype(np.float64)
        moment += block.T @ block
    result: npt.NDArray[np.float64] = moment / len(matrix)
    return result


def top_eigenvectors(symmetric: npt.NDArray[np.float64], count: int) -> Matrix:
    """The `count` eigenvectors of largest eigenvalue as columns, each signed so that its
    largest-magnitude entry is positive (a deterministic choice among +v and -v)."""
    if not 0 < count <= len(symmetric):
        raise ValueError(f"cannot keep {count} of {len(symmetric)} dimensions")
    _, vectors = np.linalg.eigh(symmetric)  # ascending eigenvalues
    chosen = vectors[:, ::-1][:, :count]
    peaks = chosen[np.argmax(np.abs(chosen), axis=0), np.arange(count)]
    return (chosen * np.where(peaks < 0, -1.0, 1.0)).astype(np.float32)


def fit_pca(
    vectors: npt.NDArray[np.floating[Any]], dimensions: int, *, center: bool = False
) -> LinearReduction:
    """Principal directions of the documents. Uncentred by default: the top eigenvectors of
    the second moment keep the most of each vector's length, so reduced unit vectors have
    nearly equal norms and a cosine graph (usearch's int8) ranks them as inner products do."""
    matrix = np.asarray(vectors, dtype=np.float32)
    mean = matrix.mean(axis=0, dtype=np.float64).astype(np.float32) if center else None
    moment = second_moment(matrix if mean is None else matrix - mean)
    return LinearReduction(top_eigenvectors(moment, dimensions), mean)


def blend_losses(
    documents: npt.NDArray[np.floating[Any]],
    queries: npt.NDArray[np.floating[Any]],
    dimensions: int,
    steps: int = DEFAULT_BLEND_STEPS,
) -> list[tuple[float, float, LinearReduction]]:
    """LeanVec-ES: for each blend b in [0, 1], the projection onto the top eigenvectors of
    (1 - b) K_X / tr K_X + b K_Q / tr K_Q (document and query second moments) and its inner
    product loss; b = 0 is uncentred PCA."""
    document_moment = second_moment(documents)
    query_moment = second_moment(queries)
    if document_moment.shape != query_moment.shape:
        raise ValueError("documents and queries must have the same dimension")
    results = []
    for blend in np.linspace(0.0, 1.0, max(steps, 2)):
        mixed = (1 - blend) * document_moment / np.trace(document_moment)
        mixed += blend * query_moment / np.trace(query_moment)
        reduction = LinearReduction(top_eigenvectors(mixed, dimensions))
        loss = moment_loss(reduction, document_moment, query_moment)
        results.append((float(blend), loss, reduction))
    return results


def fit_query_aware(
    documents: npt.NDArray[np.floating[Any]],
    queries: npt.NDArray[np.floating[Any]],
    dimensions: int,
    steps: int = DEFAULT_BLEND_STEPS,
) -> LinearReduction:
    """The blend of `blend_losses` with the smallest inner product loss (ties: the smaller
    blend, so in-distribution queries give plain PCA)."""
    best = min(blend_losses(documents, queries, dimensions, steps), key=lambda item: item[1])
    return best[2]


def inner_product_loss(
    reduction: LinearReduction,
    documents: npt.NDArray[np.floating[Any]],
    queries: npt.NDArray[np.floating[Any]],
) -> float:
    """Relative squared error of the reduced inner products over every (query, document)
    pair: sum (q.x - approx)^2 / sum (q.x)^2, where approx = (q P).((x - mean) P) + q.mean."""
    documents = np.asarray(documents, dtype=np.float32)
    centred = documents if reduction.mean is None else documents - reduction.mean
    query_moment = second_moment(queries)
    return moment_loss(
        reduction, second_moment(documents), query_moment, centred_moment=second_moment(centred)
    )


def moment_loss(
    reduction: LinearReduction,
    document_moment: npt.NDArray[np.float64],
    query_moment: npt.NDArray[np.float64],
    *,
    centred_moment: npt.NDArray[np.float64] | None = None,
) -> float:
    """`inner_product_loss` from second moments: the error of a pair is q^T E y with
    E = I - P P^T and y = x - mean, so the sum over pairs is n_q n_x tr(E^T K_Q E K_Y)."""
    projection = reduction.projection.astype(np.float64)
    residual = np.eye(len(projection)) - projection @ projection.T
    moment_y = document_moment if centred_moment is None else centred_moment
    error = float(np.trace(residual.T @ query_moment @ residual @ moment_y))
    total = float(np.trace(query_moment @ document_moment))
    return error / total if total > 0 else 0.0
