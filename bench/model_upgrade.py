"""Model upgrade on SciFact: nDCG@10 of the old model on its own index (old/old), the new model
on its own (new/new), and new-model queries carried by the orthogonal map into the old index
(mapped/old, what `likewise upgrade-model` serves while it re-embeds), each against old/old.

Old model: the product's int8 MiniLM for the claims; the old index is the shared MiniLM
abstract vectors (../shared/data/embeddings-all-minilm-l6-v2/, float MiniLM; their agreement
with the int8 model is measured on a sample and printed). New model: the static model of the
`tokenlearn-static-model` wheel (embed/static_model.py), which embeds all 5,183 abstracts in
seconds. The map is fitted as services/model_upgrade.py fits it: on a random sample of the
catalog's abstracts (both models' vectors of the same texts), never on claims. The one
choice (centring, sample size) is made on the "fit" claims; figures are on the held-out ones.

    nice -n 10 .venv/bin/python bench/model_upgrade.py [--samples 500,1000,2000,5183]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.evaluate.collections import RetrievalCollection, load_scifact, scifact_part
from likewise.evaluate.runs import (
    Run,
    embed_texts_cached,
    load_vector_file,
    mean_scores,
    per_query_scores,
)
from likewise.index.orthogonal_map import OrthogonalMap, fit_orthogonal_map, mean_alignment

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE_DIR = Path.home() / ".cache" / "likewise" / "eval"
AGREEMENT_SAMPLE = 200  # abstracts embedded with the int8 model to check the shared vectors
DEPTH = 100

Matrix = npt.NDArray[np.float32]


def dense_run(
    queries: Matrix, query_ids: Sequence[str], documents: Matrix, doc_ids: list[str]
) -> Run:
    """Each query's top DEPTH documents by inner product (exact search)."""
    scores = queries @ documents.T
    run: Run = {}
    for row, query_id in enumerate(query_ids):
        top = np.argpartition(-scores[row], DEPTH)[:DEPTH]
        top = top[np.argsort(-scores[row, top])]
        run[query_id] = {doc_ids[int(col)]: float(scores[row, col]) for col in top}
    return run


def ndcg(collection: RetrievalCollection, query_ids: Sequence[str], run: Run) -> float:
    qrels = {query: collection.qrels[query] for query in query_ids}
    return mean_scores(per_query_scores(qrels, run, ["ndcg@10"]))["ndcg@10"]


def fit_sampled(new: Matrix, old: Matrix, size: int, centre: bool, seed: int) -> OrthogonalMap:
    rows = np.random.default_rng(seed).choice(len(new), size=min(size, len(new)), replace=False)
    return fit_orthogonal_map(new[rows], old[rows], centre=centre)


def fit_least_squares(new: Matrix, old: Matrix, size: int, ridge: float, seed: int) -> Matrix:
    """The unconstrained linear map (ridge regression), for comparison: not what is served."""
    rows = np.random.default_rng(seed).choice(len(new), size=min(size, len(new)), replace=False)
    left, right = new[rows].astype(np.float64), old[rows].astype(np.float64)
    gram = left.T @ left + ridge * len(rows) * np.eye(left.shape[1])
    matrix: Matrix = np.linalg.solve(gram, left.T @ right).astype(np.float32)
    return matrix


def unit(rows: Matrix) -> Matrix:
    normalised: Matrix = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return normalised


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="500,1000,2000,5183")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
    from likewise.embed.static_model import StaticModelEmbedder

    collection = load_scifact(SHARED / "scifact")
    ids, shared = load_vector_file(SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy")
    row_of = {doc_id: row for row, doc_id in enumerate(ids)}
    doc_ids = [document.doc_id for document in collection.documents]
    old_documents = shared[[row_of[doc_id] for doc_id in doc_ids]]
    texts = [document.text for document in collection.documents]
    claim_ids = list(collection.queries)
    claims = [collection.queries[claim] for claim in claim_ids]

    old_model = OnnxMiniLMEmbedder(threads=1)
    old_claims = embed_texts_cached(claims, old_model, CACHE_DIR, "scifact-claims")
    check_rows = np.random.default_rng(1).choice(len(texts), AGREEMENT_SAMPLE, replace=False)
    check = embed_texts_cached(
        [texts[row] for row in check_rows], old_model, CACHE_DIR, "scifact-agreement"
    )
    agreement = np.sum(check * old_documents[check_rows], axis=1)

    new_model = StaticModelEmbedder()
    began = time.perf_counter()
    new_documents = new_model.embed_documents(texts)
    new_seconds = time.perf_counter() - began
    new_claims = new_model.embed_documents(claims)

    fit_ids = [claim for claim in claim_ids if scifact_part(int(claim)) == "fit"]
    held_ids = [claim for claim in claim_ids if scifact_part(int(claim)) == "heldout"]
    position = {claim: row for row, claim in enumerate(claim_ids)}

    def score(queries: Matrix, documents: Matrix, part: list[str]) -> float:
        rows = [position[claim] for claim in part]
        return ndcg(collection, part, dense_run(queries[rows], part, documents, doc_ids))

    print(
        f"SciFact: {len(texts):,} abstracts, claims {len(fit_ids)} fit / {len(held_ids)} "
        f"held out. Old: {old_model.model_id}; new: {new_model.model_id} "
        f"({len(texts) / new_seconds:,.0f} abstracts/s)"
    )
    print(
        f"shared MiniLM vectors vs the int8 product model on {AGREEMENT_SAMPLE} abstracts: "
        f"mean cosine {agreement.mean():.4f} (min {agreement.min():.4f})"
    )

    # The choice, on the fit claims only: centring and the sample size.
    samples = [int(item) for item in arguments.samples.split(",")]
    print(
        f"\nmap choice on the fit claims (old/old {score(old_claims, old_documents, fit_ids):.4f})"
    )
    print(f"{'sample':>7} {'centred':>8} {'alignment':>10} {'nDCG@10':>8}")
    choices = []
    for size in samples:
        for centre in (False, True):
            mapping = fit_sampled(new_documents, old_documents, size, centre, arguments.seed)
            fit_score = score(mapping.apply(new_claims), old_documents, fit_ids)
            aligned = mean_alignment(mapping, new_documents, old_documents)
            print(f"{min(size, len(texts)):>7} {centre!s:>8} {aligned:>10.4f} {fit_score:>8.4f}")
            choices.append((fit_score, size, centre))
    _, size, centre = max(choices)
    chosen = fit_sampled(new_documents, old_documents, size, centre, arguments.seed)
    default = fit_sampled(new_documents, old_documents, 2_000, False, arguments.seed)

    # For comparison only: an unconstrained linear map (ridge chosen on the fit claims), and
    # the other direction, the old index carried into the new space (the orthogonal map's
    # transpose) and searched with the new model's own queries.
    ridges = [
        (
            score(
                unit(
                    new_claims
                    @ fit_least_squares(
                        new_documents, old_documents, len(texts), ridge, arguments.seed
                    )
                ),
                old_documents,
                fit_ids,
            ),
            ridge,
        )
        for ridge in (0.0, 1e-3, 1e-2, 1e-1)
    ]
    _, ridge = max(ridges)
    linear = fit_least_squares(new_documents, old_documents, len(texts), ridge, arguments.seed)
    reverse = unit(old_documents @ default.matrix.T)

    base = score(old_claims, old_documents, held_ids)
    rows = [
        ("old/old (MiniLM int8 queries, MiniLM index)", base),
        ("new/new (static queries, static index)", score(new_claims, new_documents, held_ids)),
        (
            "mapped/old, as served (sample 2000, not centred)",
            score(default.apply(new_claims), old_documents, held_ids),
        ),
        (
            f"mapped/old, chosen on fit claims (sample {min(size, len(texts))}, centred {centre})",
            score(chosen.apply(new_claims), old_documents, held_ids),
        ),
        (
            f"(not served) least-squares map, ridge {ridge:g}, all abstracts",
            score(unit(new_claims @ linear), old_documents, held_ids),
        ),
        (
            "(not served) static queries, old index mapped into the static space",
            score(new_claims, reverse, held_ids),
        ),
    ]
    print(f"\nheld-out claims ({len(held_ids)}): nDCG@10, against old/old in this run")
    print(f"{'configuration':<72}{'nDCG@10':>8}{'ratio':>8}{'diff':>9}")
    for name, value in rows:
        print(f"{name:<72}{value:>8.4f}{value / base:>8.3f}{value - base:>+9.4f}")
    gap = base - rows[2][1]
    verdict = "met" if gap <= 0.01 else "NOT met"
    print(f"goal (mapped within 0.01 of old/old): {verdict} (gap {gap:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
