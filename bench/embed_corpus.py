"""Embed the 74,728-paper arXiv corpus once with the int8 MiniLM model and cache the matrix.

Resumable: rows are embedded in fixed chunks saved as separate files, so a killed run resumes
at the first missing chunk. The finished cache is ~/.cache/likewise/arxiv-daily-cs.int8.npy
(float32, rows in file order) plus arxiv-daily-cs.int8.ids.txt (one arXiv id per line).

    nice -n 19 /tmp/venv/bin/python bench/embed_corpus.py [--threads 1] [--chunk 2000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "arxiv-daily-cs"
CACHE_DIR = Path.home() / ".cache" / "likewise"
MATRIX_PATH = CACHE_DIR / "arxiv-daily-cs.int8.npy"
IDS_PATH = CACHE_DIR / "arxiv-daily-cs.int8.ids.txt"
PARTS_DIR = CACHE_DIR / "arxiv-daily-cs.int8.parts"


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    """Ids and embedding texts (title + ". " + abstract) in file order."""
    ids: list[str] = []
    texts: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            ids.append(record["id"])
            texts.append(f"{record['title']}. {record['abstract']}")
    return ids, texts


def load_embedded(allow_partial: bool = True) -> tuple[list[str], npt.NDArray[np.float32]]:
    """The finished cache, or (when allowed) the chunks embedded so far, in file order."""
    if MATRIX_PATH.is_file() and IDS_PATH.is_file():
        ids = IDS_PATH.read_text(encoding="utf-8").split()
        return ids, np.load(MATRIX_PATH)
    if not allow_partial:
        raise FileNotFoundError(f"{MATRIX_PATH} does not exist yet; run bench/embed_corpus.py")
    all_ids = (PARTS_DIR / "ids.txt").read_text(encoding="utf-8").split()
    parts = sorted(PARTS_DIR.glob("part-*.npy"))
    blocks: list[npt.NDArray[np.float32]] = []
    for part in parts:
        # Only a contiguous prefix is usable: stop at the first gap.
        if int(part.stem.split("-")[1]) != sum(len(block) for block in blocks):
            break
        blocks.append(np.load(part))
    if not blocks:
        raise FileNotFoundError(f"no embedded chunks under {PARTS_DIR} yet")
    matrix = np.concatenate(blocks)
    return all_ids[: len(matrix)], matrix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    arguments = parser.parse_args()

    from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder

    if MATRIX_PATH.is_file():
        print(f"already complete: {MATRIX_PATH}")
        return 0
    ids, texts = read_corpus(CORPUS.resolve() / "papers.jsonl.gz")
    PARTS_DIR.mkdir(parents=True, exist_ok=True)
    embedder = OnnxMiniLMEmbedder(batch_size=arguments.batch, threads=arguments.threads)
    # Chunks from another model must not be mixed into one matrix: start over if it changed.
    model_file = PARTS_DIR / "model_id.txt"
    if not model_file.is_file() or model_file.read_text().strip() != embedder.model_id:
        for stale in PARTS_DIR.glob("part-*.npy"):
            stale.unlink()
        model_file.write_text(embedder.model_id + "\n", encoding="utf-8")
    (PARTS_DIR / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    started = time.perf_counter()
    done_now = 0
    for start in range(0, len(texts), arguments.chunk):
        part = PARTS_DIR / f"part-{start:06d}.npy"
        if part.is_file():
            continue
        vectors = embedder.embed_documents(texts[start : start + arguments.chunk])
        temporary = part.with_suffix(".tmp.npy")
        np.save(temporary, vectors.astype(np.float32))
        temporary.replace(part)
        done_now += len(vectors)
        elapsed = time.perf_counter() - started
        rate = done_now / elapsed
        remaining = len(texts) - start - len(vectors)
        print(
            f"{start + len(vectors)}/{len(texts)} rows, {rate:.1f} texts/s, "
            f"ETA {remaining / max(rate, 1e-9) / 60:.0f} min",
            flush=True,
        )
    loaded_ids, matrix = load_embedded()
    if len(matrix) != len(ids):
        print(f"only {len(matrix)} of {len(ids)} rows present", file=sys.stderr)
        return 1
    np.save(MATRIX_PATH, matrix)
    IDS_PATH.write_text("\n".join(loaded_ids) + "\n", encoding="utf-8")
    print(f"wrote {MATRIX_PATH} ({matrix.shape}) and {IDS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
