"""Entry point of the `likewise` command: builds the parser from each area's module and runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from likewise import __version__
from likewise.cli import (
    catalog,
    digest,
    duplicates,
    evaluation,
    index,
    library_import,
    recommend,
    search,
    similar,
    store,
    topics,
    upgrade,
    web,
)
from likewise.cli.common import reader_gone


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="likewise",
        description="A self-hosted research-paper discovery engine.",
    )
    parser.add_argument("--version", action="version", version=f"likewise {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for area in (
        catalog,
        library_import,
        index,
        upgrade,
        search,
        similar,
        recommend,
        topics,
        duplicates,
        evaluation,
        web,
        digest,
        store,
    ):
        area.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler = arguments.handler
    try:
        code = int(handler(arguments))
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is noticed below
        return code
    except BrokenPipeError:
        return reader_gone()
    except KeyboardInterrupt:
        print("interrupted; everything committed so far is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
