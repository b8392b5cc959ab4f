"""`likewise eval recommend`: ranks one window's papers for every reader of a FeedTask with
each configuration and scores the rankings (nDCG@10, Recall@50) per reader, per split."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.evaluate.recommend_data import FeedTask, Reader
from likewise.rank.personal_contrastive import TowerSettings
from likewise.rank.personal_feed import CHOSEN, MEANS_ONLY, PREVIOUS, FeedWeights
from likewise.rank.personal_profiles import ReaderProfile, uniform_weights
from likewise.rank.personal_recency import recency_weights

FEED_METRICS = ("ndcg@10", "recall@50")
PerReader = dict[str, dict[str, float]]  # metric -> reader -> value


@dataclass(frozen=True)
class FeedInputs:
    """The task with what the models read: unit vectors of task.papers (same rows), the
    TF-IDF rows of task.papers followed by task.background (sparse, same row order), and the
    embedder's shipped author-pair map (None: the identity)."""

    task: FeedTask
    vectors: npt.NDArray[np.float32]
    tfidf: Any
    dense_map: npt.NDArray[np.float64] | None = None

    @property
    def background_texts(self) -> list[str]:
        """The earlier papers' texts, newest first, as the service passes them."""
        return [paper.text for paper in reversed(self.task.background)]


def ndcg_at(ranking: Sequence[int], relevant: frozenset[int], depth: int = 10) -> float:
    """Binary-gain nDCG at depth (1 / log2(rank + 1) per relevant item)."""
    if not relevant:
        return 0.0
    gain = sum(1.0 / math.log2(r + 2) for r, item in enumerate(ranking[:depth]) if item in relevant)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(relevant), depth)))
    return gain / ideal


def recall_at(ranking: Sequence[int], relevant: frozenset[int], depth: int = 50) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:depth])) / len(relevant)


def reader_metrics(scores: npt.NDArray[np.float32], readers: Sequence[Reader]) -> PerReader:
    """Per-reader metrics of a (readers, candidates) score matrix; ties keep candidate order."""
    result: PerReader = {metric: {} for metric in FEED_METRICS}
    for row, reader in enumerate(readers):
        ranking = [int(c) for c in np.argsort(-scores[row], kind="stable")[:50]]
        result["ndcg@10"][reader.author] = ndcg_at(ranking, reader.relevant, 10)
        result["recall@50"][reader.author] = recall_at(ranking, reader.relevant, 50)
    return result


def reader_profiles(
    inputs: FeedInputs,
    readers: Sequence[Reader],
    weighting: Callable[[int], npt.NDArray[np.float32]] = uniform_weights,
) -> list[ReaderProfile]:
    """Profiles as the product builds them: library newest first, every paper weighing the
    same (the product's uniform_weights; zotero-arxiv-daily's baseline passes its own
    recency_weights), the texts for the lexical half."""
    papers = inputs.task.papers
    return [
        ReaderProfile(
            key=reader.author,
            positives=inputs.vectors[list(reader.profile)],
            positive_weights=weighting(len(reader.profile)),
            positive_texts=tuple(papers[row].text for row in reader.profile),
        )
        for reader in readers
    ]


def library_rows(task: FeedTask) -> list[int]:
    """Rows of papers announced before the cut-off (every reader's library): the unseen
    papers of earlier days the towers are trained against."""
    window = set(task.candidates)
    return [row for row in range(len(task.papers)) if row not in window]


Model = Callable[[FeedInputs, Sequence[Reader]], npt.NDArray[np.float32]]


def _zotero(inputs: FeedInputs, readers: Sequence[Reader]) -> npt.NDArray[np.float32]:
    from likewise.rank.personal_recency import recency_scores

    candidates = inputs.vectors[list(inputs.task.candidates)]
    return recency_scores(reader_profiles(inputs, readers, recency_weights), candidates).scores


def _sanity(inputs: FeedInputs, readers: Sequence[Reader]) -> npt.NDArray[np.float32]:
    from likewise.rank.personal_svm import svm_scores

    task = inputs.task
    # The catalog it separates the reader's papers from: the window and the background, the
    # same for every reader (training over the other readers' libraries too would make the
    # every-author protocol's 35,000 rows cost ~10 s a reader for nothing the method needs).
    background = range(len(task.papers), len(task.papers) + len(task.background))
    catalog = [*task.candidates, *background]
    return svm_scores(inputs.tfidf, [r.profile for r in readers], task.candidates, catalog=catalog)


def _towers(settings: TowerSettings, weights: FeedWeights, *, mapped: bool = False) -> Model:
    """The product's score_readers with these settings; mapped: with the embedder's map and
    the earlier papers as Rocchio's background, as services/recommend.py calls it."""

    def run(inputs: FeedInputs, readers: Sequence[Reader]) -> npt.NDArray[np.float32]:
        from likewise.rank.personal_feed import score_readers

        candidates = inputs.vectors[list(inputs.task.candidates)]
        texts = [inputs.task.papers[row].text for row in inputs.task.candidates]
        lexical = weights.lexical_mean + weights.lexical_nearest > 0
        return score_readers(
            reader_profiles(inputs, readers),
            candidates,
            background=inputs.vectors[library_rows(inputs.task)],
            candidate_texts=texts if lexical else None,
            tower=settings,
            weights=weights,
            dense_map=inputs.dense_map if mapped else None,
            background_texts=inputs.background_texts if mapped else (),
        ).scores

    return run


BASELINES: dict[str, Model] = {"zotero-arxiv-daily": _zotero, "arxiv-sanity-lite": _sanity}
MODEL = "likewise"


def candidate_models() -> dict[str, Model]:
    """The variants compared on the fit readers; "likewise" is the one the product serves
    (map + lexical Rocchio), "previous" the one shipped before it."""
    trained, untrained = TowerSettings(), TowerSettings(steps=0)
    dense_only = FeedWeights(PREVIOUS.dense_mean, PREVIOUS.dense_nearest, 0.0, 0.0)
    return {
        MODEL: _towers(untrained, CHOSEN, mapped=True),
        "previous": _towers(untrained, PREVIOUS),
        "means-only": _towers(untrained, MEANS_ONLY),
        "dense-mean+nearest": _towers(untrained, dense_only),
        "lexical-centroid": _towers(untrained, FeedWeights(0.0, 0.0, 1.0, 0.0)),
        "contrastive-tower": _towers(trained, FeedWeights(1.0, 0.0, 0.0, 0.0)),
        "contrastive-tower+lexical": _towers(trained, MEANS_ONLY),
        "contrastive-no-masking": _towers(
            TowerSettings(mask_rate=0.0), FeedWeights(1.0, 0.0, 0.0, 0.0)
        ),
    }


def evaluate(
    inputs: FeedInputs, models: Mapping[str, Model], *, split: str
) -> dict[str, PerReader]:
    """Per-reader metrics of each model on one split ("fit" or "held-out")."""
    readers = inputs.task.fit if split == "fit" else inputs.task.held_out
    return {name: reader_metrics(model(inputs, readers), readers) for name, model in models.items()}


GRID = (0.0, 0.25, 0.5, 1.0)


def weight_grid(
    inputs: FeedInputs, readers: Sequence[Reader], grid: Sequence[float] = GRID
) -> list[tuple[FeedWeights, dict[str, float]]]:
    """Every FeedWeights of the grid (one weight 1 at least) with its mean metrics over
    readers, best nDCG@10 + Recall@50 first; the four scores (with the map and CHOSEN's
    Rocchio gamma) are computed once. Meant for
    the fit readers only: choosing on held-out readers would tune on them."""
    from itertools import product

    from likewise.rank.personal_feed import component_scores, mixed

    candidates = inputs.vectors[list(inputs.task.candidates)]
    components = component_scores(
        reader_profiles(inputs, readers),
        candidates,
        candidate_texts=[inputs.task.papers[row].text for row in inputs.task.candidates],
        dense_map=inputs.dense_map,
        background_texts=inputs.background_texts,
        rocchio_gamma=CHOSEN.rocchio_gamma,
    )
    results: list[tuple[FeedWeights, dict[str, float]]] = []
    for point in product(grid, repeat=4):
        if max(point) != max(grid):
            continue
        metrics = reader_metrics(mixed(components, FeedWeights(*point)), readers)
        results.append(
            (
                FeedWeights(*point),
                {m: float(np.mean(list(metrics[m].values()))) for m in FEED_METRICS},
            )
        )
    results.sort(key=lambda item: -sum(item[1].values()))
    return results
