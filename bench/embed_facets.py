"""The product's embed-time extras, for bench/embed.py: sentence spans, sentence vectors pooled
from the paper's forward pass, facet labels (services/sentences.py) and topic labels
(rank/topics.py), run exactly as `likewise embed` runs them, minus the database writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder, bundled_tokenizer_path
from likewise.ingest.sentences import split_sentences
from likewise.models import Paper
from likewise.rank.topics import label_papers, load_topics, topic_text
from likewise.services.embedding import EmbedderProvider
from likewise.services.sentences import SentenceService
from likewise.settings import Settings
from likewise.store.sentences import SentenceRepository, SentenceRow

EmbedPapers = Callable[[Sequence[Paper]], npt.NDArray[np.float32]]


class _NoStorage(SentenceRepository):
    """Keeps nothing: what is measured is embedding and labelling, not the database."""

    def __init__(self) -> None:
        """No engine: nothing is written or read."""

    def put(self, model_id: str, rows: Sequence[SentenceRow]) -> None:
        return None


def plain_path(embedder: OnnxMiniLMEmbedder) -> EmbedPapers:
    """Paper vectors only: what `likewise embed` did before facets and topics."""

    def run(papers: Sequence[Paper]) -> npt.NDArray[np.float32]:
        return embedder.embed_documents([paper.embedding_text() for paper in papers])

    return run


def product_path(embedder: OnnxMiniLMEmbedder) -> EmbedPapers:
    """Paper vectors plus each paper's sentences, sentence vectors and facet labels (the
    bundled classifier when it was fitted for this model id, else the similarity labeller)
    and its topics. The topic descriptions are embedded once here, as services/topics.py
    does once per process and model."""
    service = SentenceService(_NoStorage(), EmbedderProvider(Settings(), embedder))
    topics = load_topics()
    topic_vectors = embedder.embed_documents([topic_text(topic) for topic in topics])

    def run(papers: Sequence[Paper]) -> npt.NDArray[np.float32]:
        vectors = service.embed_papers(embedder, papers)
        label_papers(vectors, topics, topic_vectors)
        return vectors

    return run


def cut_off_sentences(papers: Sequence[Paper], max_length: int) -> tuple[int, int, int]:
    """(sentences, sentences with no token inside the first `max_length` tokens, papers
    longer than `max_length` tokens): the sentences the one-pass pooling cannot cover, which
    embed_documents_with_sentences then embeds on their own."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_tokenizer_path()))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    texts = [paper.embedding_text() for paper in papers]
    total = cut = longer = 0
    for paper, text, encoding in zip(papers, texts, tokenizer.encode_batch(texts), strict=True):
        shift = len(text) - len(paper.abstract)
        marks = zip(encoding.offsets, encoding.special_tokens_mask, strict=True)
        last = max((start for (start, _), special in marks if not special), default=-1)
        spans = split_sentences(paper.abstract)
        total += len(spans)
        cut += sum(1 for start, _ in spans if start + shift > last)
        longer += bool(encoding.overflowing)
    return total, cut, longer
