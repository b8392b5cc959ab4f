"""Build the embedder the settings name, or any embedder by its name (a model upgrade)."""

from __future__ import annotations

from likewise.embed.base import Embedder
from likewise.settings import Settings, SettingsError

# The names LIKEWISE_EMBEDDER and `likewise upgrade-model` accept; the fake ones are for tests.
EMBEDDER_NAMES = ("minilm-int8", "static-64", "fake", "fake-rotated", "fake-32")


def make_embedder(settings: Settings) -> Embedder:
    """The embedder of the `embedder` setting."""
    return make_named_embedder(settings.embedder, settings)


def make_named_embedder(name: str, settings: Settings) -> Embedder:
    """The embedder called `name`, built with the settings' batch size, threads and cache."""
    if name == "fake":
        from likewise.embed.fake import FakeEmbedder

        return FakeEmbedder()
    if name == "fake-rotated":
        from likewise.embed.fake import FakeEmbedder

        return FakeEmbedder(rotation_seed=1)
    if name == "fake-32":
        from likewise.embed.fake import FakeEmbedder

        return FakeEmbedder(dimension=32)
    if name == "minilm-int8":
        from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads,
            cache_dir=settings.home / "models",
        )
    if name == "static-64":
        from likewise.embed.static_model import StaticModelEmbedder

        return StaticModelEmbedder()
    known = ", ".join(EMBEDDER_NAMES)
    raise SettingsError(f"LIKEWISE_EMBEDDER: unknown embedder {name!r}; known: {known}")
