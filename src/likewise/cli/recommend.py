"""CLI command of the personal feed: `likewise recommend --user EMAIL`, a table or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from likewise.cli.common import fail, guarded, open_library, positive_int, print_json
from likewise.services.errors import SiteError
from likewise.services.recommend import MAX_DAYS, PersonalFeed
from likewise.store.accounts import User


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommand (it sets `handler`)."""
    parser = commands.add_parser(
        "recommend",
        help='a user\'s "For you" papers',
        description='The "For you" feed of an account: papers announced in the last days '
        "ranked by closeness to what the account upvoted, saved and imported, away from what "
        'it marked "not interested", each with the reason it was picked.',
    )
    parser.add_argument(
        "--user", required=True, metavar="EMAIL", help="the account's email address (or name)"
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        default=None,
        help=f"days of announcements up to the newest (1 to {MAX_DAYS}; default "
        "LIKEWISE_RECOMMEND_DAYS, 7)",
    )
    parser.add_argument("--collection", default="", help="papers like this collection instead")
    parser.add_argument(
        "--limit", type=positive_int, default=20, help="papers to show (default 20)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object: the whole feed")
    parser.set_defaults(handler=guarded(run_recommend, (SiteError,)))


def _account(library: Any, given: str) -> User:
    repository = library.accounts.repository
    user: User | None = repository.find_by_email(given)
    if user is None and "@" not in given:
        found = repository.find_login(given)
        user = found[0] if found else None
    if user is None:
        fail(f"no account with the address {given.strip()!r}")
        raise SystemExit(2)  # unreachable: fail() exits
    return user


def run_recommend(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        user = _account(library, arguments.user)
        if arguments.collection:
            collection = library.accounts.repository.collection_by_name(
                user.id, " ".join(arguments.collection.split())
            )
            if collection is None:
                fail(f"{user.username} has no collection named {arguments.collection!r}")
                return 2
            feed = library.recommend.for_collection(
                user.id, collection.id, collection.name, days=arguments.days, limit=arguments.limit
            )
        else:
            feed = library.recommend.for_user(user.id, days=arguments.days, limit=arguments.limit)
    if arguments.json:
        print_json(feed_json(user, feed))
    else:
        print_feed(user, feed)
    return 0


def feed_json(user: User, feed: PersonalFeed) -> dict[str, Any]:
    return {
        "user": user.username,
        "days": feed.days,
        "start": feed.start.isoformat() if feed.start else None,
        "end": feed.end.isoformat() if feed.end else None,
        "candidates": feed.candidates,
        "positives": feed.positives,
        "hidden": feed.hidden,
        "status": feed.status,
        "message": feed.message,
        "recommendations": [
            {
                "id": r.paper.arxiv_id,
                "title": r.paper.title,
                "score": round(r.score, 4),
                "similarity": round(r.similarity, 4),
                "announced": r.day.isoformat() if r.day else None,
                "reason": r.reason,
                "nearest": r.nearest_id,
                "nearest_title": r.nearest_title,
                "shared_terms": r.shared_terms,
                "also_as": [{"arxiv_id": a.arxiv_id, "title": a.title} for a in r.also_as],
            }
            for r in feed.recommendations
        ],
    }


def print_feed(user: User, feed: PersonalFeed) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not feed.recommendations:
        console.print(feed.message or "nothing to recommend", markup=False, highlight=False)
        return
    span = f"{feed.start} to {feed.end}" if feed.start != feed.end else f"{feed.end}"
    table = Table(
        title=f"For {user.username}: papers announced {span} ({feed.candidates} papers, "
        f"from {feed.positives} of theirs)",
        title_justify="left",
    )
    for column in ("#", "similarity", "arXiv id", "announced", "title", "why"):
        table.add_column(column, justify="right" if column in {"#", "similarity"} else "left")
    for rank, r in enumerate(feed.recommendations, start=1):
        day = r.day.isoformat() if r.day else ""
        table.add_row(
            str(rank), f"{r.similarity:.2f}", r.paper.arxiv_id, day, r.paper.title, r.reason
        )
    console.print(table)
