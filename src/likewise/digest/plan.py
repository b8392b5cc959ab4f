"""Which announcement days a subscriber's next digest covers, and how each interest reads.

Daily subscribers get every announcement day since their last digest (the newest day for the
first one); weekly subscribers get the last seven days once a week. A long outage never floods
anyone: a window reaches back at most MAX_WINDOW_DAYS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from likewise.store.digests import Subscriber

MAX_WINDOW_DAYS = 14
WEEK = 7
LIMIT = {"daily": 25, "weekly": 50}  # papers per digest (folded near-duplicates not counted)


def window_for(subscriber: Subscriber, days: Sequence[date]) -> tuple[date, date] | None:
    """(first day, last day) of announcement days the next digest covers; None if not due."""
    if not days:
        return None
    newest = days[-1]
    last = subscriber.last_window_end
    if last is not None and last >= newest:
        return None
    if subscriber.cadence == "weekly":
        if last is not None and (newest - last).days < WEEK:
            return None
        start = newest - timedelta(days=WEEK - 1)
    else:
        start = newest
    if last is not None:
        start = min(start, last + timedelta(days=1)) if subscriber.cadence == "daily" else start
        start = max(start, last + timedelta(days=1))
    start = max(start, newest - timedelta(days=MAX_WINDOW_DAYS - 1))
    return start, newest


def cut_at_word(text: str, limit: int, ellipsis: str = "…") -> str:
    """Whitespace collapsed, then cut to `limit` at a word (mid-word only when the last
    space comes too early), ellipsis added when anything was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + ellipsis


def short_title(title: str, limit: int = 80) -> str:
    return cut_at_word(title, limit)


def search_reason(text: str) -> str:
    return f"matches your search '{short_title(text, 100)}'"


def like_reason(title: str, collection: str | None = None) -> str:
    where = f" in your collection '{collection}'" if collection else ""
    return f"similar to “{short_title(title)}”{where}"
