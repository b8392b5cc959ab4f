"""Hubness of similar-papers over the arXiv corpus, before and after DBNorm.

For every paper, its top-10 most similar other papers (exact search); the k-occurrence
distribution N_10 (how many top-10 lists each paper appears in) is summarised by its skewness
and the share of papers in nobody's top-10. "after" ranks by cosine minus the DBNorm hub
penalty with the banks the Library uses (2,000-paper query bank, 4,000-paper gallery bank,
sampled from the catalog). Each figure is printed with its ratio after/before.

Vectors: bench/embed_corpus.py's cache (the part embedded so far if it has not finished;
the row count is printed). --collection csfcube|scifact uses the shared MiniLM vectors instead.

    nice -n 19 /tmp/venv/bin/python bench/hubness.py [--k 10] [--collection arxiv]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from embed_corpus import load_embedded
from likewise.rank.hubness import (
    DualBankNormaliser,
    HubnessSummary,
    HubPenaltyTable,
    k_occurrence,
    summarise_hubness,
    top_k_neighbours,
)

SHARED_VECTORS = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "embeddings-all-minilm-l6-v2"
)
QUERY_BANK_SIZE = 2_000
GALLERY_BANK_SIZE = 4_000


def load(collection: str) -> tuple[str, npt.NDArray[np.float32]]:
    if collection == "arxiv":
        ids, matrix = load_embedded(allow_partial=True)
        return f"arxiv-daily-cs, {len(ids):,} of 74,728 papers embedded", matrix
    matrix = np.load(SHARED_VECTORS / f"{collection}.f16.npy").astype(np.float32)
    return f"{collection} (shared MiniLM vectors), {len(matrix):,} papers", matrix


def measure(
    matrix: npt.NDArray[np.float32], k: int, penalties: npt.NDArray[np.float64] | None
) -> tuple[HubnessSummary, float]:
    started = time.perf_counter()
    neighbours = top_k_neighbours(matrix, k, penalties=penalties)
    elapsed = time.perf_counter() - started
    return summarise_hubness(k_occurrence(neighbours, len(matrix))), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--collection", choices=("arxiv", "csfcube", "scifact"), default="arxiv")
    parser.add_argument(
        "--betas",
        type=float,
        nargs=2,
        metavar=("QUERY_BANK", "GALLERY_BANK"),
        help="DBNorm inverse temperatures (default: DualBankNormaliser's)",
    )
    arguments = parser.parse_args()

    label, matrix = load(arguments.collection)
    normaliser = DualBankNormaliser(*arguments.betas) if arguments.betas else DualBankNormaliser()
    print(
        f"{label}; k = {arguments.k}; DBNorm inverse temperatures "
        f"{normaliser.query_inverse_temperature:.3f} / {normaliser.gallery_inverse_temperature}"
    )

    before, plain_seconds = measure(matrix, arguments.k, None)
    started = time.perf_counter()
    keys = np.arange(len(matrix), dtype=np.int64)
    table = HubPenaltyTable.sample(
        keys,
        matrix,
        normaliser,
        query_bank_size=QUERY_BANK_SIZE,
        gallery_bank_size=GALLERY_BANK_SIZE,
    )
    penalties = table.penalties(keys, matrix)
    penalty_seconds = time.perf_counter() - started
    after, _ = measure(matrix, arguments.k, penalties)

    print(f"{'':<34}{'before':>10}{'after':>10}{'after/before':>14}")
    rows = [
        (f"skewness of N_{arguments.k}", before.skewness, after.skewness),
        (f"share in nobody's top-{arguments.k}", before.orphan_share, after.orphan_share),
        ("largest hub (N_k)", float(before.largest), float(after.largest)),
    ]
    for name, old, new in rows:
        ratio = new / old if old else float("nan")
        print(f"{name:<34}{old:>10.3f}{new:>10.3f}{ratio:>13.3f}x")
    print(
        f"penalties for all papers: {penalty_seconds / plain_seconds:.2f}x the time of one "
        f"exact top-{arguments.k} pass over the corpus"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
