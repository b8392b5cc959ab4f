"""score_candidates: the similarity configs the Library and the CSFCube evaluation share."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.similar import (
    SIMILAR_CONFIGS,
    PaperRepresentation,
    UnknownConfigError,
    score_candidates,
)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_cosine_config_scores_are_the_dot_products() -> None:
    query = PaperRepresentation(unit(1, 0, 0))
    candidates = [PaperRepresentation(unit(1, 1, 0)), PaperRepresentation(unit(0, 0, 1))]
    scores = score_candidates(query, candidates, facet=None, config="cosine")
    assert scores == pytest.approx([np.sqrt(0.5), 0.0], abs=1e-6)


def test_an_unknown_config_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownConfigError, match="cosine-dbnorm"):
        score_candidates(PaperRepresentation(unit(1, 0)), [], facet=None, config="bm25")


def test_no_candidates_give_no_scores() -> None:
    for config in SIMILAR_CONFIGS:
        assert (
            len(score_candidates(PaperRepresentation(unit(1, 0)), [], facet=None, config=config))
            == 0
        )


def test_dbnorm_demotes_a_hub_that_plain_cosine_prefers() -> None:
    # The hub sits in a crowded region of the bank; the specific candidate is a little less
    # close to the query but has no bank paper near it.
    generator = np.random.default_rng(7)
    crowd = [unit(1, *(generator.normal(scale=0.05, size=2))) for _ in range(10)]
    bank = np.stack([*crowd, unit(0, 0, 1)])
    query = PaperRepresentation(unit(1, 0.9, 0))
    hub = PaperRepresentation(unit(1, 0, 0))
    specific = PaperRepresentation(unit(0, 1, 0))
    plain = score_candidates(query, [hub, specific], facet=None, config="cosine")
    corrected = score_candidates(
        query, [hub, specific], facet=None, config="cosine-dbnorm", bank=bank
    )
    assert plain[0] > plain[1]
    assert corrected[1] > corrected[0]


def test_facet_config_follows_the_requested_facet() -> None:
    query = PaperRepresentation(
        unit(1, 1),
        sentence_vectors=np.stack([unit(1, 0), unit(0, 1)]),
        sentence_facets=["method", "result"],
    )
    same_method = PaperRepresentation(unit(1, 0.9), sentence_vectors=np.stack([unit(1, 0)]))
    same_result = PaperRepresentation(unit(0.9, 1), sentence_vectors=np.stack([unit(0, 1)]))
    by_method = score_candidates(query, [same_method, same_result], facet="method", config="facet")
    by_result = score_candidates(query, [same_method, same_result], facet="result", config="facet")
    assert by_method[0] > by_method[1]
    assert by_result[1] > by_result[0]


def test_facet_config_without_sentence_vectors_is_plain_cosine() -> None:
    query = PaperRepresentation(unit(1, 0))
    candidates = [PaperRepresentation(unit(1, 1)), PaperRepresentation(unit(0, 1))]
    assert score_candidates(query, candidates, facet="method", config="facet") == pytest.approx(
        score_candidates(query, candidates, facet="method", config="cosine")
    )
