"""Judged sources for the relevance cut-off: weak labels, CSFCube grades, splits and reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.evaluate import cutoff_choice
from likewise.evaluate.collections import read_trec_qrels
from likewise.evaluate.cutoff import (
    JudgedSource,
    Retrieved,
    fit_from_sources,
    judged_queries,
    reports_for,
)
from likewise.evaluate.cutoff_sources import (
    OFF_TOPIC_FIT,
    OFF_TOPIC_HELDOUT,
    csfcube_grades,
    heldout_by_hash,
    mine_title_phrases,
    phrase_labels,
    query_text,
)
from likewise.rank.cosine_adapter import CosineAdapter, RelevanceCalibration, needs_dense
from likewise.rank.query import MAX_QUERY_CHARACTERS
from likewise.rank.search import METHODS


def test_title_phrases_are_frequent_topics_not_stop_words_or_fragments() -> None:
    titles = (
        ["Graph Neural Networks for molecules"] * 5
        + ["Scalable graph neural networks"] * 4
        + ["Speech recognition in the wild"] * 3
        + ["A novel framework for the study of X"] * 6
        + ["Mixture of experts at scale"] * 3
    )
    phrases = mine_title_phrases(titles, count=10, min_titles=3)
    assert phrases[0] == "graph neural networks"  # 9 titles, best first
    assert "speech recognition" in phrases and "mixture of experts" in phrases
    # "graph neural" and "neural networks" only occur inside "graph neural networks".
    assert "graph neural" not in phrases and "neural networks" not in phrases
    assert "novel framework" not in phrases  # generic words only
    assert not any(p.startswith(("the ", "of ")) or p.endswith((" the", " for")) for p in phrases)
    assert "recognition in the" not in phrases and "study of x" not in phrases


def test_a_phrase_below_the_minimum_count_is_not_a_topic() -> None:
    titles = ["Speech recognition today"] * 2 + ["Optical flow estimation"] * 3
    # "optical flow" and "flow estimation" are fragments of the 3-word phrase.
    assert mine_title_phrases(titles, min_titles=3) == ["optical flow estimation"]


def test_weak_labels_title_match_relevant_no_shared_word_non_relevant_rest_unknown() -> None:
    texts = {
        "a": ("Graph neural networks for traffic", "We forecast traffic."),
        "b": ("A graph neural network on molecules", "Chemistry."),  # singular still matches
        "c": ("Message passing on molecules", "A graph-free method? No: graph networks."),
        "d": ("Speech recognition", "Acoustic models for speech."),
    }
    relevant, non_relevant = phrase_labels("graph neural networks", texts, texts)
    assert relevant == {"a", "b"}
    assert non_relevant == {"d"}  # "c" shares words without the phrase in its title: unlabelled


def test_off_topic_fit_and_heldout_queries_are_disjoint() -> None:
    assert not set(OFF_TOPIC_FIT) & set(OFF_TOPIC_HELDOUT)
    assert len(OFF_TOPIC_HELDOUT) >= 20


def test_the_hash_split_is_stable_and_holds_out_about_forty_percent() -> None:
    keys = [f"phrase {number}" for number in range(2_000)]
    share = sum(map(heldout_by_hash, keys)) / len(keys)
    assert 0.36 < share < 0.44
    # CRC-32 (not Python's per-process hash) decides, so the split never moves between runs:
    # crc32("graph neural networks") = 360235846 (mod 5 = 1, held out) and
    # crc32("chocolate cake recipe") = 4085529987 (mod 5 = 2, fit).
    assert heldout_by_hash("graph neural networks")
    assert not heldout_by_hash("chocolate cake recipe")


def test_a_pasted_abstract_is_cut_at_a_word_boundary_under_the_query_limit() -> None:
    text = query_text("A title", "word " * 1_000)
    assert len(text) <= MAX_QUERY_CHARACTERS
    assert text.startswith("A title. word") and text.endswith("word")
    assert query_text("Short", "abstract") == "Short. abstract"


def test_csfcube_grades_are_the_best_adjudicated_grade_over_the_facets(shared_data: Path) -> None:
    folder = shared_data / "csfcube"
    grades = csfcube_grades(folder)
    # The same judgments as TREC qrels (query id <paper>_<facet>), read independently.
    expected: dict[str, dict[str, int]] = {}
    for facet in ("background", "method", "result"):
        for query, judged in read_trec_qrels(folder / f"qrels-{facet}.trec").items():
            paper = query.rsplit("_", 1)[0]
            for candidate, grade in judged.items():
                best = expected.setdefault(paper, {})
                best[candidate] = max(grade, best.get(candidate, 0))
    assert set(grades) == set(expected)
    for paper, judged in expected.items():
        for candidate, grade in judged.items():
            assert grades[paper][candidate] == grade


def _retrieved(
    relevant: set[str], non_relevant: set[str] | None, scores: dict[str, float]
) -> Retrieved:
    return Retrieved(
        "q",
        np.zeros(3, dtype=np.float32),
        dict(scores),  # the dense side: the cosines are the raw scores
        {},
        frozenset(relevant),
        None if non_relevant is None else frozenset(non_relevant),
    )


def test_judged_queries_label_only_what_is_known() -> None:
    scores = {"a": 0.9, "b": 0.8, "c": 0.7}
    complete = judged_queries([_retrieved({"b"}, None, scores)], "dense", 0.5)[0]
    assert complete.label_mask().tolist() == [True, True, True]
    assert complete.relevant.tolist() == [False, True, False]
    weak = judged_queries([_retrieved({"a"}, {"c"}, scores)], "dense", 0.5, weight=3.0)[0]
    assert weak.label_mask().tolist() == [True, False, True]
    assert weak.relevant.tolist() == [True, False, False]
    assert weak.weight == 3.0
    np.testing.assert_allclose(np.sort(weak.dense_cosines), [0.7, 0.8, 0.9])


def test_cutoff_reports_count_precision_recall_and_empty_queries_by_hand() -> None:
    # p = sigmoid(10 s - 5): the half point is s = 0.5.
    adapter = CosineAdapter(
        "toy",
        "dense",
        "scores",
        np.zeros(2),
        np.ones(2),
        np.zeros(2),
        float(np.log(10.0)),
        np.zeros(2),
        -5.0,
    )
    calibration = RelevanceCalibration("toy", 0.5, {"dense": adapter})
    queries = [
        # kept: a (relevant), b (not); c is relevant but below the cut-off
        _retrieved({"a", "c"}, None, {"a": 0.9, "b": 0.7, "c": 0.2}),
        # kept: d (unlabelled: not counted); e is non-relevant and below
        _retrieved({"f"}, {"e"}, {"d": 0.8, "e": 0.1}),
        # nothing kept: "no good matches"
        _retrieved(set(), None, {"g": 0.3}),
    ]
    (report,) = reports_for("toy", queries, calibration, thresholds=(0.5,), methods=("dense",))
    assert report.queries == 3
    assert report.precision == pytest.approx(1 / 2)  # a of {a, b}
    assert report.recall_shown == pytest.approx(1 / 2)  # a of the ranked relevant {a, c}
    assert report.recall == pytest.approx(1 / 3)  # a of all relevant {a, c, f}
    assert report.no_match_share == pytest.approx(1 / 3)
    assert report.observed_rate == pytest.approx(2 / 5)  # a, c among labelled a, b, c, e, g


def _synthetic_source(name: str, level: float, relevant_share: float, seed: int) -> JudgedSource:
    """Queries whose candidates sit at an absolute cosine `level`; candidates closer than the
    cosine that about `relevant_share` of all of them pass are relevant, as real relevance
    follows absolute closeness (with some labels flipped where any are)."""
    generator = np.random.default_rng(seed)
    queries = []
    for number in range(12):
        cosines = np.sort(level + generator.normal(0, 0.05, size=20))[::-1]
        dense = {f"{name}{number}-{i}": float(c) for i, c in enumerate(cosines)}
        lexical = {doc: 10.0 * (c - level + 0.2) for doc, c in dense.items()}
        # The share of a normal(level, 0.05) above level + 0.05 * z: 0.5 at z = 0.
        boundary = level if relevant_share == 0.5 else float("inf") if relevant_share == 0 else None
        assert boundary is not None, "the toy knows shares 0 and 0.5"
        # One label in ten flipped, so the toy is not separable (real judgments are not).
        flipped = generator.uniform(size=20) < 0.1
        relevant = frozenset(
            doc
            for i, (doc, cosine) in enumerate(dense.items())
            if (cosine >= boundary) != (flipped[i] and relevant_share > 0)
        )
        vector = generator.normal(size=3).astype(np.float32)
        queries.append(Retrieved(f"{name}{number}", vector, dense, lexical, relevant))
    return JudgedSource(name, queries[:8], queries[8:], weight=2.0, description=f"{name} toy")


def test_fitting_over_several_sources_fits_every_method_and_records_the_sources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A smaller grid keeps the test fast: the feature set must still be chosen by CV.
    monkeypatch.setattr(cutoff_choice, "L2_STRENGTHS", (0.1,))
    monkeypatch.setattr(cutoff_choice, "FEATURE_SETS", ("scores", "dense", "embedding"))
    sources = [
        _synthetic_source("close", 0.7, 0.5, seed=1),
        _synthetic_source("far", 0.2, 0.0, seed=2),
    ]
    calibration, notes = fit_from_sources(sources, 0.7, "toy-model", "convex alpha 0.7 (toy)")
    assert set(calibration.adapters) == set(METHODS)
    assert calibration.convex_alpha == 0.7 and calibration.model_id == "toy-model"
    for source in ("close: 8 fit / 4 held-out queries, weight 2", "far: 8 fit / 4 held-out"):
        assert source in calibration.provenance
    bm25 = calibration.adapter_for("bm25")
    assert bm25 is not None and not needs_dense(bm25.feature_set)
    assert notes[0] == "convex alpha 0.7 (toy)"
    # Held-out: the far source's queries are all cut, the close source keeps its best half.
    (far,) = reports_for("far", sources[1].heldout, calibration, (0.5,), ("convex",))
    (close,) = reports_for("close", sources[0].heldout, calibration, (0.5,), ("convex",))
    assert far.no_match_share == 1.0
    assert close.no_match_share == 0.0 and close.precision > 0.8 and close.recall_shown > 0.8
