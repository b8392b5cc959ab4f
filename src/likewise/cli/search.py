"""CLI commands of the search area: `likewise search "QUERY"` with filters, table or JSON."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from likewise.cli.common import (
    fail,
    hit_json,
    open_library,
    positive_int,
    print_hit_table,
    print_json,
)
from likewise.models import Hit, SearchFilters
from likewise.rank.query import QueryError
from likewise.rank.search import METHODS, SearchResult


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from error


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "search",
        help="hybrid search of the catalog (keywords, a question, or a pasted abstract)",
        description="Rank the catalog's papers for free text. Scores are calibrated relevance "
        "probabilities; papers under the relevance threshold are not shown.",
    )
    parser.add_argument("query", metavar="QUERY", help="search text (at most 2,000 characters)")
    parser.add_argument("--limit", type=positive_int, default=10, help="hits to show (default 10)")
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
    parser.add_argument(
        "--below-cutoff",
        action="store_true",
        help="when nothing passes the relevance cut-off, list the closest papers anyway",
    )
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
            result = library.search.search(
                arguments.query,
                limit=arguments.limit,
                offset=arguments.offset,
                filters=filters,
                fusion=arguments.fusion,
            )
            if arguments.below_cutoff and result.no_good_matches:
                closest = library.search.search(
                    arguments.query,
                    limit=arguments.limit,
                    filters=filters,
                    fusion=arguments.fusion,
                    apply_cutoff=False,
                )
                print_closest(result, closest, arguments.json)
                return 0
        except QueryError as error:
            fail(str(error))
            return 2  # unreachable: fail() exits
    if arguments.json:
        for hit in result.hits:
            print_json(hit_record(hit))
        for notice in (result.coverage_notice, result.notice):
            if notice:
                print(notice, file=sys.stderr)
        return 0
    print_table(result)
    return 0


def hit_record(hit: Hit) -> dict[str, Any]:
    """One hit as --json prints it: the paper, its score, components, evidence, other records."""
    components = {name: round(v, 4) for name, v in hit.components.items()}
    evidence = [
        {"text": e.text, "start": e.start, "end": e.end, "score": e.score} for e in hit.evidence
    ]
    also_as = [{"arxiv_id": a.arxiv_id, "title": a.title} for a in hit.also_as]
    return {**hit_json(hit), "components": components, "evidence": evidence, "also_as": also_as}


def print_closest(result: SearchResult, closest: SearchResult, as_json: bool) -> None:
    """The closest papers after "no good matches": said first, every one under the cut-off."""
    from rich.console import Console

    if as_json:
        for hit in closest.hits:
            print_json({**hit_record(hit), "below_cutoff": True})
        if result.notice:
            print(result.notice, file=sys.stderr)
        return
    console = Console()
    console.print(no_good_matches_line(result))
    print_hit_table(
        console,
        f"the {len(closest.hits)} closest papers, each under the cut-off",
        closest.hits,
        ["date", "categories"],
        _date_and_categories,
    )


def no_good_matches_line(result: SearchResult) -> str:
    """ "No good matches for “q”: why." (said once: the notice starts with the same words)."""
    why = (result.notice or "").removeprefix("no good matches: ")
    return f"No good matches for “{result.query}”" + (f": {why}." if why else ".")


def print_table(result: SearchResult) -> None:
    from rich.console import Console

    console = Console()
    if result.coverage_notice:
        console.print(result.coverage_notice, style="bold", markup=False, highlight=False)
    if not result.hits:
        if result.no_good_matches:
            console.print(no_good_matches_line(result))
        else:
            console.print(f"No papers matched “{result.query}”.")
        return
    counted = f"{result.total} relevant" if result.calibrated else f"{result.total} results"
    print_hit_table(
        console,
        f"“{result.query}”: {counted}",
        result.hits,
        ["date", "categories"],
        _date_and_categories,
    )
    if result.notice:
        console.print(result.notice, style="dim")


def _date_and_categories(hit: Hit) -> list[str]:
    paper = hit.paper
    if paper is None:
        return ["", ""]
    day = paper.announced or (paper.submitted.date() if paper.submitted else None)
    return [day.isoformat() if day else "", " ".join(paper.categories[:3])]
