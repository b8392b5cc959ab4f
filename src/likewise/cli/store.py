"""CLI commands of the store area: `likewise migrate-store --to postgresql://...`.

Exit codes: 0 copied and verified, 2 nothing was copied (the message says why).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from likewise.cli.common import fail, print_json, settings_from
from likewise.store.base import StoreError
from likewise.store.copy import CopyReport, copy_catalog


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    parser = commands.add_parser(
        "migrate-store",
        help="copy the SQLite catalog to PostgreSQL and verify every table",
        description=(
            "Copy every table of a SQLite catalog (papers, versions, announcements, sync "
            "state, vectors, accounts, digests) into an empty PostgreSQL database with "
            "pgvector, verify row counts and checksums per table, and build the pgvector "
            "index. One transaction: on any failure the target keeps no copied rows. "
            "Afterwards set LIKEWISE_DATABASE_URL to the target."
        ),
    )
    parser.add_argument("--to", required=True, metavar="URL", help="postgresql://... target")
    parser.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="source catalog (default: the SQLite catalog under LIKEWISE_HOME)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=migrate_store)


def _source_url(arguments: argparse.Namespace) -> str:
    if arguments.source:
        return str(arguments.source)
    settings = settings_from(arguments)
    if settings.uses_postgres:
        # The configured catalog is already PostgreSQL: the SQLite one is the default file.
        return f"sqlite:///{settings.home / 'likewise.db'}"
    return settings.resolved_database_url


def migrate_store(arguments: argparse.Namespace) -> int:
    target = str(arguments.to)
    try:
        scheme = make_url(target).drivername
    except ArgumentError:
        fail(f"--to {target!r} is not a database URL (expected postgresql://...)")
        return 2
    if not scheme.startswith(("postgresql", "postgres")):
        fail(f"--to must be a postgresql:// URL, not {scheme}://")
    source = _source_url(arguments)
    shown = make_url(target).render_as_string(hide_password=True)
    progress = _Progress(enabled=not arguments.json and sys.stderr.isatty())
    try:
        report = copy_catalog(source, target, progress=progress)
    except StoreError as error:
        progress.close()
        fail(str(error))
        return 2
    progress.close()
    if arguments.json:
        print_json(
            {
                "target": shown,
                "tables": {
                    table.name: {"rows": table.rows, "checksum": table.checksum}
                    for table in report.tables
                },
                "skipped": report.skipped,
                "vectors_indexed": report.vector_models,
                "already_copied": report.already_copied,
            }
        )
    else:
        _print_report(report, shown)
    return 0


def _print_report(report: CopyReport, target: str) -> None:
    if report.already_copied:
        print(f"copied to {target} by an earlier run; every table verified again:")
    else:
        print(f"copied to {target}; every table verified (row count and checksum):")
    for table in report.tables:
        print(f"  {table.name:24} {table.rows:>10,} rows  checksum {table.checksum}")
    for model, count in report.vector_models.items():
        print(f"  pgvector index for {model}: {count:,} vectors")
    if report.skipped:
        print(f"  not copied (SQLite only, rebuilt by PostgreSQL): {', '.join(report.skipped)}")
    print("next: set LIKEWISE_DATABASE_URL to the target and run likewise as before")


class _Progress:
    """One rich progress bar per table, on a terminal only."""

    def __init__(self, *, enabled: bool) -> None:
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()

    def __call__(self, table: str, done: int, total: int) -> None:
        if self._bar is None:
            return
        if table not in self._tasks:
            self._tasks[table] = self._bar.add_task(f"copying {table}", total=total)
        self._bar.update(self._tasks[table], completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
