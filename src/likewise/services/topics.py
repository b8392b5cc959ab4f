"""Topic service: the topic list and each paper's one to three topics, from its stored vector
(rank/topics.py); the topics' own vectors are embedded once per model and kept here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.rank.topics import (
    BUNDLED_TOPICS,
    DEFAULT_FLOOR,
    DEFAULT_MARGIN,
    Topic,
    label_papers,
    load_topics,
    topic_text,
)
from likewise.services.embedding import EmbedderProvider
from likewise.services.errors import SiteError
from likewise.services.vectors import VectorService
from likewise.store.base import CatalogStore

_log = logging.getLogger(__name__)


class TopicService:
    """Topics of papers; the owner of the embedded topic descriptions of this process."""

    def __init__(
        self,
        store: CatalogStore,
        embedding: EmbedderProvider,
        vectors: VectorService,
        topic_file: Path = BUNDLED_TOPICS,
        margin: float = DEFAULT_MARGIN,
        floor: float = DEFAULT_FLOOR,
    ) -> None:
        self._store = store
        self._embedding = embedding
        self._vectors = vectors
        self._topics = load_topics(topic_file)
        self._by_id = {topic.id: topic for topic in self._topics}
        self._margin = margin
        self._floor = floor
        self._embedded: dict[str, npt.NDArray[np.float32]] = {}  # model id -> topic vectors

    @property
    def topics(self) -> list[Topic]:
        return list(self._topics)

    def require_topic(self, topic_id: str) -> Topic:
        """The topic of the id, or a SiteError that names the id and where the list is."""
        topic = self._by_id.get(topic_id)
        if topic is None:
            shown = topic_id[:60]
            raise SiteError(f"{shown!r} is not a topic id; the topics are listed at /api/topics")
        return topic

    def topic_vectors(self) -> npt.NDArray[np.float32]:
        """The embedded topic descriptions of the current model, rows in list order."""
        embedder = self._embedding.get()
        held = self._embedded.get(embedder.model_id)
        if held is None:
            held = embedder.embed_documents([topic_text(topic) for topic in self._topics])
            self._embedded[embedder.model_id] = held
        return held

    def topics_for(self, arxiv_ids: Sequence[str]) -> dict[str, list[Topic]]:
        """Each paper's topics, best first; a paper without a stored vector has none."""
        keys = self._store.paper_keys(list(dict.fromkeys(arxiv_ids)))
        if not keys:
            return {}
        try:
            index = self._vectors.vector_index()
            found = {arxiv_id: index.vector(key) for arxiv_id, key in keys.items()}
            present = {arxiv_id: v for arxiv_id, v in found.items() if v is not None}
            if not present:
                return {}
            matrix = np.stack(list(present.values())).astype(np.float32)
            labelled = label_papers(
                matrix,
                self._topics,
                self.topic_vectors(),
                margin=self._margin,
                floor=self._floor,
            )
        except Exception as error:  # topics are a garnish: a list still shows without them
            _log.warning("no topics for this list: %s", error)
            return {}
        return dict(zip(present, labelled, strict=True))
