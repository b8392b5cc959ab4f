"""How a reader's papers are weighted in the personal feed, and other mixes of the served model,
on the FIT readers of `likewise eval recommend` (the served components, the shipped map, the
cached arxiv-sanity-lite scores of bench/recommend_variants.py for the paired tests).
--held-out: one look at the held-out readers for uniform weights against both baselines.

    PYTHONPATH=src nice -n 10 python bench/recommend_weighting.py [--others]
    PYTHONPATH=src nice -n 10 python bench/recommend_weighting.py --held-out
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.cli.evaluation_recommend import recommend_cache_dir
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.recommend import (
    BASELINES,
    FEED_METRICS,
    FeedInputs,
    library_rows,
    reader_metrics,
    reader_profiles,
)
from likewise.evaluate.recommend_data import (
    FeedTask,
    Protocol,
    build_task,
    cached_vectors,
    read_papers,
)
from likewise.evaluate.significance import holm_bonferroni, paired_randomization_test
from likewise.rank.personal_feed import (
    CHOSEN,
    FeedComponents,
    component_scores,
    mixed,
    standardised,
)
from likewise.rank.personal_linear_map import bundled_map, mapped
from likewise.rank.personal_profiles import ReaderProfile
from likewise.rank.personal_recency import recency_weights

Scores = npt.NDArray[np.float32]
Weighting = Callable[[FeedTask, Sequence[int]], npt.NDArray[np.float32]]


def by_age(half_life_days: float) -> Weighting:
    """0.5 ** (age / half-life), age in days at the cut-off (the product's rule before)."""

    def weights(task: FeedTask, rows: Sequence[int]) -> npt.NDArray[np.float32]:
        cutoff = date.fromisoformat(task.cutoff)
        ages = [(cutoff - date.fromisoformat(task.papers[r].first_listed)).days for r in rows]
        return (0.5 ** (np.array(ages, dtype=np.float64) / half_life_days)).astype(np.float32)

    return weights


def by_rank(half_life_papers: float) -> Weighting:
    def weights(task: FeedTask, rows: Sequence[int]) -> npt.NDArray[np.float32]:
        return (0.5 ** (np.arange(len(rows)) / half_life_papers)).astype(np.float32)

    return weights


WEIGHTINGS: dict[str, Weighting] = {
    "uniform (served)": lambda task, rows: np.ones(len(rows), dtype=np.float32),
    "zotero-arxiv-daily 1 / (1 + log10 k)": lambda task, rows: recency_weights(len(rows)),
    **{f"age half-life {d} days": by_age(d) for d in (365.0, 730.0, 1095.0, 3650.0)},
    **{f"rank half-life {k} papers": by_rank(k) for k in (4.0, 8.0, 16.0)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--papers", type=Path, default=Path("../shared/data/arxiv-daily-cs/papers.jsonl.gz")
    )
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--others", action="store_true", help="hub, SVM and soft-max mixes")
    arguments = parser.parse_args()
    task = build_task(read_papers(arguments.papers), Protocol())
    embedder = OnnxMiniLMEmbedder()
    vectors = cached_vectors(task.papers, embedder, recommend_cache_dir())
    inputs = FeedInputs(task, vectors, None, bundled_map(embedder.model_id))
    readers = task.held_out if arguments.held_out else task.fit
    split = "held-out" if arguments.held_out else "fit"
    window = list(task.candidates)
    svm_file = recommend_cache_dir() / f"svm-{split}-{len(readers)}-{len(window)}.npy"
    if not svm_file.is_file():
        raise SystemExit(f"{svm_file} is missing: run bench/recommend_variants.py --svm first")
    svm = reader_metrics(np.load(svm_file), readers)
    candidates, texts = vectors[window], [task.papers[row].text for row in window]

    def components(profiles: Sequence[ReaderProfile]) -> FeedComponents:
        return component_scores(
            profiles,
            candidates,
            candidate_texts=texts,
            dense_map=inputs.dense_map,
            background_texts=inputs.background_texts,
            rocchio_gamma=CHOSEN.rocchio_gamma,
        )

    def show(name: str, scores: Scores) -> dict[str, dict[str, float]]:
        metrics = reader_metrics(scores, readers)
        cells = []
        for metric in FEED_METRICS:
            ours = [metrics[metric][r.author] for r in readers]
            theirs = [svm[metric][r.author] for r in readers]
            p = paired_randomization_test(ours, theirs, rounds=1000)
            cells.append(f"{metric} {np.mean(ours):.4f} (SVM {np.mean(theirs):.4f}, p {p:.3f})")
        print(f"{name:40s} " + "  ".join(cells), flush=True)
        return metrics

    profiles = reader_profiles(inputs, readers)
    served = mixed(components(profiles), CHOSEN)
    if arguments.held_out:
        zotero = BASELINES["zotero-arxiv-daily"](inputs, readers)
        ours = show("uniform (served)", served)
        tests = []
        for baseline, metrics in (("arxiv-sanity-lite", svm), ("zotero-arxiv-daily", None)):
            theirs_all = metrics or show("zotero-arxiv-daily", zotero)
            for metric in FEED_METRICS:
                first = [ours[metric][r.author] for r in readers]
                second = [theirs_all[metric][r.author] for r in readers]
                difference = float(np.mean(first) - np.mean(second))
                tests.append(
                    (baseline, metric, difference, paired_randomization_test(first, second))
                )
        adjusted = holm_bonferroni([test[3] for test in tests])
        for (baseline, metric, difference, raw), holm in zip(tests, adjusted, strict=True):
            print(f"vs {baseline:20s} {metric:10s} {difference:+.4f} p {raw:.4f} Holm {holm:.4f}")
        return
    for name, weighting in WEIGHTINGS.items():
        weighted = [
            replace(p, positive_weights=weighting(task, r.profile))
            for p, r in zip(profiles, readers, strict=True)
        ]
        show(name, mixed(components(weighted), CHOSEN))
    if not arguments.others:
        return
    column = served.mean(axis=0, keepdims=True)
    for beta in (0.25, 0.5, 1.0, -0.1, -0.25):
        show(f"minus {beta} x mean score over readers", served - beta * column)
    library = mapped(vectors[library_rows(task)], inputs.dense_map)  # type: ignore[arg-type]
    cosines = mapped(candidates, inputs.dense_map) @ library.T  # type: ignore[arg-type]
    for k in (10, 50):
        density = -np.sort(-cosines, axis=1)[:, :k].mean(axis=1)
        z = (density - density.mean()) / density.std()
        for beta in (0.1, 0.25, 0.5):
            show(f"CSLS-like density k={k} minus {beta}", served - beta * z[None, :])
    standard_svm = standardised(np.load(svm_file).astype(np.float32))
    for weight in (0.25, 0.5, 1.0):
        show(f"plus {weight} x standardised SVM", served + weight * standard_svm)


if __name__ == "__main__":
    main()
