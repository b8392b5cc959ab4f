"""The similarity-based topic labeller: hand-checkable cosines, margin, floor and the limit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.rank.topics import (
    BUNDLED_TOPICS,
    Topic,
    TopicListError,
    choose_topics,
    label_papers,
    load_topics,
    topic_text,
)

TOPICS = [Topic(f"t{n}", f"Topic {n}", f"description {n}") for n in range(4)]


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_paper_vector_equal_to_a_topic_vector_gets_that_topic_first() -> None:
    embedder = FakeEmbedder(64)
    topics = load_topics()
    vectors = embedder.embed_documents([topic_text(t) for t in topics])
    for row in (0, 5, len(topics) - 1):
        labelled = label_papers(vectors[row : row + 1], topics, vectors)
        assert labelled[0][0] == topics[row]


def test_topics_within_the_margin_of_the_best_are_kept_best_first() -> None:
    # cosines 0.9, 0.88, 0.5, 0.1: margin 0.05 keeps the first two.
    scores = np.array([[0.5, 0.88, 0.9, 0.1]], dtype=np.float32)
    assert choose_topics(scores, margin=0.05, floor=0.0) == [[2, 1]]
    assert choose_topics(scores, margin=0.5, floor=0.0) == [[2, 1, 0]]


def test_no_topic_is_kept_below_the_floor_not_even_the_best() -> None:
    scores = np.array([[0.30, 0.28], [0.10, 0.05]], dtype=np.float32)
    assert choose_topics(scores, margin=0.05, floor=0.29) == [[0], []]


def test_a_paper_gets_at_most_three_topics() -> None:
    scores = np.full((1, 4), 0.7, dtype=np.float32)
    chosen = choose_topics(scores, margin=1.0, floor=0.0)
    assert chosen == [[0, 1, 2]]


def test_label_papers_reads_cosines_of_unit_vectors() -> None:
    topic_vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1), _unit(1, 1, 0)])
    paper = _unit(1, 0.05, 0)[None, :]  # cos 0.999 with t0, 0.74 with t3, 0.05 with t1
    labelled = label_papers(paper, TOPICS, topic_vectors, margin=0.3, floor=0.2)
    assert [t.id for t in labelled[0]] == ["t0", "t3"]


def test_the_bundled_list_has_the_cs_categories_and_finer_topics() -> None:
    topics = load_topics(BUNDLED_TOPICS)
    categories = {t.id for t in topics if t.kind == "category"}
    assert {"cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.SY"} <= categories
    assert sum(t.kind == "topic" for t in topics) >= 20


def test_a_topic_list_with_a_repeated_id_is_refused(tmp_path: Path) -> None:
    entry = {"id": "x", "label": "X", "kind": "topic", "description": "about x"}
    path = tmp_path / "topics.json"
    path.write_text(json.dumps({"topics": [entry, entry]}))
    with pytest.raises(TopicListError, match="repeated"):
        load_topics(path)
