"""The contrastive per-reader towers behind the personal feed: batch scoring, training
against sampled unseen papers, the lexical half and readers without signal."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_contrastive import TowerSettings, train_towers
from likewise.rank.personal_feed import ReaderProfile, score_readers
from likewise.rank.personal_recency import weighted_centroids


def _unit(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def _profile(
    key: str, positives: npt.NDArray[np.float32], texts: tuple[str, ...] = ()
) -> ReaderProfile:
    return ReaderProfile(
        key, positives, np.ones(len(positives), dtype=np.float32), positive_texts=texts
    )


def test_scoring_many_readers_at_once_equals_scoring_each_alone() -> None:
    generator = np.random.default_rng(0)
    candidates = _unit(generator.normal(size=(40, 16)))
    background = _unit(generator.normal(size=(60, 16)))
    profiles = [_profile(f"r{i}", _unit(generator.normal(size=(i + 2, 16)))) for i in range(4)]
    # float32 products of other shapes differ in the last bits, which 30 steps at 1/τ = 20
    # magnify to ~3e-3 on standardised scores: the same model, not bit-identical.
    tower = TowerSettings()
    batch = score_readers(profiles, candidates, background=background, tower=tower)
    for row, profile in enumerate(profiles):
        alone = score_readers([profile], candidates, background=background, tower=tower)
        assert np.allclose(batch.scores[row], alone.scores[0], atol=1e-2)
        assert (batch.nearest_positive[row] == alone.nearest_positive[0]).all()


def test_training_moves_a_tower_away_from_what_everyone_reads() -> None:
    common = np.array([1.0, 0.0, 0.0, 0.0])
    positives = _unit(np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]]))
    background = _unit(np.array([common + np.array([0, 0, 0, 0.1 * i]) for i in range(10)]))
    profile = _profile("r", positives)
    start = weighted_centroids([profile], 4)[0]
    trained = train_towers([profile], background, 4, TowerSettings(mask_rate=0.0))[0]
    assert trained @ common / np.linalg.norm(trained) < start @ common / np.linalg.norm(start)


def test_without_background_the_tower_is_the_readers_weighted_mean() -> None:
    positives = _unit(np.array([[1.0, 0.0], [0.0, 1.0]]))
    weights = train_towers([_profile("r", positives)], np.zeros((0, 2), np.float32), 2)
    assert np.allclose(weights[0], [0.5, 0.5])


def test_the_lexical_half_lifts_a_candidate_that_shares_the_readers_terms() -> None:
    positives = _unit(np.array([[1.0, 0.0], [1.0, 0.1]]))
    candidates = _unit(np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]))
    texts = ("retrieval augmented generation", "dense retrieval augmented models")
    candidate_texts = ["retrieval augmented generation benchmark", "protein folding", "cats"]
    dense = score_readers([_profile("r", positives, texts)], candidates).scores[0]
    fused = score_readers(
        [_profile("r", positives, texts)], candidates, candidate_texts=candidate_texts
    ).scores[0]
    assert dense[0] == dense[1]
    assert fused[0] > fused[1]


def test_a_reader_with_no_papers_among_others_gets_zeros() -> None:
    candidates = _unit(np.array([[1.0, 0.0], [0.0, 1.0]]))
    empty = ReaderProfile("new", np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    result = score_readers(
        [empty, _profile("r", candidates[:1])], candidates, background=candidates
    )
    assert result.scores[0].tolist() == [0.0, 0.0]
    assert result.nearest_positive[0].tolist() == [-1, -1]
    assert result.scores[1, 0] > result.scores[1, 1]
