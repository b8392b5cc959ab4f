"""CLI commands of the index area: `likewise embed` (new or changed papers) and `reindex`."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from likewise.cli.common import guarded, open_library, print_json
from likewise.embed.onnx_minilm import EmbedderUnavailableError
from likewise.settings import SettingsError
from likewise.store.base import StoreError

_KINDS = {"ExactIndex": "exact", "UsearchIndex": "usearch", "PgvectorIndex": "pgvector"}


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Expected failures become one clear line and exit code 2."""
    expected = (EmbedderUnavailableError, StoreError, SettingsError, OSError, ValueError)
    return guarded(handler, expected)


def _embed(arguments: argparse.Namespace) -> int:
    if arguments.relabel:
        return _relabel(arguments)
    if arguments.sentences_only:
        return _backfill(arguments)
    with open_library(arguments) as library:
        started = time.perf_counter()
        embedded = library.vectors.update_vectors(progress=not arguments.json)
        seconds = time.perf_counter() - started
        indexed = len(library.vectors.vector_index())
        model_id = library.embedding.get().model_id
    if arguments.json:
        print_json(
            {"model": model_id, "embedded": embedded, "indexed": indexed, "seconds": seconds}
        )
    elif embedded:
        rate = embedded / seconds if seconds > 0 else 0.0
        print(
            f"embedded {embedded} new or changed papers in {seconds:.1f} s ({rate:.1f}/s) "
            f"with {model_id}; the index holds {indexed}"
        )
    else:
        print(f"nothing to embed: all {indexed} vectors of {model_id} are up to date")
    return 0


def _relabel(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        started = time.perf_counter()
        read, changed = library.sentences.relabel()
        seconds = time.perf_counter() - started
        model_id = library.embedding.get().model_id
    if arguments.json:
        print_json({"model": model_id, "papers": read, "relabelled": changed, "seconds": seconds})
    else:
        print(
            f"labelled the sentences of {read} papers again in {seconds:.1f} s: "
            f"{changed} changed ({model_id})"
        )
    return 0


def _backfill(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        started = time.perf_counter()
        filled = library.vectors.backfill_sentences(progress=not arguments.json)
        seconds = time.perf_counter() - started
        model_id = library.embedding.get().model_id
    if arguments.json:
        print_json({"model": model_id, "sentences_stored": filled, "seconds": seconds})
    elif filled:
        print(
            f"stored the sentences of {filled} papers embedded before sentences were kept, "
            f"in {seconds:.1f} s with {model_id}"
        )
    else:
        print(f"nothing to fill in: every embedded paper of {model_id} has its sentences")
    return 0


def _reindex(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        started = time.perf_counter()
        count = library.vectors.reindex()
        lexical = library.lexical.rebuild_lexical_index()
        seconds = time.perf_counter() - started
        index = library.vectors.vector_index()
        index_class = type(index).__name__
        # A usearch graph says itself whether it is compressed.
        kind = str(getattr(index, "kind", _KINDS.get(index_class, index_class)))
        model_id = library.embedding.get().model_id
    if arguments.json:
        print_json(
            {
                "model": model_id,
                "indexed": count,
                "index": kind,
                "lexical_indexed": lexical,
                "seconds": seconds,
            }
        )
    else:
        print(
            f"rebuilt the {kind} index of {model_id} over {count} vectors and the BM25 index "
            f"over {lexical} papers in {seconds:.1f} s"
        )
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    embed = commands.add_parser(
        "embed",
        help="embed papers that are new or changed since the last run (never the unchanged)",
        description="Embed title + abstract of every paper that has no vector for the "
        "configured model or whose text changed, and update the vector index.",
    )
    embed.add_argument("--json", action="store_true", help="print one JSON object, no bar")
    only = embed.add_mutually_exclusive_group()
    only.add_argument(
        "--sentences-only",
        action="store_true",
        help="only store the sentences of papers embedded before sentences were kept "
        "(their vectors stay as they are)",
    )
    only.add_argument(
        "--relabel",
        action="store_true",
        help="label the stored sentences again with the bundled facet classifier (after an "
        "upgrade changed it), from the stored vectors: nothing is embedded",
    )
    embed.set_defaults(handler=_guarded(_embed))
    reindex = commands.add_parser(
        "reindex",
        help="rebuild the vector and BM25 indexes from the catalog",
        description="Rebuild the vector index (exact or usearch, by catalog size) of the "
        "configured model from the vectors in the catalog (nothing is re-embedded), and the "
        "in-process BM25 index from the papers.",
    )
    reindex.add_argument("--json", action="store_true", help="print one JSON object")
    reindex.set_defaults(handler=_guarded(_reindex))
