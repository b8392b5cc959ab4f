"""CLI commands of the web area: `likewise serve`."""

from __future__ import annotations

import argparse
from typing import Any

from likewise.cli.common import settings_from


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    serve = commands.add_parser(
        "serve",
        help="serve the site (daily papers, trending, search, paper pages, API)",
        description="Serve the site and its JSON API over the catalog in LIKEWISE_HOME.",
    )
    serve.add_argument("--host", help="address to listen on (default: the host setting)")
    serve.add_argument("--port", type=int, help="port (default: the port setting)")
    serve.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default: the workers setting)"
    )
    serve.set_defaults(handler=_serve)


def _serve(arguments: argparse.Namespace) -> int:
    from likewise.cli.common import fail
    from likewise.web.server import serve

    if arguments.port is not None and not 0 <= arguments.port <= 65535:
        fail(f"--port must be between 0 and 65535, not {arguments.port}")
    if arguments.workers is not None and arguments.workers < 1:
        fail(f"--workers must be at least 1, not {arguments.workers}")
    serve(settings_from(arguments), arguments.host, arguments.port, arguments.workers)
    return 0
