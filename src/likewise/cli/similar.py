"""CLI commands of the similar area: `likewise similar ARXIV_ID`, as a table or JSON lines."""

from __future__ import annotations

import argparse
from typing import Any

from likewise.cli.common import fail, open_library, print_json
from likewise.models import Hit
from likewise.store.base import UnknownPaperError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "similar",
        help="papers similar to a catalog paper",
        description="List the catalog papers most similar to a paper (itself and its other "
        "versions left out), hub-corrected unless LIKEWISE_HUBNESS_CORRECTION=false, each with "
        "the reason it was picked.",
    )
    parser.add_argument("arxiv_id", metavar="ARXIV_ID", help="arXiv id (a version suffix is ok)")
    parser.add_argument("--limit", type=_positive, default=10, help="papers to show (default 10)")
    parser.add_argument("--json", action="store_true", help="one JSON object per paper")
    parser.set_defaults(handler=run_similar)


def run_similar(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        try:
            hits = library.similar(arguments.arxiv_id, limit=arguments.limit)
        except UnknownPaperError as error:
            fail(str(error.args[0]) if error.args else "unknown paper")
            return 2  # unreachable: fail() exits
    if arguments.json:
        for hit in hits:
            print_json(
                {
                    "id": hit.arxiv_id,
                    "title": hit.paper.title if hit.paper else "",
                    "score": round(hit.score, 4),
                    "reason": hit.reason,
                }
            )
        return 0
    print_table(arguments.arxiv_id, hits)
    return 0


def print_table(query_id: str, hits: list[Hit]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not hits:
        console.print(f"no similar papers for {query_id} (the catalog has no other papers)")
        return
    table = Table(title=f"Papers similar to {query_id}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("arXiv id")
    table.add_column("title")
    table.add_column("why")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            f"{hit.score:.2f}",
            hit.arxiv_id,
            hit.paper.title if hit.paper else "",
            hit.reason or "",
        )
    console.print(table)
