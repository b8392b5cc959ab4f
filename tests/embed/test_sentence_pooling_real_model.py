"""The bundled MiniLM's one-pass sentence vectors: unit length, the paper vector unchanged,
and each sentence nearer its own paper than the others."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.ingest.sentences import split_sentences

# Three unrelated fields, so that a sentence's nearest paper can only be its own.
ABSTRACTS = [
    (
        "Protein structure prediction",
        "Predicting the folded structure of a protein from its amino acid sequence is a "
        "central problem in biology. We train a deep network on residue contact maps. "
        "The predicted structures match crystal structures to within two angstroms.",
    ),
    (
        "Galaxy cluster lensing",
        "Massive galaxy clusters bend the light of background galaxies. We model the dark "
        "matter halo of each cluster from its lensing arcs. The halo masses agree with "
        "X-ray estimates of the hot intracluster gas.",
    ),
    (
        "Monetary policy and inflation",
        "Central banks raise interest rates to curb inflation. We estimate the effect of "
        "rate changes on consumer prices with a vector autoregression on forty years of "
        "data. Prices respond within six quarters of a rate rise.",
    ),
]


@pytest.fixture(scope="module")
def embedder(embedder_home: Path) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(batch_size=4, threads=1, cache_dir=embedder_home / "models")


def _inputs() -> tuple[list[str], list[list[tuple[int, int]]]]:
    texts, spans = [], []
    for title, abstract in ABSTRACTS:
        text = f"{title}. {abstract}"
        shift = len(text) - len(abstract)
        texts.append(text)
        spans.append([(start + shift, end + shift) for start, end in split_sentences(abstract)])
    return texts, spans


@pytest.mark.slow
def test_pooled_sentences_are_unit_and_nearer_their_own_paper(
    embedder: OnnxMiniLMEmbedder,
) -> None:
    texts, spans = _inputs()
    assert all(len(own) == 3 for own in spans)
    documents, sentences = embedder.embed_documents_with_sentences(texts, spans)
    assert np.allclose(documents, embedder.embed_documents(texts), atol=1e-5)
    for paper, vectors in enumerate(sentences):
        assert vectors.shape == (3, embedder.dimension)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        cosines = vectors @ documents.T  # (sentences, papers)
        others = np.delete(cosines, paper, axis=1)
        assert (cosines[:, paper] > others.max(axis=1)).all()


@pytest.mark.slow
def test_sentences_beyond_a_short_window_are_embedded_on_their_own(embedder_home: Path) -> None:
    # A 16-token window holds the title and part of the first sentence only: the later
    # sentences have no token output to pool, so each gets its own text's vector instead.
    short = OnnxMiniLMEmbedder(
        batch_size=4, threads=1, max_length=16, cache_dir=embedder_home / "models"
    )
    texts, spans = _inputs()
    _, sentences = short.embed_documents_with_sentences(texts[:1], spans[:1])
    later = [texts[0][start:end] for start, end in spans[0][1:]]
    assert sentences[0].shape == (3, short.dimension)
    assert np.allclose(sentences[0][1:], short.embed_documents(later), atol=1e-5)
    assert not np.allclose(
        sentences[0][0], short.embed_documents([texts[0][slice(*spans[0][0])]])[0], atol=1e-3
    )
