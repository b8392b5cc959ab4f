"""The orthogonal map that carries one embedding model's vectors into another model's space,
fitted on the vectors both models give the same texts (orthogonal Procrustes).

Schönemann, "A generalized solution of the orthogonal Procrustes problem", Psychometrika 31
(1966): the orthogonal W minimising ||S W - T||_F is U V^T, where S^T T = U Σ V^T. Smith et
al., "Offline bilingual word vectors, orthogonal transformations and the inverted softmax"
(ICLR 2017), argue the map between two embedding spaces should be orthogonal, since only
angles carry meaning; Maystre et al., "When Embedding Models Meet: Procrustes Bounds and
Applications" (arXiv:2510.13406, 2025), bound the error when pairwise dot products are close
and use the map for model upgrades. An orthogonal map keeps every cosine of the source model.

Spaces of different widths: U V^T of the thin SVD is then semi-orthogonal. Into a wider space
(source ≤ target) its rows are orthonormal: an isometric embedding, and still the exact least
squares solution. Into a narrower space its columns are orthonormal: the source is rotated
and projected, which is Schönemann's solution with the target padded by zero columns; the
projection shortens vectors, so mapped vectors are normalised again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


class MapError(ValueError):
    """The paired vectors cannot give a map (shapes, too few pairs); the message says why."""


@dataclass(frozen=True, slots=True)
class OrthogonalMap:
    """x (source space) -> normalise((x - source_mean) @ matrix + target_mean)."""

    matrix: Matrix  # (source dimension, target dimension), semi-orthogonal
    source_mean: Matrix  # zeros unless fitted with centring
    target_mean: Matrix

    @property
    def source_dimension(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def target_dimension(self) -> int:
        return int(self.matrix.shape[1])

    def apply(self, vectors: Matrix) -> Matrix:
        """Unit vectors of the target space for source vectors: rows (n, d) or one (d,)."""
        single = vectors.ndim == 1
        rows = np.atleast_2d(vectors).astype(np.float32)
        if rows.shape[1] != self.source_dimension:
            raise MapError(
                f"the map takes {self.source_dimension}-d vectors, not {rows.shape[1]}-d ones"
            )
        mapped = (rows - self.source_mean) @ self.matrix + self.target_mean
        norms = np.linalg.norm(mapped, axis=1, keepdims=True)
        unit: Matrix = (mapped / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit[0] if single else unit

    def to_bytes(self) -> bytes:
        """A self-describing .npz blob (no pickled objects) for the store."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            matrix=self.matrix,
            source_mean=self.source_mean,
            target_mean=self.target_mean,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> OrthogonalMap:
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
                matrix = arrays["matrix"].astype(np.float32)
                source_mean = arrays["source_mean"].astype(np.float32)
                target_mean = arrays["target_mean"].astype(np.float32)
        except (OSError, ValueError, KeyError) as error:
            raise MapError(f"not a stored orthogonal map ({error})") from error
        if matrix.ndim != 2 or source_mean.shape != (matrix.shape[0],):
            raise MapError("a stored orthogonal map has inconsistent shapes")
        if target_mean.shape != (matrix.shape[1],):
            raise MapError("a stored orthogonal map has inconsistent shapes")
        return cls(matrix, source_mean, target_mean)


def fit_orthogonal_map(source: Matrix, target: Matrix, *, centre: bool = False) -> OrthogonalMap:
    """The (semi-)orthogonal map W minimising ||S W - T||_F over paired rows.

    `centre` first removes each side's mean and adds the target's back when mapping (an
    orthogonal map plus a translation). Rows of S and T are the same texts embedded by the
    source and target model. With fewer pairs than dimensions some directions stay unfit
    (the SVD completes them arbitrarily), so fit on a few thousand.
    """
    if source.ndim != 2 or target.ndim != 2:
        raise MapError("fit the map on two matrices of paired rows")
    if len(source) != len(target):
        raise MapError(f"{len(source)} source rows but {len(target)} target rows")
    if len(source) < 2:
        raise MapError("fitting a map needs at least 2 pairs of vectors")
    left = source.astype(np.float64)
    right = target.astype(np.float64)
    source_mean = left.mean(axis=0) if centre else np.zeros(left.shape[1])
    target_mean = right.mean(axis=0) if centre else np.zeros(right.shape[1])
    cross = (left - source_mean).T @ (right - target_mean)  # (source dim, target dim)
    u, _, vt = np.linalg.svd(cross, full_matrices=False)
    return OrthogonalMap(
        (u @ vt).astype(np.float32),
        source_mean.astype(np.float32),
        target_mean.astype(np.float32),
    )


def mean_alignment(mapping: OrthogonalMap, source: Matrix, target: Matrix) -> float:
    """Mean cosine between mapped source rows and their target rows (1.0: a perfect map)."""
    if len(source) == 0:
        return 0.0
    mapped = mapping.apply(source)
    norms = np.maximum(np.linalg.norm(target, axis=1), 1e-12)
    return float(np.mean(np.sum(mapped * target, axis=1) / norms))
