"""CLI commands of the search area: `likewise search "QUERY"` with filters, table or JSON."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from likewise.cli.common import fail, open_library, print_json
from likewise.models import SearchFilters
from likewise.rank.query import QueryError
from likewise.rank.search import METHODS, SearchResult


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from error


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
        "search",
        help="hybrid search of the catalog (keywords, a question, or a pasted abstract)",
        description="Rank the catalog's papers for free text. Scores are calibrated relevance "
        "probabilities; papers under the relevance threshold are not shown.",
    )
    parser.add_argument("query", metavar="QUERY", help="search text (at most 2,000 characters)")
    parser.add_argument("--limit", type=_positive, default=10, help="hits to show (default 10)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many hits (paging)")
    parser.add_argument("--since", type=_day, help="announced (else submitted) on or after")
    parser.add_argument("--until", type=_day, help="announced (else submitted) on or before")
    parser.add_argument(
        "--category", action="append", default=[], help="arXiv category; repeat for any of several"
    )
    parser.add_argument(
        "--author", action="append", default=[], help="author name; repeat for any of several"
    )
    parser.add_argument("--fusion", choices=METHODS, help="override the fusion setting")
    parser.add_argument("--json", action="store_true", help="one JSON object per hit")
    parser.set_defaults(handler=run_search)


def run_search(arguments: argparse.Namespace) -> int:
    if arguments.since and arguments.until and arguments.since > arguments.until:
        fail("--since is after --until")
    filters = SearchFilters(
        since=arguments.since,
        until=arguments.until,
        categories=tuple(arguments.category),
        authors=tuple(arguments.author),
    )
    with open_library(arguments) as library:
        try:
            result = library.search(
                arguments.query,
                limit=arguments.limit,
                offset=arguments.offset,
                filters=filters,
                fusion=arguments.fusion,
            )
        except QueryError as error:
            fail(str(error))
            return 2  # unreachable: fail() exits
    if arguments.json:
        for hit in result.hits:
            print_json(
                {
                    "id": hit.arxiv_id,
                    "title": hit.paper.title if hit.paper else "",
                    "score": round(hit.score, 4),
                    "components": {name: round(v, 4) for name, v in hit.components.items()},
                }
            )
        if result.notice:
            print(result.notice, file=sys.stderr)
        return 0
    print_table(result)
    return 0


def print_table(result: SearchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not result.hits:
        if result.no_good_matches:
            console.print(f"No good matches for “{result.query}”. ({result.notice})")
        else:
            console.print(f"No papers matched “{result.query}”.")
        return
    counted = f"{result.total} relevant" if result.calibrated else f"{result.total} results"
    table = Table(title=f"“{result.query}”: {counted}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("arXiv id")
    table.add_column("title")
    table.add_column("date")
    table.add_column("categories")
    for rank, hit in enumerate(result.hits, start=1):
        paper = hit.paper
        day = None
        if paper is not None:
            day = paper.announced or (paper.submitted.date() if paper.submitted else None)
        table.add_row(
            str(rank),
            f"{hit.score:.2f}",
            hit.arxiv_id,
            paper.title if paper else "",
            day.isoformat() if day else "",
            " ".join(paper.categories[:3]) if paper else "",
        )
    console.print(table)
    if result.notice:
        console.print(result.notice, style="dim")
