"""`likewise import-library` and `likewise claim-author`: a user's own papers as the positives of
their feed, from a BibTeX/RIS/CSL-JSON/Zotero file or an author name they confirm."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from likewise.cli.common import fail, guarded, open_library, print_json
from likewise.embed.onnx_minilm import EmbedderUnavailableError
from likewise.library import Library
from likewise.services.library_import import ImportReport
from likewise.settings import SettingsError
from likewise.store.accounts import User
from likewise.store.base import StoreError

# LibraryFileError and SiteError are ValueErrors.
_EXPECTED = (
    EmbedderUnavailableError,
    StoreError,
    SettingsError,
    OSError,
    ValueError,
    SQLAlchemyError,
)
_FORMATS = ("auto", "bibtex", "ris", "csl-json", "zotero")


def user_by_email(library: Library, email: str) -> User:
    """The account with this address (or, without an @, this user name); exits if none."""
    repository = library.accounts.repository
    if "@" not in email:
        found = repository.find_login(email)
        if found is None:
            fail(f"no account named {email!r}")
        assert found is not None
        return found[0]
    users = repository.users_with_email(email)
    if not users:
        fail(f"no account has the address {email!r}")
    if len(users) > 1:
        names = ", ".join(user.username for user in users)
        fail(f"several accounts have the address {email!r} ({names}); give a user name")
    return users[0]


def _print_report(report: ImportReport) -> None:
    counts = report.summary()
    print(
        f"{report.name} ({report.source}): {counts['entries']} entries; matched "
        f"{counts['matched_by_arxiv_id']} by arXiv id, {counts['matched_by_doi']} by DOI, "
        f"{counts['matched_by_title']} by title; kept {counts['kept_unmatched']} unmatched "
        f"with their abstract; skipped {counts['skipped']}. Added {counts['added']} "
        f"({counts['already_present']} already in the library)."
    )
    for outcome in report.outcomes:
        if outcome.status == "skipped":
            print(
                f"  skipped {outcome.location}: {outcome.reason}"
                + (f" ({outcome.title})" if outcome.title else "")
            )


def _import_library(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        user = user_by_email(library, arguments.user)
        report = library.library_import.import_file(user.id, Path(arguments.file), arguments.format)
    if arguments.json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    return 0


def _claim_author(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        user = user_by_email(library, arguments.user)
        service = library.library_import
        if arguments.confirm:
            report = service.claim(user.id, arguments.name, arguments.confirm)
            if arguments.json:
                print_json(report.as_dict())
            else:
                print(
                    f"added {report.added} of {len(report.outcomes)} confirmed papers of "
                    f"{report.name} to {user.username}'s library"
                )
            return 0
        candidates = service.author_candidates(user.id, arguments.name)
    if arguments.json:
        print_json(
            {
                "name": candidates.name,
                "papers": [
                    {
                        "id": paper.arxiv_id,
                        "title": paper.title,
                        "authors": paper.authors,
                        "announced": paper.announced,
                        "in_library": paper.arxiv_id in candidates.in_library,
                    }
                    for paper in candidates.papers
                ],
            }
        )
        return 0
    if not candidates.papers:
        print(f"no papers by {candidates.name} in this catalog")
        return 0
    print(
        f"{len(candidates.papers)} papers by {candidates.name}; confirm yours with "
        "--confirm ID [ID ...]:"
    )
    for paper in candidates.papers:
        mark = "*" if paper.arxiv_id in candidates.in_library else " "
        print(f" {mark} {paper.arxiv_id}  {paper.title}  ({', '.join(paper.authors[:4])})")
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    command = commands.add_parser(
        "import-library",
        help="import your own library (BibTeX, RIS, CSL-JSON or zotero.sqlite) as positives",
        description="Match each entry to a catalog paper by arXiv id, DOI or title; unmatched "
        "entries with an abstract are kept (embedded now), others are skipped with the reason. "
        "A broken file stores nothing; importing a file again adds nothing new.",
    )
    command.add_argument("file", help="the exported file, or a Zotero install's zotero.sqlite")
    command.add_argument("--user", required=True, help="the account's email address")
    command.add_argument("--format", choices=_FORMATS, default="auto", help="default: detect")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(handler=guarded(_import_library, _EXPECTED))

    claim = commands.add_parser(
        "claim-author",
        help='"these are my papers": list an author\'s catalog papers, confirm yours',
        description="Without --confirm, lists the catalog's papers by NAME (case and accents "
        "ignored); with --confirm, stores the given ones as your papers (source 'claimed').",
    )
    claim.add_argument("name", help="the author name as arXiv lists it")
    claim.add_argument("--user", required=True, help="the account's email address")
    claim.add_argument("--confirm", nargs="+", metavar="ID", help="arXiv ids that are yours")
    claim.add_argument("--json", action="store_true", help="print one JSON object")
    claim.set_defaults(handler=guarded(_claim_author, _EXPECTED))
