"""The personal-feed evaluation: hand-computed metrics and the authorship protocol."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from likewise.evaluate.recommend import (
    FeedInputs,
    ndcg_at,
    reader_metrics,
    reader_profiles,
    recall_at,
)
from likewise.evaluate.recommend_data import (
    FeedPaper,
    FeedTask,
    Protocol,
    Reader,
    build_task,
    cached_vectors,
)
from likewise.rank.personal_profiles import uniform_weights
from likewise.rank.personal_recency import recency_weights


def _paper(pid: str, day: str, *authors: str) -> FeedPaper:
    return FeedPaper(pid, f"title {pid}", f"abstract {pid}", authors, day)


def test_ndcg_at_ten_counts_each_hit_by_its_rank_against_the_ideal_order() -> None:
    ranking = [5, 1, 7, 2]
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranking, frozenset({1, 2}), 10) == pytest.approx(expected)
    assert ndcg_at(ranking, frozenset({5}), 10) == pytest.approx(1.0)
    assert ndcg_at(ranking, frozenset({9}), 10) == 0.0


def test_recall_at_fifty_is_the_share_of_relevant_papers_in_the_top() -> None:
    ranking = list(range(60))
    assert recall_at(ranking, frozenset({3, 55, 70}), 50) == pytest.approx(1 / 3)
    assert recall_at(ranking, frozenset(), 50) == 0.0


def test_reader_metrics_rank_by_score_and_keep_candidate_order_on_ties() -> None:
    readers = [Reader("a", (0,), frozenset({2})), Reader("b", (0,), frozenset({0}))]
    scores = np.array([[0.1, 0.5, 0.9], [0.3, 0.3, 0.3]], dtype=np.float32)
    result = reader_metrics(scores, readers)
    assert result["ndcg@10"] == {"a": 1.0, "b": 1.0}
    assert result["recall@50"] == {"a": 1.0, "b": 1.0}
    worse = reader_metrics(scores[::-1].copy(), readers)
    assert worse["ndcg@10"]["a"] == pytest.approx(1 / math.log2(4))


def _corpus() -> list[FeedPaper]:
    papers = [_paper(f"old{i}", f"2026-01-{i + 1:02d}", "Ada", "Bob") for i in range(8)]
    papers += [_paper(f"few{i}", "2026-01-20", "Cy") for i in range(3)]
    papers += [
        _paper("new-ada", "2026-02-02", "Ada"),
        _paper("new-bob", "2026-02-03", "Bob", "Dee"),
        _paper("new-dee", "2026-02-04", "Dee"),
        _paper("late", "2026-02-20", "Ada"),
    ]
    return papers


def test_a_reader_is_an_author_with_enough_papers_and_relevance_includes_coauthors() -> None:
    protocol = Protocol(cutoff="2026-02-01", window_days=7, profile_size=5, readers=10, seed=1)
    task = build_task(_corpus(), protocol)
    readers = {r.author: r for r in (*task.fit, *task.held_out)}
    assert set(readers) == {"Ada", "Bob"}
    window = [task.papers[row].id for row in task.candidates]
    assert window == ["new-ada", "new-bob", "new-dee"]
    ada = readers["Ada"]
    assert [task.papers[row].id for row in ada.profile] == [f"old{i}" for i in (7, 6, 5, 4, 3)]
    assert {window[c] for c in ada.relevant} == {"new-ada", "new-bob"}
    assert {p.id for p in task.background} == {"old0", "old1", "old2", "few0", "few1", "few2"}


def test_the_split_of_readers_is_fixed_by_the_seed() -> None:
    protocol = Protocol(cutoff="2026-02-01", profile_size=5, readers=10, seed=3)
    first = build_task(_corpus(), protocol)
    second = build_task(_corpus(), protocol)
    assert [r.author for r in first.fit] == [r.author for r in second.fit]
    assert len(first.fit) == len(first.held_out) == 1


def _many_authors() -> list[FeedPaper]:
    """Twelve authors with eight papers each before the cut-off and one after."""
    papers = []
    for a in range(12):
        papers += [_paper(f"a{a}-{i}", f"2026-01-{i + 1:02d}", f"Author {a}") for i in range(8)]
        papers.append(_paper(f"a{a}-new", "2026-02-02", f"Author {a}"))
    return papers


def test_every_author_keeps_the_sampled_readers_split_and_adds_the_others() -> None:
    sampled = build_task(
        _many_authors(), Protocol(cutoff="2026-02-01", readers=4, seed=5, every_author=False)
    )
    every = build_task(
        _many_authors(), Protocol(cutoff="2026-02-01", readers=4, seed=5, every_author=True)
    )
    fit, held_out = {r.author for r in every.fit}, {r.author for r in every.held_out}
    assert {r.author for r in sampled.fit} <= fit
    assert {r.author for r in sampled.held_out} <= held_out
    assert len(fit | held_out) == 12 and not fit & held_out
    assert len(fit) == len(held_out) == 6


class _CountingEmbedder:
    """A fake embedder that records which texts it was asked for."""

    model_id = "counting-test-model"
    dimension = 3

    def __init__(self) -> None:
        self.asked: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.asked.extend(texts)
        rows = [[len(text), 1.0, float(text.count("a"))] for text in texts]
        matrix = np.asarray(rows, dtype=np.float32)
        unit: npt.NDArray[np.float32] = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        return unit


def test_cached_vectors_embed_only_papers_not_cached_before(tmp_path: Path) -> None:
    papers = _corpus()
    embedder = _CountingEmbedder()
    first = cached_vectors(papers[:5], embedder, tmp_path)
    assert len(embedder.asked) == 5
    both = cached_vectors(papers[3:8], embedder, tmp_path)
    assert len(embedder.asked) == 8  # only papers 5, 6 and 7 were new
    np.testing.assert_allclose(both[:2], first[3:5])
    np.testing.assert_allclose(both, embedder.embed_documents([p.text for p in papers[3:8]]))


def test_a_cache_whose_rows_and_ids_disagree_is_rebuilt(tmp_path: Path) -> None:
    papers = _corpus()[:4]
    embedder = _CountingEmbedder()
    cached_vectors(papers, embedder, tmp_path)
    (cache,) = tmp_path.glob("*.npz")
    np.savez(cache, ids=np.array(["x"]), vectors=np.zeros((2, 3), dtype=np.float32))
    again = cached_vectors(papers, embedder, tmp_path)
    assert len(embedder.asked) == 8
    assert np.all(np.isfinite(again)) and again.shape == (4, 3)


def test_uniform_weights_give_every_positive_the_same_share() -> None:
    assert uniform_weights(4).tolist() == [0.25] * 4
    assert uniform_weights(0).shape == (0,)


def test_readers_are_profiled_as_the_product_does_and_the_baseline_keeps_its_recency() -> None:
    papers = tuple(_paper(f"p{i}", f"2026-03-0{3 - i}", "Ada") for i in range(3))
    reader = Reader("Ada", (0, 1, 2), frozenset())
    task = FeedTask("2026-04-01", 7, papers, (), (), (reader,), ())
    inputs = FeedInputs(task, np.eye(3, 4, dtype=np.float32), None)
    product = reader_profiles(inputs, [reader])[0].positive_weights
    baseline = reader_profiles(inputs, [reader], recency_weights)[0].positive_weights
    assert product.tolist() == pytest.approx([1 / 3] * 3)
    # zotero-arxiv-daily: 1 / (1 + log10 k) for the k-th newest, normalised.
    raw = [1.0, 1 / (1 + math.log10(2)), 1 / (1 + math.log10(3))]
    assert baseline.tolist() == pytest.approx([w / sum(raw) for w in raw])
