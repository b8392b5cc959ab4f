"""CLI command of the topics area: `likewise topics [ARXIV_ID ...]`, the topic list or the
topics of catalog papers (docs/topics.md), as a table or JSON lines."""

from __future__ import annotations

import argparse
from typing import Any

from likewise.cli.common import fail, open_library, print_json


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "topics",
        help="the topic list, or the topics of catalog papers",
        description="Without ids, list every topic a paper can get; with ids, each paper's one "
        "to three topics, best first, chosen by similarity to the topic descriptions.",
    )
    parser.add_argument("arxiv_ids", metavar="ARXIV_ID", nargs="*", help="catalog papers")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=run_topics)


def run_topics(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        if not arguments.arxiv_ids:
            for topic in library.topics.topics:
                if arguments.json:
                    print_json(
                        {
                            "id": topic.id,
                            "label": topic.label,
                            "kind": topic.kind,
                            "description": topic.description,
                        }
                    )
                else:
                    print(f"{topic.id:<32} {topic.label}")
            return 0
        missing = [i for i in arguments.arxiv_ids if library.store.get_paper(i) is None]
        if missing:
            fail(f"no paper {missing[0]!r} in this catalog")
        found = library.topics.topics_for(arguments.arxiv_ids)
    for arxiv_id in arguments.arxiv_ids:
        topics = found.get(arxiv_id, [])
        if arguments.json:
            print_json({"arxiv_id": arxiv_id, "topics": [t.id for t in topics]})
        else:
            shown = ", ".join(f"{t.label} ({t.id})" for t in topics) or "(none: not embedded?)"
            print(f"{arxiv_id}  {shown}")
    return 0
