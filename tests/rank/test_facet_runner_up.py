"""Runner-up labels: the classifier's second most probable label per sentence, and the facet
filter that also admits a sentence whose facet came second (rank/facet_similar.py)."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.facet_similar import facet_query
from likewise.rank.sentence_classifier import SentenceClassifier

QUERY = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
LABELS = ["background", "method", "result"]


def test_the_runner_up_is_the_second_most_probable_label_of_each_sentence() -> None:
    # No cue columns; the first vector coordinate pushes "method", the bias ranks the rest
    # result > background: (1, 0) has logits (0, 3, 1) and (0, 1) has (0, 0, 1).
    labels = ("background", "method", "result")
    weights = np.zeros((3 * 2 + 5, 3), dtype=np.float32)
    weights[0, 1] = 3.0
    classifier = SentenceClassifier("m", labels, weights, np.array([0.0, 0.0, 1.0], np.float32))
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert classifier.predict(vectors, ["a.", "b."]) == ["method", "result"]
    assert classifier.runner_up(vectors, ["a.", "b."]) == ["result", "background"]
    assert classifier.runner_up(np.zeros((0, 2), np.float32), []) == []


def test_a_sentence_whose_facet_came_second_joins_the_facet_query() -> None:
    runner_up = ["method", "result", "background"]
    method = facet_query(QUERY, LABELS, "method", runner_up)
    assert method.positions == (0, 1) and not method.fallback
    np.testing.assert_allclose(method.vectors, QUERY[:2])
    assert facet_query(QUERY, LABELS, "background", runner_up).positions == (0, 2)
    assert facet_query(QUERY, LABELS, "method").positions == (1,)  # argmax labels only


def test_runner_up_labels_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="2 runner-up labels for 3 labels"):
        facet_query(QUERY, LABELS, "method", ["method", "result"])
