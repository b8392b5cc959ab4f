"""Sentence service: each paper's abstract sentences with facet labels and vectors, computed
at embed time (from the same forward pass as the paper's vector) and stored per model."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.ingest.sentences import split_sentences
from likewise.models import Paper
from likewise.rank.sentence_classifier import (
    BUNDLED_CLASSIFIER,
    ClassifierFileError,
    SentenceClassifier,
    load_classifier,
)
from likewise.rank.sentence_labels import description_texts, label_by_similarity, label_vectors
from likewise.services.embedding import EmbedderProvider
from likewise.store.sentences import SentenceRepository, SentenceRow

_log = logging.getLogger(__name__)

# Papers re-read per pass when filling in sentences for papers embedded before they existed.
BACKFILL_CHUNK = 256
# Papers relabelled per transaction (no model pass: stored vectors and texts only).
RELABEL_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class PaperSentences:
    """One paper's abstract sentences, their facet labels and unit vectors (n, d) float32."""

    texts: list[str]
    labels: list[str]
    vectors: npt.NDArray[np.float32]


class SentenceService:
    """Sentences of papers; the owner of the facet labeller of this process."""

    def __init__(
        self,
        store_rows: SentenceRepository,
        embedding: EmbedderProvider,
        classifier_file: Path = BUNDLED_CLASSIFIER,
    ) -> None:
        self._rows = store_rows
        self._embedding = embedding
        self._classifier_file = classifier_file
        self._classifier: SentenceClassifier | None = None
        self._classifier_read = False
        self._descriptions: dict[str, npt.NDArray[np.float32]] = {}  # model id -> label vectors

    def sentences_of(self, arxiv_ids: Sequence[str]) -> dict[str, PaperSentences]:
        """The stored sentences of these papers under the current model; papers without any
        (not embedded yet, changed since, or no abstract) are absent."""
        model_id = self._embedding.get().model_id
        found = self._rows.get(model_id, arxiv_ids)
        return {
            arxiv_id: PaperSentences(
                [stored.abstract[start:end] for start, end in stored.row.spans],
                stored.row.labels,
                stored.row.vectors,
            )
            for arxiv_id, stored in found.items()
            if stored.row.spans
        }

    def embed_papers(self, embedder: Embedder, papers: Sequence[Paper]) -> npt.NDArray[np.float32]:
        """The papers' document vectors (as embed_documents gives them), storing each paper's
        sentences, labels and sentence vectors on the way."""
        texts = [paper.embedding_text() for paper in papers]
        spans = [split_sentences(paper.abstract) for paper in papers]
        # Spans into the embedded text: the abstract follows the title and ". ".
        shifts = [
            len(text) - len(paper.abstract) for text, paper in zip(texts, papers, strict=True)
        ]
        shifted = [
            [(start + shift, end + shift) for start, end in own]
            for own, shift in zip(spans, shifts, strict=True)
        ]
        documents, sentences = embed_with_sentences(embedder, texts, shifted)
        rows = [
            SentenceRow(
                paper.arxiv_id,
                paper.content_hash(),
                own,
                self.label(embedder, vectors, [paper.abstract[a:b] for a, b in own]),
                vectors,
            )
            for paper, own, vectors in zip(papers, spans, sentences, strict=True)
        ]
        self._rows.put(embedder.model_id, rows)
        return documents

    def missing(self, limit: int = BACKFILL_CHUNK) -> list[str]:
        """Papers with a current vector but no current sentences (embedded before sentences
        were stored), at most `limit`."""
        return self._rows.missing(self._embedding.get().model_id, limit)

    def relabel(self, chunk: int = RELABEL_CHUNK) -> tuple[int, int]:
        """Label every stored sentence again with this process's labeller, from the stored
        vectors and texts (no model pass), after the classifier changed; rows whose labels
        differ are rewritten, one transaction per chunk. Returns (papers read, changed)."""
        embedder = self._embedding.get()
        after, read, changed = 0, 0, 0
        while page := self._rows.current_ids(embedder.model_id, after, chunk):
            after = page[-1][0]
            found = self._rows.get(embedder.model_id, [arxiv_id for _, arxiv_id in page])
            rewritten = []
            for stored in found.values():
                row = stored.row
                texts = [stored.abstract[start:end] for start, end in row.spans]
                labels = self.label(embedder, row.vectors, texts)
                if labels != row.labels:
                    rewritten.append(dataclasses.replace(row, labels=labels))
            self._rows.put(embedder.model_id, rewritten)
            read += len(found)
            changed += len(rewritten)
        return read, changed

    def label(
        self, embedder: Embedder, vectors: npt.NDArray[np.float32], texts: Sequence[str]
    ) -> list[str]:
        """Facet labels of one abstract's sentences (vectors and texts, in order): the shipped
        classifier when it was fitted for this model, else the similarity labeller."""
        if len(vectors) == 0:
            return []
        classifier = self._bundled_classifier()
        if classifier is not None and classifier.model_id == embedder.model_id:
            return classifier.predict(vectors, texts)
        return label_by_similarity(vectors, self._label_vectors(embedder))

    def runner_up_labels(
        self, vectors: npt.NDArray[np.float32], texts: Sequence[str]
    ) -> list[str] | None:
        """Each sentence's second most probable label under the shipped classifier when it was
        fitted for the current model (computed from the stored vectors and texts, no model
        pass); None otherwise (the similarity labeller ranks no runner-up)."""
        classifier = self._bundled_classifier()
        if classifier is None or classifier.model_id != self._embedding.get().model_id:
            return None
        return classifier.runner_up(vectors, texts)

    def _bundled_classifier(self) -> SentenceClassifier | None:
        if not self._classifier_read:
            self._classifier_read = True
            try:
                self._classifier = load_classifier(self._classifier_file)
            except ClassifierFileError as error:
                _log.warning("sentence classifier unavailable, labelling by similarity: %s", error)
        return self._classifier

    def _label_vectors(self, embedder: Embedder) -> npt.NDArray[np.float32]:
        held = self._descriptions.get(embedder.model_id)
        if held is None:
            pairs = description_texts()
            # Few and once per process: embedded one at a time, like queries.
            held = label_vectors(pairs, np.stack([embedder.embed_query(text) for _, text in pairs]))
            self._descriptions[embedder.model_id] = held
        return held


def embed_with_sentences(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]]]:
    """Document vectors and per-span vectors: from the embedder's one pass when it can pool
    spans, else each span embedded as its own text."""
    pooled = getattr(embedder, "embed_documents_with_sentences", None)
    if pooled is not None:
        documents, sentences = pooled(texts, spans)
        return documents, list(sentences)
    documents = embedder.embed_documents(texts)
    pieces = [text[start:end] for text, own in zip(texts, spans, strict=True) for start, end in own]
    flat = embedder.embed_documents(pieces) if pieces else None
    sentences, row = [], 0
    for own in spans:
        if flat is None or not own:
            sentences.append(np.zeros((0, embedder.dimension), dtype=np.float32))
        else:
            sentences.append(flat[row : row + len(own)])
        row += len(own)
    return documents, sentences
