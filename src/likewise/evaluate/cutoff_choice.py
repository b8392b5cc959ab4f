"""Choosing a Cosine Adapter by cross-validation on fit queries only: which features (query
features, score source, pair features) and how much L2, judged by held-out-fold log loss plus
the mean expected calibration error over the judged sources, so that no source is sacrificed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from likewise.evaluate.length_map import with_length_map
from likewise.evaluate.runs import EvaluationError
from likewise.rank.cosine_adapter import FEATURE_SETS, CosineAdapter, JudgedQuery
from likewise.rank.cosine_adapter_fit import fit_cosine_adapter

L2_STRENGTHS = (1e-2, 1e-1, 0.3, 1.0, 3.0, 10.0, 30.0)
ECE_BINS = 10
Variant = tuple[str, str, str]  # (query feature set, score source, pair feature set)


def adapter_variants(score_kind: str) -> list[Variant]:
    """The adapters cross-validation chooses among. Searches shown to people must mean the
    same in a catalog of 1,000 papers or 75,000, so their adapters may only use what does not
    depend on the rest of the catalog: the query (its vector and length) and the candidate's
    own cosine (and, for the default, its BM25 score, which its CV has not chosen); fused
    scores are normalised per query and the best cosines rise with catalog size. RRF and BM25
    alone read the cosine only (BM25 scores and their idf grow with the catalog). Dense alone,
    whose (a(q), b(q)) digests use directly, chooses among every query feature set."""
    if score_kind == "convex":
        return [("embedding+length", "cosine", "bm25"), ("embedding+length", "cosine", "")]
    if score_kind in ("rrf", "bm25"):
        return [("embedding+length", "cosine", "")]
    return [(fs, "method", "") for fs in FEATURE_SETS]


def _predictions(
    adapter: CosineAdapter, judged: Sequence[JudgedQuery]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probability, label, query weight) of every labelled pair."""
    ps, ys, ws = [], [], []
    for query in judged:
        mask = query.label_mask()
        if not np.any(mask):
            continue
        p = adapter.probabilities(
            query.query_vector, query.scores, query.dense_cosines, query.pairs
        )
        ps.append(p[mask])
        ys.append(query.relevant[mask])
        ws.append(np.full(int(mask.sum()), query.weight))
    if not ps:
        return np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0)
    return np.concatenate(ps), np.concatenate(ys), np.concatenate(ws)


def log_loss(adapter: CosineAdapter, judged: Sequence[JudgedQuery]) -> float:
    """Query-weighted mean binary cross-entropy over the labelled pairs."""
    p, y, w = _predictions(adapter, judged)
    if p.size == 0:
        return 0.0
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.sum(w * np.where(y, np.log(p), np.log(1 - p))) / np.sum(w))


def expected_calibration_error(adapter: CosineAdapter, judged: Sequence[JudgedQuery]) -> float:
    """ECE over ten equal-width bins of the labelled pairs (unweighted, as reported)."""
    p, y, _ = _predictions(adapter, judged)
    if p.size == 0:
        return 0.0
    index = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    error = 0.0
    for b in range(ECE_BINS):
        inside = index == b
        if np.any(inside):
            error += inside.sum() / p.size * abs(float(p[inside].mean()) - float(y[inside].mean()))
    return error


def _fit_variant(
    judged: Sequence[JudgedQuery], model_id: str, score_kind: str, variant: Variant, l2: float
) -> CosineAdapter:
    feature_set, score_source, pair_set = variant
    return fit_cosine_adapter(
        judged,
        model_id=model_id,
        score_kind=score_kind,
        feature_set=feature_set,
        l2=l2,
        score_source=score_source,
        pair_set=pair_set,
    )


def _criterion(
    adapter: CosineAdapter, test: Sequence[JudgedQuery], groups: Sequence[str]
) -> tuple[float, float]:
    """(log loss, mean ECE over the sources) on one held-out fold."""
    by_group: dict[str, list[JudgedQuery]] = {}
    for query, group in zip(test, groups, strict=True):
        by_group.setdefault(group, []).append(query)
    errors = [expected_calibration_error(adapter, queries) for queries in by_group.values()]
    return log_loss(adapter, test), float(np.mean(errors)) if errors else 0.0


def choose_and_fit_adapter(
    judged: Sequence[JudgedQuery],
    *,
    model_id: str,
    score_kind: str,
    fold_of: Sequence[int] | None = None,
    group_of: Sequence[str] | None = None,
    length_map: tuple[int, ...] = (),
    coverage: bool = False,
) -> tuple[CosineAdapter, str]:
    """Pick features and L2 strength by 2-fold cross-validation, then fit on all. The choice
    minimises held-out-fold log loss plus the mean ECE over the sources (`group_of` names each
    query's source; default one source). `fold_of` gives each query's fold (0 or 1; default:
    alternate positions). BM25 alone retrieves no dense cosines, so its features cannot use
    them. With `length_map` edges, the chosen adapter also gets a per-length Platt map of its
    logit fit on the out-of-fold logits of the same folds (evaluate/length_map.py), with a term
    coverage weight per bucket when `coverage`."""
    folds_of = list(fold_of) if fold_of is not None else [i % 2 for i in range(len(judged))]
    groups_of = list(group_of) if group_of is not None else ["all"] * len(judged)
    halves = [
        [(q, g) for q, g, fold in zip(judged, groups_of, folds_of, strict=True) if fold == f]
        for f in (0, 1)
    ]
    best: tuple[float, Variant, float, float, float] | None = None
    for variant in adapter_variants(score_kind):
        for l2 in L2_STRENGTHS:
            loss = calibration = 0.0
            for train, test in ((halves[0], halves[1]), (halves[1], halves[0])):
                try:
                    adapter = _fit_variant([q for q, _ in train], model_id, score_kind, variant, l2)
                except ValueError:  # a fold with one class only cannot be fit
                    loss = float("inf")
                    break
                fold_loss, fold_ece = _criterion(
                    adapter, [q for q, _ in test], [g for _, g in test]
                )
                loss += fold_loss / 2
                calibration += fold_ece / 2
            if best is None or loss + calibration < best[0]:
                best = (loss + calibration, variant, l2, loss, calibration)
    assert best is not None
    _, variant, l2, loss, calibration = best
    try:
        adapter = _fit_variant(judged, model_id, score_kind, variant, l2)
    except ValueError as error:
        raise EvaluationError(f"cannot fit the {score_kind} cut-off: {error}") from error
    feature_set, score_source, pair_set = variant
    extra = ""
    if length_map:
        adapter = with_length_map(
            adapter,
            judged,
            folds_of,
            groups_of,
            lambda train: _fit_variant(train, model_id, score_kind, variant, l2),
            length_map,
            coverage,
        )
        extra = f", length map over {length_map} words (out-of-fold, sources equal)"
        extra += " with term coverage" if coverage else ""
    described = feature_set if score_source == "method" else f"{feature_set}, cosine scores"
    if pair_set:
        described += f", pair features {pair_set}"
    return adapter, (
        f"{described}, l2={l2}, cv log loss {loss:.4f}, cv mean ECE over sources {calibration:.4f}"
        f"{extra}"
    )
