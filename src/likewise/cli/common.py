"""What every CLI command shares: settings from the environment, an open Library, argument
types, and printing of errors, JSON and ranked hits."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from likewise.library import Library
from likewise.models import Hit
from likewise.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from rich.console import Console


def settings_from(arguments: argparse.Namespace) -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))
        raise  # unreachable: fail() exits


def open_library(arguments: argparse.Namespace) -> Library:
    return Library.open(settings_from(arguments))


def fail(message: str, code: int = 2) -> None:
    """Print a clear error (no stack trace) and exit non-zero."""
    print(f"likewise: error: {message}", file=sys.stderr)
    raise SystemExit(code)


Handler = Callable[[argparse.Namespace], int]


def guarded(handler: Handler, expected: tuple[type[Exception], ...]) -> Handler:
    """The handler with the expected failures turned into one clear line and exit code 2."""

    def run(arguments: argparse.Namespace) -> int:
        try:
            return handler(arguments)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): main() stops quietly, not an error
        except expected as error:
            fail(_one_line(error))
            return 2

    return run


def reader_gone() -> int:
    """Stop quietly once the reader of stdout has gone (`likewise show ID | head -2`), as Unix
    tools do: nothing more is written and the exit code is 141 (128 + SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the final flush at exit is silent
        os.close(devnull)
    except OSError:
        pass
    return 141


def _one_line(error: Exception) -> str:
    if isinstance(error, SQLAlchemyError):
        # The driver's own message, without SQLAlchemy's statement dump and background link.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"database error: {reason}"
    return str(error)


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (a --limit)."""
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def hit_json(hit: Hit) -> dict[str, Any]:
    """The fields every JSON line of ranked hits starts with; callers add their own."""
    return {
        "id": hit.arxiv_id,
        "title": hit.paper.title if hit.paper else "",
        "score": round(hit.score, 4),
    }


def print_hit_table(
    console: Console,
    title: str,
    hits: Sequence[Hit],
    columns: Sequence[str],
    cells: Callable[[Hit], Sequence[str]],
) -> None:
    """A table of ranked hits: rank, score, arXiv id and title, then the caller's columns."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("arXiv id")
    table.add_column("title")
    for column in columns:
        table.add_column(column)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            f"{hit.score:.2f}",
            hit.arxiv_id,
            hit.paper.title if hit.paper else "",
            *cells(hit),
        )
    console.print(table)
