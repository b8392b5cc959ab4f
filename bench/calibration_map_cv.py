"""Nested cross-validation, on the fit parts only, of the per-query-length Platt map of the
convex adapter (evaluate/length_map.py): out-of-fold ECE per source with and without the map,
for several length buckets, each also with the map's term coverage weights (rank/term_coverage.py),
and how many judged-0 arXiv pairs each shows above 50 %. Reads bench/calibration_judged.py's
retrieved.pkl (run `collect`).

    python bench/calibration_map_cv.py [--l2 1.0] [--edges 9,40 --edges 6,40 ...]
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration_judged import RETRIEVED, WEIGHTS
from likewise.evaluate.cutoff import judged_queries
from likewise.evaluate.length_map import fit_length_map, out_of_fold_logits
from likewise.rank.cosine_adapter import CosineAdapter, JudgedQuery, length_bucket
from likewise.rank.cosine_adapter_fit import fit_cosine_adapter

ALPHA = 0.7  # the convex weight tuned on scifact-fit


def _ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    index = np.minimum((p * bins).astype(int), bins - 1)
    inside = [index == b for b in range(bins)]
    return float(sum(m.sum() / p.size * abs(p[m].mean() - y[m].mean()) for m in inside if m.any()))


def _alternate(groups: list[str]) -> list[int]:
    """Folds alternating within each source, as the product's cross-validation makes them."""
    seen: dict[str, int] = {}
    folds = []
    for group in groups:
        folds.append(seen.get(group, 0) % 2)
        seen[group] = seen.get(group, 0) + 1
    return folds


def _logits(
    adapter: CosineAdapter, queries: list[tuple[JudgedQuery, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """(logit, label, words, source, term coverage) of the labelled pairs of these queries."""
    z, y, words, sources, coverage = [], [], [], [], []
    for query, source in queries:
        mask = query.label_mask()
        if not np.any(mask) or query.pairs is None:
            continue
        z.append(
            adapter.logits(query.query_vector, query.scores, query.dense_cosines, query.pairs)[mask]
        )
        y.append(query.relevant[mask].astype(np.float64))
        words.append(np.full(int(mask.sum()), query.pairs.words))
        sources += [source] * int(mask.sum())
        held = query.pairs.coverage
        coverage.append(np.full(int(mask.sum()), np.nan) if held is None else held[mask])
    return (
        np.concatenate(z),
        np.concatenate(y),
        np.concatenate(words),
        sources,
        np.concatenate(coverage),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--edges", action="append", default=[])
    arguments = parser.parse_args()
    edge_sets = [tuple(int(e) for e in text.split(",")) for text in arguments.edges or ["9,40"]]
    parts = pickle.loads(RETRIEVED.read_bytes())
    judged: list[JudgedQuery] = []
    folds: list[int] = []
    groups: list[str] = []
    for name, (fit_part, _) in parts.items():  # held-out parts are never read
        found = judged_queries(fit_part, "convex", ALPHA, WEIGHTS[name])
        judged += found
        folds += [i % 2 for i in range(len(found))]
        groups += [name] * len(found)

    def fit(train: list[JudgedQuery]) -> CosineAdapter:
        return fit_cosine_adapter(
            train,
            model_id="m",
            score_kind="convex",
            feature_set="embedding+length",
            l2=arguments.l2,
            score_source="cosine",
        )

    def folds_of(outer: int) -> list[int]:
        return [i for i, f in enumerate(folds) if f == outer]

    rows: dict[str, dict[str, list[np.ndarray]]] = {}
    for outer in (0, 1):
        train = [i for i, f in enumerate(folds) if f != outer]
        inner = out_of_fold_logits(
            [judged[i] for i in train],
            _alternate([groups[i] for i in train]),
            [groups[i] for i in train],
            fit,
        )
        adapter = fit([judged[i] for i in train])
        weight = np.concatenate(
            [np.full(int(judged[i].label_mask().sum()), judged[i].weight) for i in folds_of(outer)]
        )
        z, y, words, sources, coverage = _logits(
            adapter, [(judged[i], groups[i]) for i in folds_of(outer)]
        )
        variants = [("no map", (), False)]
        variants += [(f"map {e}", e, False) for e in edge_sets]
        variants += [(f"map {e} + coverage", e, True) for e in edge_sets]
        for label, edges, with_coverage in variants:
            mapped = z
            if edges:
                shares = inner[4] if with_coverage else None
                scale, shift, weight_of = fit_length_map(*inner[:4], edges, shares)
                bucket = np.array([length_bucket(edges, int(w)) for w in words])
                mapped = scale[bucket] * z + shift[bucket]
                if with_coverage:
                    mapped = mapped + weight_of[bucket] * coverage
            for source in set(sources):
                mine = np.asarray(sources) == source
                row = rows.setdefault(label, {}).setdefault(source, [])
                row.append(np.stack([1 / (1 + np.exp(-mapped[mine])), y[mine], weight[mine]]))
    for label, by_source in rows.items():
        pooled = {s: np.concatenate(v, axis=1) for s, v in sorted(by_source.items())}
        errors = {s: _ece(p, y) for s, (p, y, _) in pooled.items()}
        p, y, w = np.concatenate(list(pooled.values()), axis=1)
        p = np.clip(p, 1e-9, 1 - 1e-9)
        loss = float(-np.sum(w * np.where(y > 0, np.log(p), np.log(1 - p))) / np.sum(w))
        mean = float(np.mean(list(errors.values())))
        cells = " ".join(f"{s} {e:.3f}" for s, e in errors.items())
        arxiv_p, arxiv_y, _ = pooled["arxiv-judged"]
        shown = int(np.sum((arxiv_p > 0.5) & (arxiv_y == 0)))
        print(
            f"{label}: log loss {loss:.4f} + mean ECE {mean:.4f} = {loss + mean:.4f} | {cells}"
            f" | arXiv judged 0 above 50 %: {shown}"
        )


if __name__ == "__main__":
    main()
