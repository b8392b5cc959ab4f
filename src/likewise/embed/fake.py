"""A deterministic, fast embedder for unit tests: hashed word features, L2-normalised.

Texts that share words get similar vectors, so ranking tests behave sensibly without a model.
With a rotation seed, every vector is turned by one fixed random rotation: a "second model"
whose space is an exact rotation of the first (model-upgrade tests).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Feature-hashing bag of words; never use outside tests."""

    def __init__(self, dimension: int = 64, rotation_seed: int | None = None) -> None:
        self._dimension = dimension
        self._rotation_seed = rotation_seed
        self._rotation: npt.NDArray[np.float32] | None = None
        if rotation_seed is not None:
            # Q of a QR decomposition of a Gaussian matrix: a random orthogonal matrix.
            gaussian = np.random.default_rng(rotation_seed).standard_normal((dimension,) * 2)
            self._rotation = np.linalg.qr(gaussian)[0].astype(np.float32)

    @property
    def model_id(self) -> str:
        if self._rotation_seed is not None:
            return f"fake-hash-{self._dimension}-rotated-{self._rotation_seed}"
        return f"fake-hash-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self._dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[slot] += sign
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
        else:
            vector /= norm
        if self._rotation is not None:
            vector = vector @ self._rotation
        return vector

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts])

    def embed_documents_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]]]:
        """The documents' vectors and each span's own vector (no context: a bag of words)."""
        if len(spans) != len(texts):
            raise ValueError("spans needs one list of spans per text")
        sentences = [
            np.stack([self._vector(text[start:end]) for start, end in own])
            if own
            else np.zeros((0, self._dimension), dtype=np.float32)
            for text, own in zip(texts, spans, strict=True)
        ]
        return self.embed_documents(texts), sentences

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self._vector(text)
