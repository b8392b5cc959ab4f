"""The embedder of a library: the one given, or the one the settings name, built on first use."""

from __future__ import annotations

from likewise.embed.base import Embedder
from likewise.settings import Settings


class EmbedderProvider:
    """Owns the library's embedder; loading a model takes seconds, so only when first asked."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self._settings = settings
        self._embedder = embedder

    def get(self) -> Embedder:
        """The embedder, built from the settings the first time (embed/factory.py)."""
        if self._embedder is None:
            from likewise.embed.factory import make_embedder

            self._embedder = make_embedder(self._settings)
        return self._embedder
