"""Hashed lexical cue features of the sentence classifier, and its versioned weight files."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from likewise.rank.sentence_classifier import (
    ClassifierFileError,
    SentenceClassifier,
    cue_features,
    cue_terms,
    hashed,
    load_classifier,
    sentence_features,
    tokens,
)

ABSTRACT = ["We propose a new parser.", "Results show 3.5% gains."]


def test_tokens_are_lower_cased_words_percent_signs_and_one_number_token() -> None:
    assert tokens("Results show 3.5% gains, in 2021.") == [
        "results",
        "show",
        "<num>",
        "%",
        "gains",
        "in",
        "<num>",
    ]


def test_cue_terms_are_unigrams_bigrams_openings_and_the_neighbours_first_words() -> None:
    words, openings = cue_terms(ABSTRACT, 0)
    assert words == [
        "u:we",
        "u:propose",
        "u:a",
        "u:new",
        "u:parser",
        "b:we propose",
        "b:propose a",
        "b:a new",
        "b:new parser",
    ]
    assert openings == ["f1:we", "f2:we propose", "f3:we propose a", "n2:results show"]
    assert cue_terms(ABSTRACT, 1)[1] == [
        "f1:results",
        "f2:results show",
        "f3:results show <num>",
        "p2:we propose",
    ]


def test_a_term_hashes_to_fixed_columns_and_signs_by_crc32() -> None:
    # Literal columns: the same in every process (Python's own hash() is salted per process).
    assert hashed("u:we", 2048) == (1298, 1.0)
    assert hashed("f2:we propose", 2048) == (1856, -1.0)
    assert hashed("u:%", 2048) == (407, -1.0)
    code = zlib.crc32(b"u:<num>")
    assert hashed("u:<num>", 4096) == (code % 4096, -1.0 if code >= 2**31 else 1.0)


def test_a_one_word_sentence_has_its_two_terms_at_their_hashed_columns_each_of_unit_weight() -> (
    None
):
    features = cue_features(["Experiments."], 2048)
    expected = np.zeros(2048, dtype=np.float32)
    for term in ("u:experiments", "f1:experiments"):
        column, sign = hashed(term, 2048)
        expected[column] += sign
    np.testing.assert_array_equal(features[0], expected)


def test_each_cue_group_of_a_sentence_has_unit_length_unless_columns_collide() -> None:
    features = cue_features(ABSTRACT, 2048)
    assert features.shape == (2, 2048)
    assert float(np.sum(features[0] ** 2)) == pytest.approx(2.0, abs=1e-5)


def test_sentence_features_append_the_cue_columns_after_vectors_and_positions() -> None:
    vectors = np.eye(2, 4, dtype=np.float32)
    features = sentence_features(vectors, ABSTRACT, 64)
    assert features.shape == (2, 3 * 4 + 5 + 64)
    np.testing.assert_array_equal(features[:, -64:], cue_features(ABSTRACT, 64))
    np.testing.assert_array_equal(sentence_features(vectors), features[:, :-64])
    with pytest.raises(ValueError, match="sentence texts"):
        sentence_features(vectors, ABSTRACT[:1], 64)


def test_a_cue_only_weight_picks_the_label_of_a_sentence_opening_with_we_propose() -> None:
    labels = ("background", "objective")
    weights = np.zeros((3 * 2 + 5 + 2048, 2), dtype=np.float32)
    column, sign = hashed("f2:we propose", 2048)
    weights[3 * 2 + 5 + column, 1] = 5.0 * sign
    classifier = SentenceClassifier("m", labels, weights, np.zeros(2, np.float32), 2048)
    vectors = np.zeros((2, 2), dtype=np.float32)
    assert classifier.predict(vectors, ABSTRACT) == ["objective", "background"]


def test_a_version_2_file_round_trips_and_a_version_1_file_still_loads(tmp_path: Path) -> None:
    weights = (np.arange((3 * 2 + 5 + 8) * 2).reshape(-1, 2) / 100).astype(np.float32)
    classifier = SentenceClassifier("m", ("a", "b"), weights, np.zeros(2, np.float32), 8)
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(classifier.to_json()), encoding="utf-8")
    restored = load_classifier(path)
    assert restored.cue_size == 8
    np.testing.assert_allclose(restored.weights, weights, atol=1e-5)
    old = {"model_id": "m", "labels": ["a", "b"], "weights": weights[:11].tolist()}
    path.write_text(json.dumps({**old, "bias": [0.0, 0.0]}), encoding="utf-8")
    assert load_classifier(path).cue_size == 0


def test_a_file_of_an_unknown_version_or_too_few_rows_is_refused(tmp_path: Path) -> None:
    data = {"model_id": "m", "labels": ["a"], "weights": [[0.0]] * 11, "bias": [0.0]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**data, "version": 3, "cue_size": 0}), encoding="utf-8")
    with pytest.raises(ClassifierFileError, match="version"):
        load_classifier(path)
    path.write_text(json.dumps({**data, "version": 2, "cue_size": 8}), encoding="utf-8")
    with pytest.raises(ClassifierFileError, match="rows"):
        load_classifier(path)


def test_the_shipped_classifier_loads() -> None:
    classifier = load_classifier()
    assert classifier.labels == ("background", "objective", "method", "result", "other")
