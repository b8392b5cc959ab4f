"""CLI commands of model upgrades: `likewise upgrade-model NEW` (fit the map, serve mapped
queries, re-embed with progress, switch), `--status`, `--cancel`, and `prune-vectors`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from likewise.cli.common import guarded, open_library, positive_int, print_json
from likewise.embed.factory import EMBEDDER_NAMES
from likewise.embed.onnx_minilm import EmbedderUnavailableError
from likewise.library import Library
from likewise.services.model_upgrade import DEFAULT_SAMPLE, UpgradeError, UpgradeStatus
from likewise.settings import SettingsError
from likewise.store.base import StoreError


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    expected = (UpgradeError, EmbedderUnavailableError, StoreError, SettingsError, OSError)
    return guarded(handler, expected)


def _status_json(status: UpgradeStatus) -> dict[str, Any]:
    upgrade = status.upgrade
    value: dict[str, Any] = {
        "serving": {"embedder": status.serving_embedder, "model": status.serving_model_id},
        "papers": status.total,
        "vectors": status.vector_counts,
        "upgrade": None,
    }
    if upgrade is not None:
        value["upgrade"] = {
            "id": upgrade.id,
            "state": upgrade.state,
            "from": {"embedder": upgrade.old_embedder, "model": upgrade.old_model_id},
            "to": {"embedder": upgrade.new_embedder, "model": upgrade.new_model_id},
            "embedded": status.embedded,
            "sample": upgrade.sample_size,
            "alignment": round(upgrade.alignment, 4),
            "started_at": upgrade.started_at.isoformat(),
            "finished_at": upgrade.finished_at.isoformat() if upgrade.finished_at else None,
            "worker": upgrade.worker if status.worker_alive else None,
        }
    return value


def _print_status(status: UpgradeStatus) -> None:
    upgrade = status.upgrade
    print(f"serving model: {status.serving_embedder} ({status.serving_model_id})")
    if upgrade is None:
        print("no model upgrade has been run on this catalog")
    elif status.running:
        share = status.embedded / status.total if status.total else 1.0
        who = (
            f"re-embedding in {upgrade.worker}"
            if status.worker_alive
            else (
                f"no process is re-embedding: run `likewise upgrade-model {upgrade.new_embedder}` "
                "to continue"
            )
        )
        print(
            f"upgrade to {upgrade.new_embedder} running since {upgrade.started_at:%Y-%m-%d %H:%M}:"
            f" {status.embedded} of {status.total} papers embedded ({share:.0%}); {who}"
        )
        print(
            f"queries are embedded with {upgrade.new_embedder} and mapped into the "
            f"{upgrade.old_embedder} index (map fit on {upgrade.sample_size} papers, held-out "
            f"alignment {upgrade.alignment:.3f})"
        )
    else:
        print(
            f"last upgrade: {upgrade.old_embedder} -> {upgrade.new_embedder}, {upgrade.state}"
            + (f" {upgrade.finished_at:%Y-%m-%d %H:%M}" if upgrade.finished_at else "")
        )
    for model, count in sorted(status.vector_counts.items()):
        print(f"  stored vectors of {model}: {count}")


def _progress_bar(enabled: bool) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A rich bar (papers, rate, ETA) on stderr, or nothing."""
    if not enabled:
        return (lambda done, total: None), (lambda: None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("re-embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
    )
    task = bar.add_task("re-embedding", total=None)
    bar.start()

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return advance, bar.stop


def _upgrade(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        service = library.model_upgrade
        if arguments.status:
            return _report(service.status(), arguments.json)
        if arguments.cancel:
            cancelled = service.cancel()
            if arguments.json:
                print_json({"cancelled": cancelled.id, "to": cancelled.new_embedder})
            else:
                print(
                    f"cancelled the upgrade to {cancelled.new_embedder}; queries use "
                    f"{cancelled.old_embedder} again"
                )
            return 0
        if arguments.new is None:
            raise UpgradeError("name the new model (one of: " + ", ".join(EMBEDDER_NAMES) + ")")
        return _run_upgrade(library, arguments)


def _run_upgrade(library: Library, arguments: argparse.Namespace) -> int:
    service = library.model_upgrade
    held = service.repository.running()
    upgrade = service.start(arguments.new, sample=arguments.sample)
    if arguments.json:
        pass
    elif held is not None and held.id == upgrade.id:
        status = service.status()
        print(
            f"resuming the upgrade {upgrade.old_embedder} -> {upgrade.new_embedder}: "
            f"{status.embedded} of {status.total} papers embedded; searches use the new model "
            "through the map until the switch"
        )
    else:
        print(
            f"upgrading {upgrade.old_embedder} -> {upgrade.new_embedder}: map fit on "
            f"{upgrade.sample_size} papers (held-out alignment {upgrade.alignment:.3f}); "
            "searches now use the new model through the map"
        )
    advance, stop = _progress_bar(not arguments.json)
    try:
        switched = service.run(advance)
    finally:
        stop()
    status = service.status()
    if arguments.json:
        print_json(_status_json(status))
    else:
        print(
            f"switched to {switched.new_embedder}: all {status.total} papers embedded, its index "
            f"is built; the {switched.old_model_id} vectors are kept until "
            f"`likewise prune-vectors {switched.old_model_id}`"
        )
    return 0


def _report(status: UpgradeStatus, as_json: bool) -> int:
    if as_json:
        print_json(_status_json(status))
    else:
        _print_status(status)
    return 0


def _prune(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        deleted = library.model_upgrade.prune_vectors(arguments.model)
    if arguments.json:
        print_json({"model": arguments.model, "deleted": deleted})
    else:
        print(f"deleted {deleted} stored vectors of {arguments.model} and its index files")
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    upgrade = commands.add_parser(
        "upgrade-model",
        help="change the embedding model without a search outage (mapped queries meanwhile)",
        description="Fit an orthogonal map from NEW's space to the serving model's on a sample "
        "of the catalog, serve queries embedded with NEW through the map against the current "
        "index, re-embed the catalog with NEW (resumable: run the same command again), then "
        "switch to NEW. Old vectors are kept until `likewise prune-vectors`.",
    )
    upgrade.add_argument("new", nargs="?", metavar="NEW", help=", ".join(EMBEDDER_NAMES))
    upgrade.add_argument(
        "--sample",
        type=positive_int,
        default=DEFAULT_SAMPLE,
        help=f"papers to fit the map on (default {DEFAULT_SAMPLE})",
    )
    upgrade.add_argument("--status", action="store_true", help="show the upgrade's progress")
    upgrade.add_argument("--cancel", action="store_true", help="stop the running upgrade")
    upgrade.add_argument("--json", action="store_true", help="print one JSON object, no bar")
    upgrade.set_defaults(handler=_guarded(_upgrade))
    prune = commands.add_parser(
        "prune-vectors",
        help="delete the stored vectors of a model the catalog no longer serves",
        description="Delete every stored vector of MODEL (a model id, as `likewise "
        "upgrade-model --status` lists them) and its index files.",
    )
    prune.add_argument("model", metavar="MODEL")
    prune.add_argument("--json", action="store_true", help="print one JSON object")
    prune.set_defaults(handler=_guarded(_prune))
