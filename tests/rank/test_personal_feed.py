"""The personal feed's batch interface: shapes, nearest saved paper, negatives and empty readers."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_feed import ReaderProfile, score_readers


def _unit(*rows: list[float]) -> npt.NDArray[np.float32]:
    matrix = np.asarray(rows, dtype=np.float32)
    norms: npt.NDArray[np.float32] = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / norms


def test_a_reader_prefers_the_candidate_nearest_their_papers_and_names_it() -> None:
    positives = _unit([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    candidates = _unit([1.0, 0.1, 0.0], [0.0, 0.0, 1.0], [0.1, 1.0, 0.0])
    profile = ReaderProfile("u1", positives, np.array([1.0, 1.0], dtype=np.float32))
    result = score_readers([profile], candidates)
    assert result.scores.shape == (1, 3)
    assert result.scores[0, 1] < min(result.scores[0, 0], result.scores[0, 2])
    assert list(result.nearest_positive[0, [0, 2]]) == [0, 1]


def test_not_interested_pushes_a_candidate_down() -> None:
    positives = _unit([1.0, 1.0, 0.0])
    candidates = _unit([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    plain = ReaderProfile("u", positives, np.ones(1, dtype=np.float32))
    negative = ReaderProfile("u", positives, np.ones(1, dtype=np.float32), _unit([1.0, 0.0, 0.0]))
    before = score_readers([plain], candidates).scores[0]
    after = score_readers([negative], candidates).scores[0]
    assert abs(before[0] - before[1]) < 1e-6
    assert after[0] < after[1]


def test_a_reader_with_no_papers_gets_zeros_and_no_nearest_paper() -> None:
    empty = ReaderProfile("new", np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.float32))
    result = score_readers([empty], _unit([1.0, 0.0, 0.0]))
    assert result.scores.tolist() == [[0.0]]
    assert result.nearest_positive.tolist() == [[-1]]
