"""Fixed dimensional encodings: one vector per set of vectors whose inner products approximate
multi-vector Chamfer similarity, so a single-vector index can search multi-vector papers.

MUVERA, from Dhulipala et al., "MUVERA: Multi-Vector Retrieval via Fixed Dimensional
Encodings", NeurIPS 2024 (arXiv:2405.19504).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FdeConfig:
    """`simhash_bits` hyperplanes split space into 2**simhash_bits buckets per repetition;
    `projection_dimension` (if set) shrinks each bucket's block by a random +-1 projection;
    `final_dimension` (if set) sketches the whole encoding down to that many coordinates."""

    dimension: int
    simhash_bits: int = 3
    repetitions: int = 20
    projection_dimension: int | None = None
    final_dimension: int | None = None
    fill_empty: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dimension < 1 or self.repetitions < 1 or not 0 <= self.simhash_bits <= 16:
            raise ValueError(f"impossible encoding configuration {self}")
        for size in (self.projection_dimension, self.final_dimension):
            if size is not None and size < 1:
                raise ValueError(f"impossible encoding configuration {self}")


def simhash_buckets(
    points: npt.NDArray[np.floating[Any]], hyperplanes: npt.NDArray[np.floating[Any]]
) -> npt.NDArray[np.int64]:
    """Per point, its bucket: bit i is set when the point lies on the positive side of
    hyperplane i (rows of `hyperplanes`, through the origin)."""
    sides = np.asarray(points, dtype=np.float64) @ np.asarray(hyperplanes, dtype=np.float64).T > 0
    weights = 1 << np.arange(sides.shape[1], dtype=np.int64)
    buckets: npt.NDArray[np.int64] = (sides.astype(np.int64) * weights).sum(axis=1)
    return buckets


def encode_repetition(
    points: npt.NDArray[np.floating[Any]],
    hyperplanes: npt.NDArray[np.floating[Any]],
    *,
    document: bool,
    fill_empty: bool = True,
    projection: npt.NDArray[np.floating[Any]] | None = None,
) -> Matrix:
    """One repetition's blocks, concatenated in bucket order: a query block sums the query's
    points in that bucket, a document block averages them. With `fill_empty`, an empty
    document block takes the point whose bucket is nearest in Hamming distance (ties: the
    first such point). `projection` (d x d_proj) maps each point first."""
    matrix = np.asarray(points, dtype=np.float32)
    mapped = matrix if projection is None else matrix @ np.asarray(projection, dtype=np.float32)
    count = 1 << len(hyperplanes)
    blocks = np.zeros((count, mapped.shape[1]), dtype=np.float32)
    if len(matrix) == 0:
        return blocks.reshape(-1)
    buckets = simhash_buckets(matrix, hyperplanes)
    np.add.at(blocks, buckets, mapped)
    if document:
        sizes = np.bincount(buckets, minlength=count)
        filled = sizes > 0
        blocks[filled] /= sizes[filled, None]
        if fill_empty and not filled.all():
            empty = np.flatnonzero(~filled)
            distance = _hamming(empty[:, None] ^ buckets[None, :])
            blocks[empty] = mapped[np.argmin(distance, axis=1)]
    return blocks.reshape(-1)


def count_sketch(
    vectors: npt.NDArray[np.floating[Any]],
    targets: npt.NDArray[np.int64],
    signs: npt.NDArray[np.floating[Any]],
    dimension: int,
) -> Matrix:
    """Coordinate j of each row is added, times signs[j], to output coordinate targets[j]:
    linear, and inner products are kept in expectation over random targets and signs."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    out = np.zeros((len(matrix), dimension), dtype=np.float32)
    for row in range(len(matrix)):
        out[row] = np.bincount(targets, weights=matrix[row] * signs, minlength=dimension)
    return out


class FixedDimensionalEncoder:
    """MUVERA's encoding with random hyperplanes, projections and sketch drawn from `seed`:
    documents and queries encoded by one encoder are comparable by inner product."""

    def __init__(self, config: FdeConfig) -> None:
        self.config = config
        rng = np.random.default_rng(config.seed)
        self._hyperplanes = rng.standard_normal(
            (config.repetitions, config.simhash_bits, config.dimension)
        )
        self._projections: list[Matrix | None] = [None] * config.repetitions
        if config.projection_dimension is not None:
            # Random signs scaled by 1/sqrt(d_proj) keep inner products in expectation.
            size = (config.dimension, config.projection_dimension)
            scale = 1.0 / np.sqrt(config.projection_dimension)
            self._projections = [
                (rng.choice([-1.0, 1.0], size=size) * scale).astype(np.float32)
                for _ in range(config.repetitions)
            ]
        self._sketch: tuple[npt.NDArray[np.int64], Matrix] | None = None
        if config.final_dimension is not None:
            width = self.encoding_dimension
            self._sketch = (
                rng.integers(0, config.final_dimension, size=width),
                rng.choice([-1.0, 1.0], size=width).astype(np.float32),
            )

    @property
    def encoding_dimension(self) -> int:
        """Length before the final sketch: repetitions x buckets x block width."""
        config = self.config
        width = config.projection_dimension or config.dimension
        return config.repetitions * (1 << config.simhash_bits) * width

    @property
    def output_dimension(self) -> int:
        return self.config.final_dimension or self.encoding_dimension

    def encode_documents(self, point_sets: Sequence[npt.NDArray[np.floating[Any]]]) -> Matrix:
        return self._encode(point_sets, document=True)

    def encode_queries(self, point_sets: Sequence[npt.NDArray[np.floating[Any]]]) -> Matrix:
        return self._encode(point_sets, document=False)

    def _encode(
        self, point_sets: Sequence[npt.NDArray[np.floating[Any]]], *, document: bool
    ) -> Matrix:
        encoded = np.zeros((len(point_sets), self.encoding_dimension), dtype=np.float32)
        for row, points in enumerate(point_sets):
            matrix = np.asarray(points, dtype=np.float32).reshape(-1, self.config.dimension)
            encoded[row] = np.concatenate(
                [
                    encode_repetition(
                        matrix,
                        self._hyperplanes[repetition],
                        document=document,
                        fill_empty=self.config.fill_empty,
                        projection=self._projections[repetition],
                    )
                    for repetition in range(self.config.repetitions)
                ]
            )
        if self._sketch is None:
            return encoded
        targets, signs = self._sketch
        return count_sketch(encoded, targets, signs, self.output_dimension)


def _hamming(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Set bits per entry (bucket ids have at most 16 bits)."""
    counts = np.zeros(values.shape, dtype=np.int64)
    remaining = values.copy()
    while remaining.any():
        counts += remaining & 1
        remaining >>= 1
    return counts
