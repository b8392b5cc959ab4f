"""PCA against LeanVec's query-aware reduction (index/linear_reduction.py) on SciFact: the
inner-product loss and recall@10 after exact re-ranking, for search-box queries (claims) and
for papers as queries (similar papers), at several reduced dimensions.

No graph is involved: candidates are the exact top k * rerank factor in the reduced space,
re-ranked with the full vectors, so the figures isolate the reduction (the graph's own recall
is bench/scale.py's). The query-aware fit sees only the "fit" claims (60%); figures are on the
held-out 40%, against uncentred PCA fitted on the abstracts in the same run.

Abstract vectors: ../shared/data/embeddings-all-minilm-l6-v2/scifact.f16.npy. Claim vectors:
embedded once with the int8 ONNX MiniLM (809 short texts) into ~/.cache/likewise/eval.

    nice -n 10 .venv/bin/python bench/reduction.py [--dimensions 64,96,128,160]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.evaluate.collections import load_scifact, scifact_part
from likewise.evaluate.runs import embed_texts_cached, load_vector_file
from likewise.index.linear_reduction import (
    LinearReduction,
    blend_losses,
    fit_pca,
    inner_product_loss,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE_DIR = Path.home() / ".cache" / "likewise" / "eval"
K = 10

Matrix = npt.NDArray[np.float32]


def recall_after_rerank(
    reduction: LinearReduction, documents: Matrix, queries: Matrix, factor: int
) -> float:
    """Share of the exact top 10 found by re-ranking the reduced top 10 * factor."""
    exact = queries @ documents.T
    reduced = reduction.apply_query(queries) @ reduction.apply(documents).T
    hits = 0
    for row in range(len(queries)):
        truth = set(np.argpartition(-exact[row], K)[:K].tolist())
        candidates = np.argpartition(-reduced[row], K * factor)[: K * factor]
        chosen = candidates[np.argsort(-exact[row, candidates])[:K]]
        hits += len(truth & set(chosen.tolist()))
    return hits / (K * len(queries))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dimensions", default="64,96,128,160")
    parser.add_argument("--rerank-factors", default="1,4,8")
    arguments = parser.parse_args(argv)
    from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder

    collection = load_scifact(SHARED / "scifact")
    _, documents = load_vector_file(SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy")
    claim_ids = list(collection.queries)
    claims = embed_texts_cached(
        [collection.queries[claim] for claim in claim_ids],
        OnnxMiniLMEmbedder(threads=1),
        CACHE_DIR,
        "scifact-claims",
    )
    held_out = np.array([scifact_part(int(claim)) == "heldout" for claim in claim_ids])
    fit_claims, test_claims = claims[~held_out], claims[held_out]
    rng = np.random.default_rng(7)
    paper_rows = rng.choice(len(documents), 400, replace=False)
    paper_queries = documents[paper_rows]
    catalog = np.delete(documents, paper_rows, axis=0)
    factors = [int(item) for item in arguments.rerank_factors.split(",")]
    print(
        f"SciFact: {len(catalog):,} abstracts; claims {len(fit_claims)} to fit, "
        f"{len(test_claims)} held out; 400 held-out abstracts as paper queries"
    )
    header = "".join(f"{f'recall x{factor}':>13}" for factor in factors)
    print(f"{'dims':>5} {'reduction':<24}{'queries':<8}{'loss':>8}{header}")
    for dimensions in (int(item) for item in arguments.dimensions.split(",")):
        pca = fit_pca(catalog, dimensions)
        blends = blend_losses(catalog, fit_claims, dimensions)
        blend, _, aware = min(blends, key=lambda item: item[1])
        for name, reduction in (("PCA", pca), (f"query-aware (b={blend:.1f})", aware)):
            for label, queries in (("claims", test_claims), ("papers", paper_queries)):
                loss = inner_product_loss(reduction, catalog, queries)
                recalls = "".join(
                    f"{recall_after_rerank(reduction, catalog, queries, factor):>13.3f}"
                    for factor in factors
                )
                print(f"{dimensions:>5} {name:<24}{label:<8}{loss:>8.4f}{recalls}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
