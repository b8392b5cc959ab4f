"""The served For-you model: the embedder's author-pair map on the dense scores (identity when
none is shipped) and the lexical mean made discriminative against earlier papers' texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from likewise.rank import personal_feed
from likewise.rank.personal_feed import CHOSEN, FeedWeights, ReaderProfile, score_readers
from likewise.rank.personal_linear_map import MAP_DATA, bundled_map, map_path

SHIPPED_MODEL = "all-MiniLM-L6-v2-qint8-onnx-256-mean"
DENSE_ONLY = FeedWeights(0.0, 1.0, 0.0, 0.0)
LEXICAL_ONLY = FeedWeights(0.0, 0.0, 1.0, 0.0, rocchio_gamma=0.5)


def _unit(*rows: list[float]) -> npt.NDArray[np.float32]:
    matrix = np.asarray(rows, dtype=np.float32)
    norms: npt.NDArray[np.float32] = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / norms


def test_the_shipped_model_id_has_a_square_finite_map_near_the_identity() -> None:
    weights = bundled_map(SHIPPED_MODEL)
    assert weights is not None and weights.shape == (384, 384)
    assert np.isfinite(weights).all()
    # Trained from the identity: the diagonal still dominates.
    assert float(np.mean(np.diag(weights))) > 3 * float(np.mean(np.abs(weights)))
    assert map_path(SHIPPED_MODEL) == MAP_DATA / f"{SHIPPED_MODEL}.npy"


def test_a_model_without_a_map_file_or_with_a_bad_one_gets_none(tmp_path: Path) -> None:
    assert bundled_map("some-other-embedder-384") is None
    assert bundled_map("../escape") is None
    np.save(tmp_path / "flat-model.npy", np.ones((3, 4)))
    assert bundled_map("flat-model", tmp_path) is None
    np.save(tmp_path / "square-model.npy", 2 * np.eye(3))
    loaded = bundled_map("square-model", tmp_path)
    assert loaded is not None and loaded[1, 1] == 2.0


def test_no_map_scores_exactly_as_the_identity_map() -> None:
    positives = _unit([1.0, 0.2, 0.0], [0.0, 1.0, 0.3])
    candidates = _unit([1.0, 0.1, 0.0], [0.0, 0.0, 1.0], [0.1, 1.0, 0.0])
    profile = ReaderProfile("u", positives, np.array([1.0, 0.5], dtype=np.float32))
    plain = score_readers([profile], candidates)
    identity = score_readers([profile], candidates, dense_map=np.eye(3))
    np.testing.assert_allclose(plain.scores, identity.scores, atol=1e-6)
    assert (plain.nearest_positive == identity.nearest_positive).all()


def test_the_map_changes_the_dense_nearest_score_but_not_the_why_paper() -> None:
    # Plain cosines of candidate 0, (0.8, 0.6): 0.8 to paper 0, 0.6 to paper 1. The map
    # triples the second axis: (0.8, 1.8) is then nearer paper 1 (cosine 0.91 against 0.41),
    # so its dense nearest score rises from 0.8 to 0.91; the "why" paper stays paper 0, the
    # one with the highest plain cosine (what the card's similarity shows).
    positives = _unit([1.0, 0.0], [0.0, 1.0])
    candidates = _unit([0.8, 0.6], [0.0, 1.0], [1.0, 0.05])
    profile = ReaderProfile("u", positives, np.ones(2, dtype=np.float32))
    stretch = np.diag([1.0, 3.0])
    plain = score_readers([profile], candidates, weights=DENSE_ONLY)
    mapped = score_readers([profile], candidates, weights=DENSE_ONLY, dense_map=stretch)
    assert list(plain.nearest_positive[0]) == [0, 1, 0]
    assert list(mapped.nearest_positive[0]) == [0, 1, 0]
    # Dense nearest alone: plain 0.8 < 0.9988 (candidate 2) < 1; mapped, candidate 2 is
    # (1, 0.15) / |.|, cosine 0.989 to paper 0, and candidate 0's 0.91 stays last.
    assert plain.scores[0, 0] < plain.scores[0, 2] < plain.scores[0, 1]
    assert mapped.scores[0, 0] < mapped.scores[0, 2] < mapped.scores[0, 1]
    gap_plain = plain.scores[0, 2] - plain.scores[0, 0]
    gap_mapped = mapped.scores[0, 2] - mapped.scores[0, 0]
    assert gap_mapped < gap_plain


def test_words_common_in_earlier_papers_lose_a_tie_of_the_lexical_mean() -> None:
    # One saved text "alpha beta"; both candidates share one word of it, so the plain
    # centroid ties them; the earlier papers are about alpha, so "alpha gamma" loses.
    profile = ReaderProfile(
        "u", _unit([1.0, 0.0]), np.ones(1, dtype=np.float32), positive_texts=("alpha beta",)
    )
    candidates = _unit([1.0, 1.0], [1.0, 1.0])
    texts = ["alpha gamma", "beta delta"]
    earlier = ["alpha epsilon", "alpha zeta"]
    plain = score_readers(
        [profile],
        candidates,
        candidate_texts=texts,
        weights=FeedWeights(0.0, 0.0, 1.0, 0.0, rocchio_gamma=0.0),
        background_texts=earlier,
    ).scores[0]
    rocchio = score_readers(
        [profile], candidates, candidate_texts=texts, weights=LEXICAL_ONLY, background_texts=earlier
    ).scores[0]
    no_background = score_readers(
        [profile], candidates, candidate_texts=texts, weights=LEXICAL_ONLY
    ).scores[0]
    assert abs(plain[0] - plain[1]) < 1e-6
    assert abs(no_background[0] - no_background[1]) < 1e-6
    # Two candidates standardise to exactly -1 and +1.
    np.testing.assert_allclose(rocchio, [-1.0, 1.0], atol=1e-5)


def test_only_the_first_background_texts_up_to_the_bound_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(personal_feed, "BACKGROUND_TEXTS", 1)
    profile = ReaderProfile(
        "u", _unit([1.0, 0.0]), np.ones(1, dtype=np.float32), positive_texts=("alpha beta",)
    )
    candidates = _unit([1.0, 1.0], [1.0, 1.0])
    texts = ["alpha gamma", "beta delta"]
    # The first (newest) earlier paper is about beta; the alpha one is past the bound.
    scores = score_readers(
        [profile],
        candidates,
        candidate_texts=texts,
        weights=LEXICAL_ONLY,
        background_texts=["beta eta", "alpha alpha alpha"],
    ).scores[0]
    assert scores[0] > scores[1]


def test_the_chosen_weights_are_the_fit_grid_point_with_gamma_one_half() -> None:
    assert (CHOSEN.dense_mean, CHOSEN.dense_nearest, CHOSEN.lexical_mean) == (0.25, 0.5, 1.0)
    assert CHOSEN.lexical_nearest == 0.0 and CHOSEN.rocchio_gamma == 0.5


def test_the_wheel_carries_the_map_files_as_package_data() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]["likewise"]
    assert "rank/map_data/*.npy" in data and "rank/map_data/*.json" in data
    assert (MAP_DATA / f"{SHIPPED_MODEL}.json").is_file()
