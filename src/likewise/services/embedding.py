"""What every part of Library shares: settings, the store, the embedder and the vector index."""

from __future__ import annotations

from typing import Any

from likewise.embed.base import Embedder
from likewise.settings import Settings
from likewise.store.base import CatalogStore


class LibraryBase:
    """Holds the pieces that the parts of Library work with; built once per process."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._embedder = embedder
        # Per-area caches (vector index, calibration, ...) keyed by the area that owns them.
        self._cache: dict[str, Any] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from likewise.embed.factory import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    def close(self) -> None:
        self.store.close()
