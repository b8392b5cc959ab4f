"""`likewise ingest vectors`: store vectors embedded elsewhere (say, on a GPU) for the configured
model; a wrong shape, model id or unknown id is one clear line, exit code 2, and nothing stored."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from likewise.cli.common import guarded, open_library, print_json
from likewise.embed.onnx_minilm import EmbedderUnavailableError
from likewise.settings import SettingsError
from likewise.store.base import StoreError

# VectorImportError is a ValueError.
_EXPECTED = (
    EmbedderUnavailableError,
    StoreError,
    SettingsError,
    OSError,
    ValueError,
    SQLAlchemyError,
)


def _ingest_vectors(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        result = library.vector_import.import_files(
            Path(arguments.path), Path(arguments.ids), arguments.model_id
        )
    if arguments.json:
        print_json(
            {
                "model": result.model_id,
                "stored": result.stored,
                "rescaled": result.rescaled,
                "indexed": result.indexed,
                "left_to_embed": result.left_to_embed,
            }
        )
        return 0
    rescaled = f" ({result.rescaled:,} rescaled to unit length)" if result.rescaled else ""
    print(
        f"stored {result.stored:,} vectors of {result.model_id} for {result.stored:,} papers"
        f"{rescaled}; the index holds {result.indexed:,}; {result.left_to_embed:,} left to embed"
    )
    return 0


def register_ingest(kinds: argparse._SubParsersAction[Any]) -> None:
    """Add `vectors` to the sources of `likewise ingest`."""
    command = kinds.add_parser(
        "vectors",
        help="vectors embedded elsewhere: a .npy matrix and its arXiv ids",
        description="Store a float16/float32 .npy matrix (one row per paper, memory-mapped) "
        "as the configured model's vectors of the papers listed in --ids, one arXiv id per "
        "line in row order. Rows are L2-normalised on the way in. Everything is checked "
        "first (model id, shape, stored ids, NaN or zero rows): a problem stores nothing.",
    )
    command.add_argument("path", help="the .npy file")
    command.add_argument("--ids", required=True, help="text file: one arXiv id per row")
    command.add_argument(
        "--model-id", required=True, help="the model that made them (must be the configured one)"
    )
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(handler=guarded(_ingest_vectors, _EXPECTED))
