"""Date parsing and arXiv's announcement schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from likewise.ingest.base import RecordError
from likewise.ingest.dates import (
    estimated_announcement_day,
    parse_day,
    parse_timestamp,
    recent_announcement_days,
    submission_window,
)


def test_timestamps_in_iso_and_rfc_2822_forms_come_back_in_utc() -> None:
    expected = datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert parse_timestamp("Mon, 2 Apr 2007 19:18:42 GMT") == expected
    assert parse_timestamp("2007-04-02T19:18:42Z") == expected
    assert parse_timestamp("2007-04-02T15:18:42-04:00") == expected
    assert parse_timestamp(None) is None
    with pytest.raises(RecordError, match="not a date and time"):
        parse_timestamp("yesterday")


def test_days_parse_or_say_which_field_is_wrong() -> None:
    assert parse_day("2025-03-18") == date(2025, 3, 18)
    assert parse_day("2025-03-18T10:00:00Z") == date(2025, 3, 18)
    with pytest.raises(RecordError, match="first_listed is not a YYYY-MM-DD date"):
        parse_day("18/03/2025", "first_listed")


@pytest.mark.parametrize(
    ("submitted", "announced"),
    [
        ("2024-03-04T18:00:00Z", date(2024, 3, 5)),  # Monday 13:00 Eastern: Tuesday's mailing
        ("2024-03-04T20:00:00Z", date(2024, 3, 6)),  # Monday 15:00 Eastern: after the cut-off
        ("2024-03-07T20:00:00Z", date(2024, 3, 11)),  # Thursday after cut-off: Monday
        ("2024-03-08T18:00:00Z", date(2024, 3, 11)),  # Friday before cut-off: Monday
        ("2024-03-08T20:00:00Z", date(2024, 3, 12)),  # Friday after cut-off: Tuesday
        ("2024-03-09T12:00:00Z", date(2024, 3, 12)),  # Saturday: Tuesday
    ],
)
def test_announcement_day_follows_the_cut_off_schedule(submitted: str, announced: date) -> None:
    moment = parse_timestamp(submitted)
    assert moment is not None
    assert estimated_announcement_day(moment) == announced


def test_submission_window_is_the_inverse_of_the_schedule() -> None:
    for day in recent_announcement_days(date(2024, 3, 15), 10):
        start, end = submission_window(day)
        assert estimated_announcement_day(start) == day
        assert estimated_announcement_day(end) != day
        assert start < end


def test_recent_announcement_days_skip_weekends() -> None:
    assert recent_announcement_days(date(2024, 3, 11), 3) == [
        date(2024, 3, 11),
        date(2024, 3, 8),
        date(2024, 3, 7),
    ]
