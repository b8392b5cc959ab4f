"""CLI commands of the digest area: `likewise subscribers add|list|remove` and
`likewise digest run|preview|outbox`."""

from __future__ import annotations

import argparse
from typing import Any

from likewise.cli.common import fail, open_library, print_json
from likewise.digest.choose import DigestPlan
from likewise.digest.interests import STRICTNESS, InterestError
from likewise.digest.mailer import MailError
from likewise.store.digests import Subscriber


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands (each sets `handler`)."""
    subscribers = commands.add_parser(
        "subscribers",
        help="manage digest subscribers (operator)",
        description="Add, list and remove digest subscribers. Addresses added here are "
        "confirmed at once: adding one is the operator's own act.",
    )
    actions = subscribers.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="subscribe an address (confirmed at once)")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--category", action="append", default=[], help="arXiv category (repeat)")
    add.add_argument("--author", action="append", default=[], help="author name (repeat)")
    add.add_argument("--search", action="append", default=[], help="saved search text (repeat)")
    add.add_argument(
        "--like",
        action="append",
        default=[],
        metavar="ARXIV_ID",
        help="papers like this one (repeat)",
    )
    add.add_argument("--trending", type=int, metavar="N", help="also the top-N trending papers")
    add.add_argument("--weekly", action="store_true", help="weekly instead of daily")
    add.add_argument(
        "--strictness",
        choices=list(STRICTNESS),
        default="balanced",
        help="how closely papers must match (default balanced)",
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list subscribers and their interests")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="unsubscribe an address and forget it")
    remove.add_argument("email", metavar="EMAIL")
    remove.set_defaults(handler=run_remove)

    digest = commands.add_parser(
        "digest",
        help="run or preview the e-mail digests",
        description="`digest run` composes the digest of every due subscriber, stores it in "
        "the outbox and sends it (safe to repeat: nothing is sent twice).",
    )
    steps = digest.add_subparsers(dest="step", metavar="STEP", required=True)
    run = steps.add_parser("run", help="one digest run: compose, store, send")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print who would get how many papers; store and send nothing",
    )
    run.add_argument(
        "--patience",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for SMTP back-off retries within the run",
    )
    run.set_defaults(handler=run_digest)
    preview = steps.add_parser("preview", help="print what a subscriber would get now")
    preview.add_argument("email", metavar="EMAIL")
    preview.add_argument(
        "--json", action="store_true", help="the planned themes and items (with evidence)"
    )
    preview.set_defaults(handler=run_preview)
    outbox = steps.add_parser("outbox", help="show the outbox: counts and permanent failures")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(handler=run_outbox)


def _describe(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "confirmed": subscriber.confirmed,
        "cadence": subscriber.cadence,
        "strictness": subscriber.strictness,
        "interests": [{"kind": i.kind, "value": i.value} for i in subscriber.interests],
        "last_window_end": subscriber.last_window_end,
    }


def run_add(arguments: argparse.Namespace) -> int:
    pairs = [("category", value) for value in arguments.category]
    pairs += [("author", value) for value in arguments.author]
    pairs += [("search", value) for value in arguments.search]
    pairs += [("like", value) for value in arguments.like]
    if arguments.trending:
        pairs.append(("trending", str(arguments.trending)))
    with open_library(arguments) as library:
        try:
            subscriber = library.digests.add_subscriber(
                arguments.email,
                pairs,
                cadence="weekly" if arguments.weekly else "daily",
                strictness=arguments.strictness,
            )
        except InterestError as error:
            fail(str(error))
        problems = library.digests.subscription_problems(subscriber)
    print(
        f"subscribed {subscriber.email} ({subscriber.cadence}, {len(subscriber.interests)} "
        "interests)"
    )
    for problem in problems:
        print(f"warning: {problem}")
    return 0


def run_list(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        subscribers = library.digests.list_subscribers()
    if arguments.json:
        print_json([_describe(subscriber) for subscriber in subscribers])
        return 0
    if not subscribers:
        print("no subscribers")
    for subscriber in subscribers:
        state = "confirmed" if subscriber.confirmed else "unconfirmed"
        interests = "; ".join(f"{i.kind}: {i.value}" for i in subscriber.interests) or "nothing"
        print(
            f"{subscriber.email}  [{state}, {subscriber.cadence}, {subscriber.strictness}]  "
            f"{interests}"
        )
    return 0


def run_remove(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        removed = library.digests.remove_subscriber(arguments.email)
    if not removed:
        fail(f"no subscriber with the address {arguments.email}", code=1)
    print(f"removed {arguments.email.strip().lower()}")
    return 0


def run_digest(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        if arguments.dry_run:
            plans = library.digests.plan_digests()
            for plan in plans:
                print(
                    f"{plan.subscriber.email}: {plan.paper_count} papers in "
                    f"{len(plan.themes)} themes ({plan.window_start} to {plan.window_end})"
                )
            print(f"{len(plans)} subscriber(s) due; nothing stored or sent (dry run)")
            return 0
        if not library.settings.smtp_host:
            print(
                "note: LIKEWISE_SMTP_HOST is not set; digests are stored in the outbox and "
                "sent by the first run after a mail server is configured"
            )
        try:
            report = library.digests.run_digests(patience=arguments.patience)
        except MailError as error:
            fail(str(error), code=1)
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def run_preview(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        try:
            plan, text = library.digests.preview_digest(arguments.email)
        except LookupError as error:
            fail(str(error.args[0]), code=1)
    if arguments.json:
        print_json(_plan_json(plan))
        return 0
    print(text, end="")
    return 0


def _plan_json(plan: DigestPlan | None) -> dict[str, Any]:
    """The preview's themes; each item's `evidence` is what search hits carry in their JSON."""
    if plan is None:
        return {"window": None, "themes": []}
    return {
        "window": [plan.window_start.isoformat(), plan.window_end.isoformat()],
        "themes": [
            {
                "title": theme.title,
                "items": [
                    {
                        "arxiv_id": item.paper.arxiv_id,
                        "title": item.paper.title,
                        "reason": item.reason,
                        "score": round(item.score, 4),
                        "evidence": [
                            {"text": e.text, "start": e.start, "end": e.end, "score": e.score}
                            for e in item.evidence
                        ],
                        "also": [paper.arxiv_id for paper in item.also],
                    }
                    for item in theme.items
                ],
            }
            for theme in plan.themes
        ],
    }


def run_outbox(arguments: argparse.Namespace) -> int:
    with open_library(arguments) as library:
        counts = library.digests.repository.outbox_counts()
        failures = library.digests.outbox_failures()
    if arguments.json:
        print_json(
            {
                "counts": counts,
                "failed": [
                    {
                        "to": f.recipient,
                        "subject": f.subject,
                        "error": f.last_error,
                        "attempts": f.attempts,
                    }
                    for f in failures
                ],
            }
        )
        return 0
    print(", ".join(f"{state}: {count}" for state, count in counts.items()))
    for failure in failures:
        print(f"FAILED {failure.recipient}: {failure.last_error} ({failure.attempts} attempts)")
    return 0
