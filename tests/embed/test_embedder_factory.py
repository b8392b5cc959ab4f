"""The embedder factory builds what the settings name and refuses what it does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from likewise.embed.factory import make_embedder
from likewise.embed.fake import FakeEmbedder
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.settings import Settings, SettingsError


def test_the_fake_setting_builds_the_fake_embedder(tmp_path: Path) -> None:
    assert isinstance(make_embedder(Settings(home=tmp_path, embedder="fake")), FakeEmbedder)


def test_an_unknown_embedder_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LIKEWISE_EMBEDDER"):
        make_embedder(Settings(home=tmp_path, embedder="word2vec"))


@pytest.mark.slow
def test_the_default_setting_builds_the_int8_minilm_under_home(embedder_home: Path) -> None:
    settings = Settings(home=embedder_home, embed_batch_size=8, embed_threads=1)
    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxMiniLMEmbedder)
    assert embedder.dimension == 384 and "qint8" in embedder.model_id
    assert list((embedder_home / "models").glob("*.onnx"))
