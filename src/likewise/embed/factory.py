"""Build the embedder the settings name."""

from __future__ import annotations

from likewise.embed.base import Embedder
from likewise.settings import Settings, SettingsError


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "fake":
        from likewise.embed.fake import FakeEmbedder

        return FakeEmbedder()
    if settings.embedder == "minilm-int8":
        from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads,
            cache_dir=settings.home / "models",
        )
    raise SettingsError(f"LIKEWISE_EMBEDDER: unknown embedder {settings.embedder!r}")
