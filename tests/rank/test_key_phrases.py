"""RAKE key phrases with catalog rarity: candidates, word scores, weights and shared phrases,
checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from likewise.index.inverted import InvertedIndex
from likewise.index.segments import PaperText
from likewise.index.tokens import shared_tokeniser
from likewise.rank.key_phrases import (
    MIN_CATALOG,
    CatalogRarity,
    PaperPhrases,
    candidate_phrases,
    key_phrases,
    shared_phrases,
    word_scores,
)

# Document frequencies (by Porter stem) of an imagined 1,000-paper catalog.
FREQUENCIES = {
    "graph": 100,
    "kernel": 10,
    "molecul": 1,
    "text": 180,
    "embed": 85,
    "compar": 300,
    "project": 60,
    "anisotropi": 3,
    "point": 40,
    "cloud": 20,
    "registr": 8,
}


def catalog() -> CatalogRarity:
    return CatalogRarity(lambda stem: FREQUENCIES.get(stem, 0), 1000)


def test_candidates_split_at_stop_words_punctuation_and_numbers() -> None:
    phrases = candidate_phrases("Compact sentence transformers, and large language models: 7 LLMs.")
    assert [[word.surface for word in phrase] for phrase in phrases] == [
        ["compact", "sentence", "transformers"],
        ["language", "models"],
        ["llms"],
    ]


def test_hyphenated_compounds_stay_one_word_keyed_by_the_stems_of_their_parts() -> None:
    (phrase,) = candidate_phrases("rank-based metrics")
    assert [(word.surface, word.key) for word in phrase] == [
        ("rank-based", "rank-base"),
        ("metrics", "metric"),
    ]


def test_word_score_is_degree_over_frequency() -> None:
    # Candidates: [graph kernels] [graph kernels] [molecules] [graph].
    scores = word_scores(candidate_phrases("Graph kernels and graph kernels for molecules; graph"))
    # graph: freq 3, deg 2 + 2 + 1 = 5; kernels: freq 2, deg 4; molecules: freq 1, deg 1.
    assert scores == pytest.approx({"graph": 5 / 3, "kernel": 2.0, "molecul": 1.0})


def test_key_phrases_weigh_words_by_catalog_rarity_and_leave_generic_ones_out() -> None:
    text = "Graph kernels and graph kernels for molecules; graph"
    found = key_phrases(text, catalog(), limit=5)
    # graph kernels: 5/3 * ln(1000/100) + 2 * ln(1000/10); molecules: 1 * ln(1000/1).
    # "graph" alone is in 10% of the catalog: generic.
    assert [phrase.text for phrase in found] == ["graph kernels", "molecules"]
    assert found[0].score == pytest.approx(5 / 3 * math.log(10) + 2 * math.log(100))
    assert found[1].score == pytest.approx(math.log(1000))


def test_without_a_limit_rake_keeps_a_third_of_the_distinct_words() -> None:
    # Three distinct words: one phrase.
    found = key_phrases("Graph kernels and graph kernels for molecules; graph", catalog())
    assert [phrase.text for phrase in found] == ["graph kernels"]


def test_without_a_catalog_every_word_weighs_its_rake_score() -> None:
    found = key_phrases("Graph kernels and graph kernels for molecules; graph", None, limit=5)
    assert [(phrase.text, phrase.score) for phrase in found] == [
        ("graph kernels", pytest.approx(5 / 3 + 2)),
        ("graph", pytest.approx(5 / 3)),
        ("molecules", pytest.approx(1.0)),
    ]


def test_a_shared_phrase_scores_both_texts_weights_and_common_words_alone_are_no_reason() -> None:
    rarity = catalog()
    first = PaperPhrases("Text embeddings of text embeddings; we project. Text; project.", rarity)
    second = PaperPhrases("Compare text embeddings: project, text, project.", rarity)
    shared = shared_phrases(first, second, limit=3)
    # Only "text embeddings" (estimated share 0.18 * 0.085 = 0.015) is specific enough;
    # "text" (0.18), "embeddings" (0.085) and "project" (0.06) are each too common alone.
    assert [phrase.text for phrase in shared] == ["text embeddings"]
    # first: text deg 2+2+1 over freq 3, embeddings 2; second: text (3+1)/2, embeddings 3.
    idf_text, idf_embed = math.log(1 / 0.18), math.log(1 / 0.085)
    expected = (5 / 3 + 2) * idf_text + (2 + 3) * idf_embed
    assert shared[0].score == pytest.approx(expected)


def test_a_single_word_must_recur_in_both_texts_to_be_shared() -> None:
    rarity = catalog()
    twice = PaperPhrases("Anisotropy decides metrics. Anisotropy again.", rarity)
    also_twice = PaperPhrases("On anisotropy. Measuring anisotropy.", rarity)
    once = PaperPhrases("On anisotropy.", rarity)
    assert [p.text for p in shared_phrases(twice, also_twice, limit=3)] == ["anisotropy"]
    assert shared_phrases(twice, once, limit=3) == []


def test_a_compound_meets_the_same_words_spelt_apart_in_the_first_texts_wording() -> None:
    rarity = catalog()
    first = PaperPhrases("Point-cloud registration by kernels.", rarity)
    second = PaperPhrases("A point cloud registration benchmark.", rarity)
    assert [p.text for p in shared_phrases(first, second, limit=3)] == ["point-cloud registration"]


def test_a_chosen_phrase_hides_phrases_that_repeat_its_words() -> None:
    rarity = catalog()
    text = "Graph kernels on molecules. Graph kernels, molecules, kernels and molecules."
    shared = shared_phrases(PaperPhrases(text, rarity), PaperPhrases(text, rarity), limit=3)
    # "graph kernels" is chosen first; "kernels" alone would repeat it; "molecules" is new.
    assert [p.text for p in shared] == ["graph kernels", "molecules"]


def test_catalog_rarity_reads_document_frequencies_from_the_bm25_index() -> None:
    tokeniser = shared_tokeniser()
    papers = [
        PaperText(key, key, f"Paper {key}", "graph kernels" if key % 4 == 0 else "vision", "")
        for key in range(1, MIN_CATALOG + 1)
    ]
    index = InvertedIndex.built(papers, tokeniser)
    rarity = CatalogRarity.of_index(index)
    assert rarity is not None
    assert rarity.share("graph") == pytest.approx(25 / MIN_CATALOG)
    assert rarity.share("graph-kernel") == pytest.approx((25 / MIN_CATALOG) ** 2)
    # A word no paper has counts as one paper's worth, never zero.
    assert rarity.share("anisotropi") == pytest.approx(1 / MIN_CATALOG)
    assert CatalogRarity.of_index(InvertedIndex.built(papers[:-1], tokeniser)) is None
    assert CatalogRarity.of_index(None) is None
