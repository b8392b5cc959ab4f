"""The static embedder reads the tokenlearn-static-model wheel offline and computes what the
wheel's own Rust encoder computes."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from likewise.embed.factory import make_named_embedder
from likewise.embed.onnx_minilm import EmbedderUnavailableError
from likewise.embed.static_model import StaticModelEmbedder, read_safetensors
from likewise.settings import Settings

TEXTS = [
    "Dense retrieval of scientific papers with contrastive learning.",
    "A 3.5% increase in CD8+ T-cells (p<0.01) after treatment",
    "émoji 🙂 中文 字符",
    "",
]

needs_wheel = pytest.mark.skipif(
    importlib.util.find_spec("static_model") is None,
    reason="the PyPI package tokenlearn-static-model is not installed",
)


@needs_wheel
def test_the_static_model_loads_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the static model tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    embedder = make_named_embedder("static-64", Settings())
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.shape == (4, 64) and embedder.dimension == 64
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.model_id.startswith("tokenlearn-static-10k-64d-int8")


@needs_wheel
def test_the_static_embedder_matches_the_wheels_own_encoder() -> None:
    import static_model

    ours = StaticModelEmbedder().embed_documents(TEXTS[:3])
    theirs = np.array(static_model.get_embeddings(TEXTS[:3]), dtype=np.float32)
    assert np.allclose(np.sum(ours * theirs, axis=1), 1.0, atol=1e-5)


@needs_wheel
def test_related_texts_are_closer_than_unrelated_ones() -> None:
    embedder = StaticModelEmbedder()
    query = embedder.embed_query("neural networks for image classification")
    near = embedder.embed_query("convolutional networks classify images")
    far = embedder.embed_query("tax law of medieval monasteries")
    assert float(query @ near) > float(query @ far)


def test_a_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x01")
    with pytest.raises(EmbedderUnavailableError, match="not a safetensors file"):
        read_safetensors(tmp_path / "model.safetensors")
    with pytest.raises(OSError):
        StaticModelEmbedder(tmp_path / "missing")
