"""CLI command of the near-duplicates area: `likewise duplicates update` checks every new or
changed paper (the backfill of a catalog ingested before detection existed), and
`likewise duplicates ID ...` prints each paper's other records (docs/near_duplicates.md)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from likewise.cli.common import fail, open_library, print_json


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "duplicates",
        help="near-duplicate records: check new papers, or show a paper's other records",
        description="`update` checks every paper that is new or changed since its last check "
        "(ingest does this itself; run it once on a catalog ingested before). With ids, "
        "print each paper's other records of the same work.",
    )
    parser.add_argument("arxiv_ids", metavar="ID", nargs="*", help="'update', or catalog papers")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=run_duplicates)


def run_duplicates(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        if arguments.arxiv_ids == ["update"]:
            summary = library.near_duplicates.update()
            if arguments.json:
                print_json(dataclasses.asdict(summary))
            else:
                print(f"checked {summary.checked} papers, {summary.pairs} near-duplicate pairs")
            return 0
        if not arguments.arxiv_ids:
            fail("name papers, or `update` to check new and changed papers")
        missing = [i for i in arguments.arxiv_ids if library.store.get_paper(i) is None]
        if missing:
            fail(f"no paper {missing[0]!r} in this catalog")
        groups = library.near_duplicates.also_as(arguments.arxiv_ids)
    for arxiv_id in arguments.arxiv_ids:
        others = groups.get(arxiv_id, [])
        if arguments.json:
            print_json({"arxiv_id": arxiv_id, "also_as": [dataclasses.asdict(o) for o in others]})
        else:
            shown = "; ".join(f"{o.arxiv_id} {o.title}" for o in others) or "(none)"
            print(f"{arxiv_id}  also as: {shown}")
    return 0
