"""CLI commands of the similar area: `likewise similar ARXIV_ID`, as a table or JSON lines."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from likewise.cli.common import (
    fail,
    hit_json,
    open_library,
    positive_int,
    print_hit_table,
    print_json,
)
from likewise.models import Hit
from likewise.rank.facets import FACETS
from likewise.services.facet_similar import FacetNeighbours
from likewise.services.similar import neighbours_notice
from likewise.store.base import UnknownPaperError


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
    parser.add_argument(
        "--limit", type=positive_int, default=10, help="papers to show (default 10)"
    )
    parser.add_argument(
        "--facet",
        choices=FACETS,
        help="similar in this facet only: the paper's sentences of the facet are matched "
        "against each candidate's sentences (each hit says which matched)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per paper")
    parser.set_defaults(handler=run_similar)


def run_similar(arguments: argparse.Namespace) -> int:
    if arguments.facet:
        return run_similar_by_facet(arguments)
    with open_library(arguments) as library:
        try:
            hits = library.similar.similar(arguments.arxiv_id, limit=arguments.limit)
        except UnknownPaperError as error:
            fail(str(error.args[0]) if error.args else "unknown paper")
            return 2  # unreachable: fail() exits
        notice = neighbours_notice(library.search.embedding_gap().notice, hits)
    if arguments.json:
        for hit in hits:
            print_json({**hit_json(hit), "reason": hit.reason})
        if notice:
            print(notice, file=sys.stderr)
        return 0
    print_table(arguments.arxiv_id, hits, notice)
    return 0


def print_table(query_id: str, hits: list[Hit], notice: str | None = None) -> None:
    from rich.console import Console

    console = Console()
    if notice:
        console.print(notice, style="bold", markup=False, highlight=False)
    if not hits:
        console.print(f"no similar papers for {query_id} (the catalog has no other papers)")
        return
    print_hit_table(
        console, f"Papers similar to {query_id}", hits, ["why"], lambda hit: [hit.reason or ""]
    )


def run_similar_by_facet(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        try:
            found = library.facet_similar.similar_by_facet(
                arguments.arxiv_id, arguments.facet, limit=arguments.limit
            )
        except UnknownPaperError as error:
            fail(str(error.args[0]) if error.args else "unknown paper")
            return 2  # unreachable: fail() exits
    if arguments.json:
        for entry in found.hits:
            matched = [
                {"query_sentence": m.query, "sentence": m.candidate, "similarity": m.similarity}
                for m in entry.matches
            ]
            print_json(
                {
                    **hit_json(entry.hit),
                    "facet": found.facet,
                    "facet_score": entry.hit.components.get("facet"),
                    "lexical_score": entry.hit.components.get("lexical"),
                    "reason": entry.hit.reason,
                    "matched": matched,
                }
            )
        if found.note:
            print(found.note, file=sys.stderr)
        return 0
    print_facet_table(arguments.arxiv_id, found)
    return 0


def print_facet_table(query_id: str, found: FacetNeighbours) -> None:
    from rich.console import Console

    console = Console()
    if found.note:
        console.print(found.note, style="bold", markup=False, highlight=False)
    if not found.hits:
        if not found.note:
            console.print(f"no papers similar to {query_id} by {found.facet}")
        return
    by_id = {entry.hit.arxiv_id: entry for entry in found.hits}

    def matched(hit: Hit) -> list[str]:
        entry = by_id[hit.arxiv_id]
        if not entry.matches:
            return ["(no stored sentences: by the paper vector)"]
        best = entry.matches[0]
        return [f"“{best.candidate}” ~ “{best.query}” ({best.similarity:.2f})"]

    print_hit_table(
        console,
        f"Papers similar to {query_id} by {found.facet}",
        [entry.hit for entry in found.hits],
        ["matched sentences (theirs ~ this paper's)"],
        matched,
    )
