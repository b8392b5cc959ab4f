"""Personal-feed variants on the FIT readers of `likewise eval recommend`: discriminative
Rocchio (rank/personal_rocchio.py) and a linear map of the dense vectors trained on pre-cut-off
author pairs (rank/personal_linear_map.py); the four raw scores are computed once. --held-out:
one look at the held-out readers for the variant chosen on fit (map + Rocchio lexical at the
fit grid's best weights), against both baselines, paired tests with Holm's correction.

    PYTHONPATH=src nice -n 10 python bench/recommend_variants.py [--grid] [--epochs 3]
    PYTHONPATH=src nice -n 10 python bench/recommend_variants.py --held-out --epochs 10 \
        --per-paper 4 --learning-rate 0.003 --temperature 0.1
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.cli.evaluation_recommend import recommend_cache_dir
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.recommend import (
    BASELINES,
    FEED_METRICS,
    GRID,
    FeedInputs,
    library_rows,
    reader_metrics,
    reader_profiles,
)
from likewise.evaluate.recommend_data import (
    FeedTask,
    Protocol,
    Reader,
    build_task,
    cached_vectors,
    read_papers,
)
from likewise.evaluate.recommend_pairs import author_pairs
from likewise.evaluate.significance import paired_randomization_test
from likewise.rank.personal_feed import PREVIOUS, FeedComponents, FeedWeights, mixed, standardised
from likewise.rank.personal_lexical import centroid_scores, lexical_rows
from likewise.rank.personal_linear_map import MapSettings, mapped, train_map
from likewise.rank.personal_nearest import block_nearest
from likewise.rank.personal_profiles import ReaderProfile, Vectors
from likewise.rank.personal_recency import weighted_centroids
from likewise.rank.personal_rocchio import GAMMAS, background_cosines, discriminative

Scores = npt.NDArray[np.float32]


def dense_raw(profiles: Sequence[ReaderProfile], candidates: Vectors) -> tuple[Scores, Scores]:
    """(cosine to the unit weighted centroid, cosine to the nearest paper) per reader."""
    centroids = weighted_centroids(profiles, candidates.shape[1])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    stacked = np.concatenate([p.positives for p in profiles])
    nearest, _ = block_nearest(
        [len(p.positives) for p in profiles], (stacked @ candidates.T).astype(np.float32)
    )
    return (centroids @ candidates.T).astype(np.float32), nearest


def lexical_raw(
    profiles: Sequence[ReaderProfile], texts: Sequence[str], background: Sequence[str]
) -> tuple[Scores, Scores, Scores, Scores]:
    """(centroid cosine, nearest cosine, per-candidate cosine to the background's centroid and
    to the window's) over TF-IDF."""
    features = lexical_rows(profiles, texts, transformed_texts=background)
    assert features is not None
    rows, positives, extra = features
    cosines = (positives @ rows.T).toarray().astype(np.float32)
    nearest = block_nearest([len(p.positive_texts) for p in profiles], cosines)[0]
    centroid = centroid_scores(profiles, rows, positives)
    return centroid, nearest, background_cosines(rows, extra), background_cosines(rows, rows)


# Per-reader metrics of arxiv-sanity-lite's SVM on the same readers (--svm), for paired tests.
SVM: dict[str, dict[str, float]] = {}


def sanity_rocchio(
    task: FeedTask, readers: Sequence[Reader], weights: Sequence[Scores]
) -> tuple[Scores, Scores]:
    """(centroid cosine, per-candidate background cosine) over arxiv-sanity-lite's TF-IDF of the
    evaluation's papers and background (the SVM's features); background: the catalog rows."""
    from scipy import sparse

    from likewise.rank.personal_svm import tfidf_matrix

    features = tfidf_matrix([paper.text for paper in (*task.papers, *task.background)])
    rows = features[list(task.candidates)]
    mixing = sparse.lil_matrix((len(readers), features.shape[0]), dtype=np.float32)
    for user, (reader, weight) in enumerate(zip(readers, weights, strict=True)):
        mixing[user, list(reader.profile)] = weight / max(float(weight.sum()), 1e-9)
    centroids = sparse.csr_matrix(mixing) @ features
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1))).ravel()
    centroids = sparse.diags(1.0 / np.maximum(norms, 1e-9)) @ centroids
    scores = (centroids @ rows.T).toarray().astype(np.float32)
    catalog = features[len(task.papers) :]
    return scores, background_cosines(rows, sparse.vstack([rows, catalog]))


def summary(scores: Scores, readers: Sequence[Reader]) -> dict[str, float]:
    """Mean metrics, and with --svm the raw paired-test p of each metric against the SVM."""
    metrics = reader_metrics(scores, readers)
    values = {m: float(np.mean(list(metrics[m].values()))) for m in FEED_METRICS}
    for metric in FEED_METRICS if SVM else ():
        ours = [metrics[metric][r.author] for r in readers]
        theirs = [SVM[metric][r.author] for r in readers]
        values[f"p {metric}"] = paired_randomization_test(ours, theirs, rounds=2000)
    return values


def svm_scores(inputs: FeedInputs, readers: Sequence[Reader]) -> Scores:
    """arxiv-sanity-lite's scores of the readers (about 15 minutes), cached as a .npy file."""
    split = "held-out" if readers == inputs.task.held_out else "fit"
    name = f"svm-{split}-{len(readers)}-{len(inputs.task.candidates)}.npy"
    path = recommend_cache_dir() / name
    if path.is_file():
        cached: Scores = np.load(path)
        return cached
    from likewise.rank.personal_svm import tfidf_matrix

    task = inputs.task
    texts = [paper.text for paper in (*task.papers, *task.background)]
    full = FeedInputs(task, inputs.vectors, tfidf_matrix(texts))
    scores = BASELINES["arxiv-sanity-lite"](full, readers)
    np.save(path, scores)
    return scores


def components(parts: Sequence[Scores], count: int) -> FeedComponents:
    dm, dn, lm, ln = (standardised(part) for part in parts)
    return FeedComponents(dm, dn, lm, ln, np.ones(count, dtype=bool), np.zeros((1, 1), np.int64))


def report(name: str, parts: Sequence[Scores], readers: Sequence[Reader], **extra: Any) -> None:
    for label, weights in {"chosen": PREVIOUS, **extra}.items():
        values = summary(mixed(components(parts, len(readers)), weights), readers)
        tests = f" p={values['p ndcg@10']:.4f} {values['p recall@50']:.4f}" if SVM else ""
        print(
            f"{name:48s} {label:10s} {values['ndcg@10']:.4f} {values['recall@50']:.4f}{tests}",
            flush=True,
        )


def grid(parts: Sequence[Scores], readers: Sequence[Reader], name: str) -> None:
    from itertools import product

    built = components(parts, len(readers))
    results = []
    for point in product(GRID, repeat=4):
        if max(point) == max(GRID):
            results.append((point, summary(mixed(built, FeedWeights(*point)), readers)))
    results.sort(key=lambda item: -sum(item[1][m] for m in FEED_METRICS))
    for point, values in results[:5]:
        tests = f" p={values['p ndcg@10']:.4f} {values['p recall@50']:.4f}" if SVM else ""
        print(f"grid {name}: {point} {values['ndcg@10']:.4f} {values['recall@50']:.4f}{tests}")


# The fit grid's best point for map + Rocchio (personal_feed.CHOSEN since it was wired in).
CHOSEN_ON_FIT = FeedWeights(0.25, 0.5, 1, 0)


def held_out_look(
    inputs: FeedInputs,
    readers: Sequence[Reader],
    ours: Scores,
    shipped: Scores,
) -> None:
    """The chosen variant (served since as CHOSEN), the model shipped before it (PREVIOUS) and
    both baselines on the held-out readers."""
    from likewise.evaluate.significance import holm_bonferroni

    runs = {
        "map + rocchio (chosen on fit)": ours,
        "likewise as shipped": shipped,
        "arxiv-sanity-lite": svm_scores(inputs, readers),
        "zotero-arxiv-daily": BASELINES["zotero-arxiv-daily"](inputs, readers),
    }
    metrics = {name: reader_metrics(scores, readers) for name, scores in runs.items()}
    print(f"{len(readers)} held-out readers")
    for name, values in metrics.items():
        means = [float(np.mean(list(values[m].values()))) for m in FEED_METRICS]
        print(
            f"{name:32s} "
            + " ".join(f"{m} {v:.4f}" for m, v in zip(FEED_METRICS, means, strict=True))
        )
    tests = []
    for baseline in ("arxiv-sanity-lite", "zotero-arxiv-daily"):
        for metric in FEED_METRICS:
            first = [metrics["map + rocchio (chosen on fit)"][metric][r.author] for r in readers]
            second = [metrics[baseline][metric][r.author] for r in readers]
            difference = float(np.mean(first) - np.mean(second))
            tests.append((baseline, metric, difference, paired_randomization_test(first, second)))
    adjusted = holm_bonferroni([p for *_, p in tests])
    for (baseline, metric, difference, raw), holm in zip(tests, adjusted, strict=True):
        print(f"vs {baseline:20s} {metric:10s} {difference:+.4f} p {raw:.4f} Holm {holm:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--papers", type=Path, default=Path("../shared/data/arxiv-daily-cs/papers.jsonl.gz")
    )
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--epochs", type=int, nargs="*", default=[1, 3])
    parser.add_argument("--temperature", type=float, nargs="*", default=[0.05])
    parser.add_argument("--learning-rate", type=float, nargs="*", default=[1e-3])
    parser.add_argument("--skip-rocchio", action="store_true")
    parser.add_argument("--svm", action="store_true", help="paired tests against the SVM")
    parser.add_argument("--sanity-lexical", action="store_true")
    parser.add_argument("--per-paper", type=int, default=2, help="author pairs per paper")
    parser.add_argument(
        "--lexical-gamma", type=float, default=0.5, help="Rocchio's gamma beside the map"
    )
    parser.add_argument(
        "--held-out", action="store_true", help="one look at the held-out readers (see above)"
    )
    arguments = parser.parse_args()
    task = build_task(read_papers(arguments.papers), Protocol())
    vectors = cached_vectors(task.papers, OnnxMiniLMEmbedder(), recommend_cache_dir())
    inputs = FeedInputs(task, vectors, None)
    readers = task.held_out if arguments.held_out else task.fit
    profiles = reader_profiles(inputs, readers)
    window = list(task.candidates)
    candidates = vectors[window]
    texts = [task.papers[row].text for row in window]
    if arguments.svm:
        SVM.update(reader_metrics(svm_scores(inputs, readers), readers))
        svm_means = {m: float(np.mean(list(SVM[m].values()))) for m in FEED_METRICS}
        print(f"arxiv-sanity-lite SVM: {svm_means}", flush=True)
    started = time.perf_counter()
    dense_mean, dense_nearest = dense_raw(profiles, candidates)
    lexical_mean, lexical_nearest, lexical_background, lexical_window = lexical_raw(
        profiles, texts, [paper.text for paper in task.background]
    )
    dense_background = background_cosines(candidates, vectors[library_rows(task)])
    window_background = background_cosines(candidates, candidates)
    print(
        f"{len(readers)} {'held-out' if arguments.held_out else 'fit'} readers; "
        f"raw scores in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    base = [dense_mean, dense_nearest, lexical_mean, lexical_nearest]
    if arguments.held_out:
        settings = MapSettings(
            temperature=arguments.temperature[0],
            epochs=arguments.epochs[0],
            learning_rate=arguments.learning_rate[0],
        )
        weights, _ = train_map(vectors, author_pairs(task, per_paper=arguments.per_paper), settings)
        mapped_profiles = [
            ReaderProfile(p.key, mapped(p.positives, weights), p.positive_weights) for p in profiles
        ]
        md, mn = dense_raw(mapped_profiles, mapped(candidates, weights))
        lm = discriminative(lexical_mean, lexical_background, arguments.lexical_gamma)
        ours = mixed(components([md, mn, lm, lexical_nearest], len(readers)), CHOSEN_ON_FIT)
        shipped = mixed(components(base, len(readers)), PREVIOUS)
        held_out_look(inputs, readers, ours, shipped)
        return
    report(
        "shipped",
        base,
        readers,
        dense=FeedWeights(1, 2, 0, 0),
        mean=FeedWeights(1, 0, 0, 0),
        lexical=FeedWeights(0, 0, 1, 0),
    )
    if not arguments.skip_rocchio:
        for gamma in GAMMAS:
            dm = discriminative(dense_mean, dense_background, gamma)
            lm = discriminative(lexical_mean, lexical_background, gamma)
            dn = discriminative(dense_nearest, dense_background, gamma)
            ln = discriminative(lexical_nearest, lexical_background, gamma)
            dw = discriminative(dense_mean, window_background, gamma)
            means_only = {"means": FeedWeights(0.5, 0, 0.5, 0)}
            report(f"rocchio g={gamma} dense mean", [dm, *base[1:]], readers)
            report(f"rocchio g={gamma} lexical mean", [*base[:2], lm, base[3]], readers)
            report(
                f"rocchio g={gamma} both means", [dm, base[1], lm, base[3]], readers, **means_only
            )
            report(f"rocchio g={gamma} all four", [dm, dn, lm, ln], readers)
            lw = discriminative(lexical_mean, lexical_window, gamma)
            report(f"rocchio g={gamma} dense mean, window bg", [dw, *base[1:]], readers)
            report(f"rocchio g={gamma} both means, window bg", [dw, base[1], lw, base[3]], readers)
            report(
                f"rocchio g={gamma} dense alone",
                [dm, *base[1:]],
                readers,
                mean=FeedWeights(1, 0, 0, 0),
            )
            report(
                f"rocchio g={gamma} lexical alone",
                [*base[:2], lm, base[3]],
                readers,
                mean=FeedWeights(0, 0, 1, 0),
            )
        if arguments.grid:
            for gamma in GAMMAS:
                dm = discriminative(dense_mean, dense_background, gamma)
                lm = discriminative(lexical_mean, lexical_background, gamma)
                grid([dm, dense_nearest, lm, lexical_nearest], readers, f"rocchio g={gamma}")
    if arguments.sanity_lexical:
        sanity, sanity_background = sanity_rocchio(
            task, readers, [p.positive_weights for p in profiles]
        )
        for gamma in (0.0, *GAMMAS):
            shifted = discriminative(sanity, sanity_background, gamma)
            parts = [*base[:2], shifted, base[3]]
            report(
                f"sanity tf-idf rocchio g={gamma}", parts, readers, alone=FeedWeights(0, 0, 1, 0)
            )
            if arguments.grid:
                grid(parts, readers, f"sanity tf-idf rocchio g={gamma}")
    pairs = author_pairs(task, per_paper=arguments.per_paper)
    rocchio_lexical = discriminative(lexical_mean, lexical_background, arguments.lexical_gamma)
    if arguments.grid:
        grid([*base[:2], rocchio_lexical, base[3]], readers, "rocchio lexical only")
    print(f"{len(pairs)} author pairs from papers before {task.cutoff}")
    for epochs in arguments.epochs:
        for temperature in arguments.temperature:
            for rate in arguments.learning_rate:
                settings = MapSettings(temperature=temperature, epochs=epochs, learning_rate=rate)
                started = time.perf_counter()
                weights, losses = train_map(vectors, pairs, settings)
                seconds = time.perf_counter() - started
                losses_text = " ".join(f"{loss:.3f}" for loss in losses)
                print(
                    f"map e={epochs} t={temperature} lr={rate}: {seconds:.0f} s, {losses_text}",
                    flush=True,
                )
                mapped_profiles = [
                    ReaderProfile(p.key, mapped(p.positives, weights), p.positive_weights)
                    for p in profiles
                ]
                md, mn = dense_raw(mapped_profiles, mapped(candidates, weights))
                name = f"map e={epochs} t={temperature} lr={rate}"
                report(
                    name,
                    [md, mn, lexical_mean, lexical_nearest],
                    readers,
                    dense=FeedWeights(1, 2, 0, 0),
                    mean=FeedWeights(1, 0, 0, 0),
                )
                combined = [md, mn, rocchio_lexical, lexical_nearest]
                report(f"{name} + rocchio lexical", combined, readers)
                if arguments.grid:
                    grid([md, mn, lexical_mean, lexical_nearest], readers, name)
                    grid(combined, readers, f"{name} + rocchio lexical")


if __name__ == "__main__":
    main()
