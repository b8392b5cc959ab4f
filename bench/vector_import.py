"""Bring your own vectors against embedding here, in one run: `likewise ingest vectors` rate over
the SciFact corpus (shared sentence-transformers vectors) as a ratio of the configured embedder's
`likewise embed` rate, and how close those vectors are to the configured int8 ONNX model's.

    PYTHONPATH=src python bench/vector_import.py [--embed-sample 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPUS = DATA / "scifact" / "corpus.jsonl"
VECTORS = DATA / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy"


def scifact_papers() -> list[Paper]:
    """SciFact documents as papers with made-up new-style arXiv ids, in the vectors' row order."""
    papers = []
    with CORPUS.open(encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            record = json.loads(line)
            papers.append(
                Paper(
                    arxiv_id=f"2001.{row + 1:05d}",
                    title=record["title"],
                    abstract=" ".join(record["abstract_sentences"]),
                )
            )
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embed-sample", type=int, default=100, help="papers embedded here")
    arguments = parser.parse_args()
    papers = scifact_papers()
    matrix = np.load(VECTORS)
    with tempfile.TemporaryDirectory(prefix="likewise-byo-") as folder:
        home = Path(folder)
        # Baseline: the configured embedder on a sample, in its own catalog.
        settings = Settings(home=home / "embedded", embedder="minilm-int8")
        sample = papers[: arguments.embed_sample]
        with Library.open(settings) as library:
            library.store.upsert_papers(sample, source="bench")
            model_id = library.embedding.get().model_id
            library.embedding.get().embed_documents([sample[0].embedding_text()])  # warm
            started = time.perf_counter()
            library.vectors.update_vectors()
            embed_seconds = time.perf_counter() - started
            _, here = library.store.load_vectors(model_id)
        cosines = np.sum(here * matrix[: len(sample)].astype(np.float32), axis=1)

        # Imported: every SciFact vector, through the service `likewise ingest vectors` calls,
        # the model loaded beforehand as for the baseline.
        with Library.open(Settings(home=home / "imported", embedder="minilm-int8")) as library:
            library.store.upsert_papers(papers, source="bench")
            np.save(home / "vectors.npy", matrix)
            (home / "ids.txt").write_text("".join(f"{paper.arxiv_id}\n" for paper in papers))
            library.embedding.get()
            started = time.perf_counter()
            result = library.vector_import.import_files(
                home / "vectors.npy", home / "ids.txt", model_id
            )
            import_seconds = time.perf_counter() - started
    embed_rate = len(sample) / embed_seconds
    import_rate = len(papers) / import_seconds
    print(
        f"stored {result.stored:,} vectors of {model_id}, {result.rescaled} rescaled, "
        f"{result.left_to_embed} left to embed"
    )
    print(f"embedding here: {len(sample)} papers in {embed_seconds:.1f} s ({embed_rate:.1f}/s)")
    print(
        f"ingest vectors: {len(papers)} papers in {import_seconds:.2f} s ({import_rate:.0f}/s) "
        f"= {import_rate / embed_rate:.0f}x "
        "embedding's rate"
    )
    print(
        f"cosine(sentence-transformers fp32 vector, configured {model_id}) over "
        f"{len(sample)} papers: mean {cosines.mean():.4f}, min {cosines.min():.4f}"
    )


if __name__ == "__main__":
    main()
