"""Hits in ranking order or in order of their displayed probability? nDCG@10 of each query's
top 20 as the fused ranking orders them and re-sorted by the calibrated probability the page
shows (the bundled calibration, fit on the fit parts), on the fit and held-out SciFact claims
and judged arXiv queries, with a paired randomisation test.

    python bench/calibration_judged.py collect   # once: retrieves every source (cached)
    python bench/probability_order.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_judged import DATA, JUDGED, _parts


def main() -> None:
    from likewise.evaluate.collections import load_scifact, read_trec_qrels
    from likewise.evaluate.cutoff import judged_queries
    from likewise.evaluate.runs import doc_id_of, per_query_scores
    from likewise.evaluate.significance import paired_randomization_test
    from likewise.rank.cosine_adapter import BUNDLED_CALIBRATION, RelevanceCalibration
    from likewise.rank.search import SearchPlan, fuse_candidates

    calibration = RelevanceCalibration.load(BUNDLED_CALIBRATION)
    adapter = calibration.adapter_for("convex")
    if adapter is None:
        raise SystemExit("the bundled calibration has no convex adapter")
    scifact = {
        **load_scifact(DATA / "scifact", "fit").qrels,
        **load_scifact(DATA / "scifact", "heldout").qrels,
    }
    grades = {"scifact": scifact, "arxiv-judged": read_trec_qrels(JUDGED / "qrels.trec")}
    parts = _parts()
    rrf_k = SearchPlan(method="rrf").rrf_k
    print(f"{'source':14} {'part':9} {'queries':>7} {'fused':>7} {'by p':>7} {'diff':>8} {'p':>6}")
    for name, qrels_of in grades.items():
        for part, queries in zip(("fit", "held-out"), parts[name], strict=True):
            judged = [
                q
                for q in queries
                if any(grade > 0 for grade in qrels_of.get(q.query_id, {}).values())  # type: ignore[attr-defined]
            ]
            fused: dict[str, dict[str, float]] = {}
            by_probability: dict[str, dict[str, float]] = {}
            for query in judged:
                top = fuse_candidates(
                    "convex",
                    query.dense,
                    query.lexical,
                    calibration.convex_alpha,
                    rrf_k,  # type: ignore[attr-defined]
                )[:20]
                item = judged_queries([query], "convex", calibration.convex_alpha)[0]  # type: ignore[list-item]
                shown = adapter.probabilities(
                    item.query_vector, item.scores, item.dense_cosines, item.pairs
                )
                ids = [doc_id_of(doc) for doc, _ in top]
                key = query.query_id  # type: ignore[attr-defined]
                fused[key] = {doc: float(len(ids) - rank) for rank, doc in enumerate(ids)}
                order = np.argsort(-shown, kind="stable").tolist()
                by_probability[key] = {ids[row]: float(len(ids) - r) for r, row in enumerate(order)}
            qrels = {key: dict(qrels_of[key]) for key in fused}
            first = per_query_scores(qrels, fused, ["ndcg@10"])["ndcg@10"]
            second = per_query_scores(qrels, by_probability, ["ndcg@10"])["ndcg@10"]
            keys = sorted(first)
            a = np.array([first[k] for k in keys])
            b = np.array([second[k] for k in keys])
            p_value = paired_randomization_test(b, a)
            print(
                f"{name:14} {part:9} {len(keys):7} {a.mean():7.4f} {b.mean():7.4f} "
                f"{b.mean() - a.mean():+8.4f} {p_value:6.3f}"
            )


if __name__ == "__main__":
    main()
