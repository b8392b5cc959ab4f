"""What `likewise status` reads: counts per category and source, sync state and gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from catalog_helpers import make_paper

from likewise.models import Announcement
from likewise.store.catalog_status import weekday_gaps


def test_an_empty_catalog_reports_nothing(store: Any) -> None:
    status = store.status()

    assert (status.papers, status.by_category, status.sources) == (0, {}, [])
    assert (status.newest_announcement, status.gaps) == (None, [])


def test_gaps_are_weekdays_without_announcements(store: Any) -> None:
    # Mon 17, Tue 18 and Mon 24 March 2025 announced; Wed-Fri missing, the weekend is not.
    days = [date(2025, 3, 17), date(2025, 3, 18), date(2025, 3, 24)]
    store.upsert_papers(
        [make_paper(f"2503.0000{n}", announced=day) for n, day in enumerate(days, start=1)],
        source="rss",
    )

    status = store.status()

    assert status.gaps == [date(2025, 3, 19), date(2025, 3, 20), date(2025, 3, 21)]
    assert status.newest_announcement == date(2025, 3, 24)
    assert store.announcement_days() == days


def test_weekday_gaps_never_count_weekends() -> None:
    friday, monday = date(2025, 3, 14), date(2025, 3, 17)

    assert weekday_gaps([friday, monday]) == []
    assert weekday_gaps([monday]) == []
    assert weekday_gaps([]) == []
    assert weekday_gaps([friday, date(2025, 3, 18)]) == [monday]


def test_status_counts_per_category_and_source_with_sync_state(store: Any) -> None:
    store.upsert_papers(
        [
            make_paper("2503.00001", categories=["cs.CL", "cs.AI"], announced=date(2025, 3, 18)),
            make_paper("2503.00002", categories=["cs.AI"], announced=date(2025, 3, 19)),
        ],
        source="rss",
        announcements=[Announcement("2503.00002", date(2025, 3, 19))],
        checkpoint="2025-03-19",
    )
    store.upsert_papers([make_paper("2503.00003", announced=None)], source="bibtex")
    finished = datetime(2025, 3, 19, 6, 0, tzinfo=UTC)
    store.record_sync("rss", finished=finished, stored=2, rejected=1)

    status = store.status()

    assert status.papers == 3
    assert status.by_category == {"cs.AI": 2, "cs.CL": 1, "cs.LG": 1}
    # cs.LG's only paper (from BibTeX) was never announced, so it has no newest day.
    assert status.newest_by_category == {"cs.AI": date(2025, 3, 19), "cs.CL": date(2025, 3, 18)}
    by_source = {source.source: source for source in status.sources}
    assert set(by_source) == {"bibtex", "rss"}
    rss = by_source["rss"]
    assert (rss.papers, rss.checkpoint, rss.newest_announcement) == (
        2,
        "2025-03-19",
        date(2025, 3, 19),
    )
    assert rss.last_sync is not None and rss.last_sync.astimezone(UTC) == finished
    assert (by_source["bibtex"].papers, by_source["bibtex"].last_sync) == (1, None)
    assert store.get_checkpoint("rss") == "2025-03-19"  # record_sync keeps the checkpoint
