"""Dates in the forms arXiv writes them, and arXiv's announcement schedule.

The schedule (arXiv help "Availability of submissions"): a submission received before the
14:00 US/Eastern cut-off on a weekday is announced at 20:00 Eastern that evening (Thursday's
batch on Sunday evening); mailings are dated by the next day, so announcement days are
Monday to Friday. Holidays shift this; estimates from it are marked as estimates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

from likewise.ingest.base import RecordError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    EASTERN: timezone | ZoneInfo = ZoneInfo("America/New_York")
except (ImportError, ZoneInfoNotFoundError):  # no time-zone data: standard time is close enough
    EASTERN = timezone(timedelta(hours=-5))

_CUTOFF = time(14, 0)
# Dates outside these cannot belong to a paper (arXiv opened in 1991); later code adds days
# and weeks to stored dates, which must never overflow Python's year 9999.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def _in_range(day: date, what: str, text: str) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise RecordError(
            f"{what} is out of range: {text!r} (years {EARLIEST_DAY.year} to {LATEST_DAY.year})"
        )


def parse_day(text: object, what: str = "date") -> date | None:
    """``2025-03-18`` (or a longer ISO timestamp) to a date; None for null/empty."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise RecordError(f"{what} is not a string: {text!r}")
    try:
        day = date.fromisoformat(text[:10])
    except ValueError as error:
        raise RecordError(f"{what} is not a YYYY-MM-DD date: {text[:40]!r}") from error
    _in_range(day, what, text[:40])
    return day


def parse_timestamp(text: object, what: str = "timestamp") -> datetime | None:
    """ISO 8601 (``2024-03-05T18:00:00Z``) or RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``).

    The result is in UTC; a time without a zone is taken as UTC.
    """
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise RecordError(f"{what} is not a string: {text!r}")
    value = text.strip()
    shown = value[:60]
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError) as error:
            raise RecordError(f"{what} is not a date and time: {shown!r}") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    _in_range(parsed.date(), what, shown)
    return parsed.astimezone(UTC)


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def estimated_announcement_day(submitted: datetime) -> date:
    """The mailing day on which a submission made at this moment is normally announced."""
    local = submitted.astimezone(EASTERN)
    day = local.date()
    # Weekend submissions and those after the cut-off join the next weekday's batch.
    if day.weekday() >= 5 or local.time() >= _CUTOFF:
        day = _next_weekday(day)
        while day.weekday() >= 5:
            day = _next_weekday(day)
    return _next_weekday(day)


def recent_announcement_days(today: date, count: int) -> list[date]:
    """The ``count`` most recent weekdays up to and including ``today``, newest first."""
    days: list[date] = []
    day = today
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def submission_window(day: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the submissions normally announced on mailing day ``day``."""
    previous = day - timedelta(days=1)
    while previous.weekday() >= 5:
        previous -= timedelta(days=1)
    # The batch closing at the cut-off on `previous` opened at the cut-off one weekday earlier.
    opened = previous - timedelta(days=1)
    while opened.weekday() >= 5:
        opened -= timedelta(days=1)
    start = datetime.combine(opened, _CUTOFF, tzinfo=EASTERN).astimezone(UTC)
    end = datetime.combine(previous, _CUTOFF, tzinfo=EASTERN).astimezone(UTC)
    return start, end
