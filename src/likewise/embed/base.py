"""The embedder protocol: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class Embedder(Protocol):
    """Turns texts into unit vectors; `model_id` names the model and its settings, so stored
    vectors from another model are never mixed in."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Rows aligned with texts, shape (len(texts), dimension), each of norm 1."""
        ...

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """One vector of shape (dimension,), norm 1."""
        ...


class SentenceEmbedder(Embedder, Protocol):
    """An embedder that also pools sentence vectors out of its one pass over each text."""

    def embed_documents_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]]]:
        """Document vectors as embed_documents gives them, and per text one unit vector per
        character span (shape (len(spans[i]), dimension))."""
        ...
