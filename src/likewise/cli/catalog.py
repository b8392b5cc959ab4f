"""CLI commands of the catalog area: run, ingest, backfill, status and show.

Exit codes: 0 all stored, 1 some records were rejected (each is listed), 2 a fatal problem
(the message says what and where; no stack trace).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import sys
import time as time_module
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from likewise.cli.common import fail, guarded, open_library, print_json, settings_from
from likewise.cli.first_run import file_run_report
from likewise.cli.vector_import import register_ingest as register_vector_ingest
from likewise.ingest.base import IngestError, Source
from likewise.ingest.factory import FILE_FORMATS, parse_day_argument
from likewise.ingest.oai_pmh import FORMATS as OAI_FORMATS
from likewise.library import Library
from likewise.models import IngestSummary, Paper
from likewise.settings import SettingsError
from likewise.store.base import CatalogStatus, StoreError

_SHOWN_REJECTS = 50


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn expected failures into a clear message and exit code 2."""
    expected = (IngestError, StoreError, SettingsError, OSError, ValueError, SQLAlchemyError)
    return guarded(handler, expected)


def _report(summary: IngestSummary) -> None:
    counts = (
        f"read {summary.read}, inserted {summary.inserted}, updated {summary.updated}, "
        f"unchanged {summary.unchanged}, rejected {len(summary.rejected)}"
    )
    if summary.matched:
        counts += f", matched to stored papers {summary.matched}"
    if summary.notes:
        counts += f", stored with a note {len(summary.notes)}"
    print(f"{summary.source}: {counts}")
    for record in summary.notes[:_SHOWN_REJECTS]:
        print(f"  note {record.location}: {record.problem}", file=sys.stderr)
    if len(summary.notes) > _SHOWN_REJECTS:
        print(f"  ... and {len(summary.notes) - _SHOWN_REJECTS} more notes", file=sys.stderr)
    for record in summary.rejected[:_SHOWN_REJECTS]:
        print(f"  rejected {record.location}: {record.problem}", file=sys.stderr)
    if len(summary.rejected) > _SHOWN_REJECTS:
        print(f"  ... and {len(summary.rejected) - _SHOWN_REJECTS} more rejected", file=sys.stderr)
    if summary.error:
        print(f"likewise: error: {summary.error}", file=sys.stderr)
        print("  (everything stored before this is kept; run again to resume)", file=sys.stderr)


def _exit_code(summaries: Sequence[IngestSummary]) -> int:
    if any(summary.error for summary in summaries):
        return 2
    return 1 if any(summary.rejected for summary in summaries) else 0


def _ingest_all(library: Library, sources: Sequence[Source]) -> list[IngestSummary]:
    summaries = []
    for source in sources:
        summary = library.catalog.ingest(source, progress=True)
        _report(summary)
        summaries.append(summary)
        if summary.error:
            break
    return summaries


# -- likewise ingest ... -------------------------------------------------------------------------
def _ingest_file(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        source = library.catalog.file_source(
            Path(arguments.path), file_format=arguments.format, recent_days=arguments.recent_days
        )
        return _exit_code(_ingest_all(library, [source]))


def _ingest_api(arguments: argparse.Namespace) -> int:
    from likewise.ingest.arxiv_api import ArxivApiSource
    from likewise.ingest.dates import EASTERN

    if bool(arguments.id) == bool(arguments.category):
        fail("give --category (with --from) or --id, not both")
    with open_library(arguments) as library, library.catalog.http_client() as client:
        url = library.settings.arxiv_api_url
        if arguments.id:
            source = ArxivApiSource(client, url, ids=arguments.id)
        else:
            if not arguments.since:
                fail("a category query needs --from YYYY-MM-DD")
            since = parse_day_argument(arguments.since)
            until = parse_day_argument(arguments.until) if arguments.until else None
            start = datetime.combine(since, time(0, 0), tzinfo=EASTERN)
            end = datetime.combine(until or since, time(23, 59), tzinfo=EASTERN)
            if until is None:
                end = datetime.now(EASTERN) + timedelta(minutes=1)
            source = ArxivApiSource(
                client, url, categories=arguments.category, since=start, until=end
            )
        return _exit_code(_ingest_all(library, [source]))


def _ingest_feed(arguments: argparse.Namespace) -> int:
    from likewise.ingest.announcements import AnnouncementFeedSource

    with open_library(arguments) as library, library.catalog.http_client() as client:
        categories = arguments.category or list(library.settings.categories)
        source = AnnouncementFeedSource(client, library.settings.arxiv_rss_url, categories)
        return _exit_code(_ingest_all(library, [source]))


def _ingest_oai(arguments: argparse.Namespace) -> int:
    from likewise.ingest.oai_pmh import OaiPmhSource

    with open_library(arguments) as library, library.catalog.http_client() as client:
        source = OaiPmhSource(
            client,
            library.settings.arxiv_oai_url,
            set_spec=arguments.set or None,
            since=parse_day_argument(arguments.since) if arguments.since else None,
            until=parse_day_argument(arguments.until) if arguments.until else None,
            metadata_format=arguments.format,
        )
        if source.since is None and library.store.get_checkpoint(source.name) is None:
            fail(f"nothing harvested from {source.name} yet: give --from YYYY-MM-DD")
        return _exit_code(_ingest_all(library, [source]))


# -- likewise run / status / show ---------------------------------------------------------------
def _run(arguments: argparse.Namespace) -> int:
    settings = settings_from(arguments)
    days = settings.initial_days if arguments.days is None else arguments.days
    path = arguments.source or settings.source
    source: Source | None = None
    with open_library(arguments) as library:
        if path:
            source = library.catalog.file_source(Path(path), recent_days=days or None)
            summaries = _ingest_all(library, [source])
        else:
            with library.catalog.http_client() as client:
                summaries = _ingest_all(library, library.catalog.recent_sources(client, days=days))
            if any(summary.error for summary in summaries):
                print("  offline? `likewise run --source FILE` (or SOURCE=FILE) ingests a file")
        embedded, seconds = 0, 0.0
        if library.store.count_papers():
            started = time_module.perf_counter()
            embedded = library.vectors.update_vectors(progress=True)
            seconds = time_module.perf_counter() - started
            rate = f" in {seconds:.0f} s ({embedded / seconds:.1f}/s)" if embedded else ""
            print(f"embedded {embedded} papers for search and similar papers{rate}")
        status = library.catalog.status()
    code = _exit_code(summaries)
    _print_status(status)
    if source is not None and summaries and not summaries[0].error:
        for line in file_run_report(source, str(path), summaries[0], embedded, seconds):
            print(line)
    elif not path and days:
        print(
            f"loaded the last {days} announcement days from arXiv (LIKEWISE_INITIAL_DAYS); "
            "older papers: likewise backfill --from YYYY-MM-DD"
        )
    if not arguments.no_serve and importlib.util.find_spec("likewise.web.server") is not None:
        server = importlib.import_module("likewise.web.server")
        host, port = arguments.host or settings.host, arguments.port or settings.port
        print(f"serving on http://{host}:{port} (Ctrl-C stops)", flush=True)
        server.serve(settings, host=host, port=port)
    return code


def _status(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        status = library.catalog.status()
    if arguments.json:
        print_json(status_as_json(status))
    else:
        _print_status(status)
    return 0


def status_as_json(status: CatalogStatus) -> dict[str, Any]:
    return {
        "papers": status.papers,
        "newest_announcement": status.newest_announcement,
        "gaps": status.gaps,
        "by_category": status.by_category,
        "categories": {
            name: {"papers": count, "newest_announcement": status.newest_by_category.get(name)}
            for name, count in status.by_category.items()
        },
        "sources": [dataclasses.asdict(source) for source in status.sources],
    }


def _print_status(status: CatalogStatus) -> None:
    newest = status.newest_announcement or "none"
    print(f"papers stored: {status.papers}   newest announcement day: {newest}")
    for source in status.sources:
        last = source.last_sync.strftime("%Y-%m-%d %H:%M UTC") if source.last_sync else "never"
        newest_day = source.newest_announcement or "-"
        print(f"  {source.source}: {source.papers} papers, newest {newest_day}, last sync {last}")
    if status.by_category:
        top = list(status.by_category.items())[:15]
        print("  by category (papers, newest announcement day):")
        for name, count in top:
            newest_day = status.newest_by_category.get(name, "-")
            print(f"    {name}: {count}, newest {newest_day}")
    if status.gaps:
        shown = ", ".join(str(day) for day in status.gaps[:10])
        more = f" (+{len(status.gaps) - 10} more)" if len(status.gaps) > 10 else ""
        print(f"  gaps (weekdays without announcements): {shown}{more}")


def paper_as_json(paper: Paper) -> dict[str, Any]:
    data = dataclasses.asdict(paper)
    data["primary_category"] = paper.primary_category
    return data


def _show(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        paper = library.catalog.show(arguments.arxiv_id)
        also = library.near_duplicates.also_as([paper.arxiv_id]) if paper else {}
    if paper is None:
        fail(f"no paper {arguments.arxiv_id!r} in the catalog")
        return 2
    others = also.get(paper.arxiv_id, [])
    if arguments.json:
        data = paper_as_json(paper)
        data["also_as"] = [dataclasses.asdict(other) for other in others]
        print_json(data)
        return 0
    known_version = paper.latest_version and not paper.is_local
    shown_version = f"v{paper.latest_version}" if known_version else ""
    print(f"{paper.arxiv_id}{shown_version}  {paper.title}")
    print(f"  authors: {', '.join(paper.authors) or '-'}")
    print(f"  categories: {' '.join(paper.categories) or '-'}")
    dates: list[tuple[str, date | None]] = [
        ("submitted", paper.submitted),
        ("updated", paper.updated),
    ]
    dates += [("announced", paper.announced), ("record modified", paper.record_modified)]
    print("  " + ", ".join(f"{name} {value:%Y-%m-%d}" for name, value in dates if value))
    for label, value in (("comment", paper.comment), ("journal", paper.journal_ref)):
        if value:
            print(f"  {label}: {value}")
    if paper.doi:
        print(f"  doi: {paper.doi}")
    for other in others:  # the same work under another record (docs/near_duplicates.md)
        print(f"  also as: {other.arxiv_id}  {other.title}")
    for version in paper.versions:
        when = f"{version.submitted:%Y-%m-%d %H:%M}" if version.submitted else "?"
        print(f"  v{version.number}: {when}" + (f" ({version.size})" if version.size else ""))
    print()
    print(paper.abstract)
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    run = commands.add_parser("run", help="ingest the latest announcements, then serve the site")
    run.add_argument("--source", help="ingest this JSON-lines/snapshot file instead of arXiv")
    run.add_argument("--days", type=int, help="announcement days to take (0: the whole file)")
    run.add_argument("--no-serve", action="store_true", help="stop after ingesting")
    run.add_argument("--host", help="address to serve on (default: LIKEWISE_HOST)")
    run.add_argument("--port", type=int, help="port to serve on (default: LIKEWISE_PORT)")
    run.set_defaults(handler=_guarded(_run))

    ingest = commands.add_parser("ingest", help="bring papers in from a file or from arXiv")
    kinds = ingest.add_subparsers(dest="kind", metavar="SOURCE", required=True)
    for name, file_format, text in (
        ("file", "auto", "a JSON-lines, snapshot or BibTeX file (format detected)"),
        ("jsonl", "jsonl", "a JSON-lines file of papers (plain or gzip)"),
        ("snapshot", "snapshot", "the arXiv metadata snapshot (Kaggle/Cornell JSON lines)"),
        ("bibtex", "bibtex", "a BibTeX file (your own library)"),
    ):
        command = kinds.add_parser(name, help=text)
        command.add_argument("path")
        if name == "file":
            command.add_argument("--format", choices=FILE_FORMATS, default=file_format)
        else:
            command.set_defaults(format=file_format)
        command.add_argument("--recent-days", type=int, help="only the newest N days in it")
        command.set_defaults(handler=_guarded(_ingest_file))
    register_vector_ingest(kinds)

    api = kinds.add_parser("api", help="arXiv's query API: categories and dates, or ids")
    api.add_argument("--category", action="append", help="e.g. cs.CL (repeatable)")
    api.add_argument("--from", dest="since", help="first submission day YYYY-MM-DD")
    api.add_argument("--until", help="last submission day YYYY-MM-DD (default: now)")
    api.add_argument("--id", action="append", help="an arXiv id (repeatable)")
    api.set_defaults(handler=_guarded(_ingest_api))

    feed = kinds.add_parser("feed", help="today's announcement feed (new, cross, replace)")
    feed.add_argument("--category", action="append", help="default: the followed categories")
    feed.set_defaults(handler=_guarded(_ingest_feed))

    for name, text in (
        ("oai", "OAI-PMH ListRecords (incremental from the last harvest)"),
        ("backfill", "full resumable OAI-PMH harvest from a date"),
    ):
        parent = kinds if name == "oai" else commands
        command = parent.add_parser(name, help=text)
        command.add_argument("--from", dest="since", required=name == "backfill")
        command.add_argument("--until", help="last datestamp YYYY-MM-DD")
        command.add_argument("--set", default="cs", help="OAI set, e.g. cs, math, physics:hep-th")
        command.add_argument("--format", choices=OAI_FORMATS, default="arXivRaw")
        command.set_defaults(handler=_guarded(_ingest_oai))

    status = commands.add_parser("status", help="papers per source and category, syncs, gaps")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.set_defaults(handler=_guarded(_status))

    show = commands.add_parser("show", help="print one paper")
    show.add_argument("arxiv_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_guarded(_show))
