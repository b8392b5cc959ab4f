"""The facet hybrid's blend and TF-IDF cosine (rank/facet_similar.py), worked by hand: each
component min-max normalised over the candidates, then 0.5 / 0.3 / 0.2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likewise.rank.facet_similar import (
    blend,
    facet_query,
    normalised,
    score_by_facet,
    tfidf_cosine,
    tfidf_vector,
)
from likewise.rank.key_phrases import CatalogRarity

IDF = {"graph": 1.0, "network": 2.0, "protein": 3.0}.__getitem__


def test_tfidf_weighs_terms_by_sublinear_tf_times_idf_and_has_unit_length() -> None:
    vector = tfidf_vector("Graph graphs network", IDF)  # "graphs" stems to "graph": tf 2
    length = math.hypot(1.0 + math.log(2.0), 2.0)  # (1 + ln 2) * 1 and 1 * 2
    assert vector == pytest.approx(
        {"graph": (1.0 + math.log(2.0)) / length, "network": 2.0 / length}
    )


def test_the_tfidf_cosine_sums_products_over_shared_terms_only() -> None:
    first = tfidf_vector("graph graph network", IDF)
    second = tfidf_vector("network protein", IDF)
    # Only "network" is shared: 2 * 2 / (|(1.693, 2)| * |(2, 3)|) = 4 / (2.620 * 3.606)
    expected = 4.0 / (math.hypot(1.0 + math.log(2.0), 2.0) * math.hypot(2.0, 3.0))
    assert tfidf_cosine(first, second) == pytest.approx(expected)  # 0.4234
    assert tfidf_cosine(second, first) == pytest.approx(expected)
    assert tfidf_cosine(first, tfidf_vector("", IDF)) == 0.0


def test_catalog_rarity_gives_log_n_over_df_as_the_idf() -> None:
    frequencies = {"graph": 10, "network": 1}
    rarity = CatalogRarity(lambda term: frequencies.get(term, 0), 100)
    assert rarity.weight("graph") == pytest.approx(math.log(10.0))
    assert rarity.weight("network") == pytest.approx(math.log(100.0))
    assert rarity.weight("unseen") == pytest.approx(math.log(100.0))  # df floored at 1


def test_min_max_maps_onto_zero_to_one_and_a_constant_component_to_zero() -> None:
    assert normalised(np.array([0.2, 0.4, 0.6]), "minmax") == pytest.approx([0.0, 0.5, 1.0])
    assert normalised(np.array([0.3, 0.3]), "minmax") == pytest.approx([0.0, 0.0])
    with pytest.raises(ValueError, match="normalisation"):
        normalised(np.array([0.1]), "z")


def test_the_blend_weighs_normalised_cosine_facet_and_lexical_parts_half_three_two() -> None:
    cosines = np.array([0.2, 0.4, 0.6])  # -> 0, 0.5, 1
    facet = np.array([0.5, 0.9, 0.7])  # -> 0, 1, 0.5
    lexical = np.array([0.0, 0.1, 0.3])  # -> 0, 1/3, 1
    scores = blend(cosines, facet, lexical)
    # 0.5 * 0.5 + 0.3 * 1 + 0.2 / 3 = 0.6167; 0.5 * 1 + 0.3 * 0.5 + 0.2 * 1 = 0.85
    assert scores == pytest.approx([0.0, 0.25 + 0.3 + 0.2 / 3, 0.85])
    with pytest.raises(ValueError, match="at most 1"):
        blend(cosines, facet, lexical, weight=0.9, lexical_weight=0.2)


def test_a_candidate_without_sentences_has_its_cosine_stand_in_for_the_facet_part() -> None:
    query = facet_query(np.array([[0.0, 1.0]], dtype=np.float32), ["method"], "method")
    near = np.array([[0.6, 0.8]], dtype=np.float32)  # facet part 0.8
    same = np.array([[0.0, 1.0]], dtype=np.float32)  # facet part 1.0
    cosines = np.array([0.5, 0.2, 0.9])
    lexical = np.array([0.1, 0.3, 0.0])  # the third has no abstract
    scores = score_by_facet(query, cosines, [near, same, None], lexical)
    # cosine -> 3/7, 0, 1; facet parts 0.8, 1.0, 0.9 (its cosine) -> 0, 1, 0.5; lexical
    # -> 1/3, 1, 0.
    expected = [0.5 * 3 / 7 + 0.2 / 3, 0.3 + 0.2, 0.5 + 0.15]
    assert [s.score for s in scores] == pytest.approx(expected)
    assert [s.facet_score for s in scores] == pytest.approx([0.8, 1.0, None])
    assert [s.lexical_score for s in scores] == pytest.approx([0.1, 0.3, 0.0])
    assert scores[2].matches == ()
