"""Regenerates the personal feed's shipped author-pair map (rank/map_data/<model id>.npy) from
pairs of arxiv-daily-cs papers sharing an author, both listed before the evaluation's cut-off
(never a window paper; the setting chosen on the fit readers, docs/recommend.md).

    PYTHONPATH=src nice -n 10 python bench/recommend_map_fit.py    # about 3 minutes, cached vectors
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from likewise.cli.evaluation_recommend import recommend_cache_dir
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.recommend_data import Protocol, build_task, cached_vectors, read_papers
from likewise.evaluate.recommend_pairs import author_pairs
from likewise.rank.personal_linear_map import SHIPPED_MAP, map_path, train_map

PER_PAPER = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--papers", type=Path, default=Path("../shared/data/arxiv-daily-cs/papers.jsonl.gz")
    )
    parser.add_argument("--out", type=Path, help="default: the bundled file of the model")
    arguments = parser.parse_args()
    embedder = OnnxMiniLMEmbedder()
    task = build_task(read_papers(arguments.papers), Protocol())
    vectors = cached_vectors(task.papers, embedder, recommend_cache_dir())
    pairs = author_pairs(task, per_paper=PER_PAPER)
    started = time.perf_counter()
    weights, losses = train_map(vectors, pairs, SHIPPED_MAP)
    seconds = time.perf_counter() - started
    out = arguments.out or map_path(embedder.model_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, weights.astype(np.float32))
    provenance = {
        "model_id": embedder.model_id,
        "pairs": len(pairs),
        "per_paper": PER_PAPER,
        "cutoff": task.cutoff,
        "settings": {
            "temperature": SHIPPED_MAP.temperature,
            "epochs": SHIPPED_MAP.epochs,
            "batch": SHIPPED_MAP.batch,
            "learning_rate": SHIPPED_MAP.learning_rate,
            "seed": SHIPPED_MAP.seed,
        },
        "epoch_losses": [round(loss, 4) for loss in losses],
    }
    out.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs, {seconds:.0f} s, losses {provenance['epoch_losses']}; {out}")


if __name__ == "__main__":
    main()
