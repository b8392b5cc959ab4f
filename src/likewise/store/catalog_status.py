"""The catalog's status report: papers per category and source, the newest announcement day,
and weekdays with nothing announced (`likewise status`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from likewise.store import schema
from likewise.store.base import CatalogStatus, SourceStatus

papers = schema.papers


def read_catalog_status(connection: Connection, days: Sequence[date]) -> CatalogStatus:
    """The status over one read transaction; `days` are the announcement days, oldest first."""
    categories = schema.paper_categories
    sync = schema.sync_state
    total = int(connection.scalar(select(func.count()).select_from(papers)) or 0)
    by_category = {
        category: int(count)
        for category, count in connection.execute(
            select(categories.c.category, func.count())
            .group_by(categories.c.category)
            .order_by(func.count().desc(), categories.c.category)
        )
    }
    newest_by_category = {
        category: newest
        for category, newest in connection.execute(
            select(categories.c.category, func.max(papers.c.announced))
            .join(papers, papers.c.key == categories.c.paper_key)
            .group_by(categories.c.category)
        )
        if newest is not None
    }
    per_source = {
        source: (int(count), newest)
        for source, count, newest in connection.execute(
            select(papers.c.source, func.count(), func.max(papers.c.announced)).group_by(
                papers.c.source
            )
        )
    }
    syncs = {row.source: row for row in connection.execute(select(sync))}
    sources = []
    for source in sorted(set(per_source) | set(syncs)):
        count, newest = per_source.get(source, (0, None))
        sync_row = syncs.get(source)
        sources.append(
            SourceStatus(
                source=source,
                papers=count,
                last_sync=sync_row.last_sync if sync_row is not None else None,
                checkpoint=sync_row.checkpoint if sync_row is not None else None,
                newest_announcement=newest,
            )
        )
    return CatalogStatus(
        papers=total,
        by_category=by_category,
        newest_by_category=newest_by_category,
        sources=sources,
        newest_announcement=days[-1] if days else None,
        gaps=weekday_gaps(days),
    )


def weekday_gaps(days: Sequence[date]) -> list[date]:
    """Weekdays between the first and the last day with nothing announced (arXiv announces
    nothing on Saturdays and Sundays)."""
    if not days:
        return []
    present = set(days)
    gaps = []
    day = min(present)
    last = max(present)
    while day < last:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in present:
            gaps.append(day)
    return gaps
