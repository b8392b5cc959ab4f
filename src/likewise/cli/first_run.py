"""What `likewise run` tells a new user it did: the announcement days it loaded out of those in
the file, the exact command that loads them all, and about how long that would take."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from likewise.ingest.base import Source
from likewise.models import IngestSummary


def _days(days: Sequence[date]) -> str:
    if len(days) == 1:
        return days[0].isoformat()
    if len(days) <= 4:
        return ", ".join(day.isoformat() for day in days[:-1]) + f" and {days[-1].isoformat()}"
    return f"{days[0].isoformat()} to {days[-1].isoformat()}"


def duration(seconds: float) -> str:
    """A rough, readable length of time: "under a minute", "about 12 min", "about 3 h 40 min"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    rest = 5 * round(rest / 5)
    if rest == 60:
        hours, rest = hours + 1, 0
    return f"about {hours} h" + (f" {rest} min" if rest else "")


def file_run_report(
    source: Source,
    given_path: str,
    summary: IngestSummary,
    embedded: int,
    embed_seconds: float,
) -> list[str]:
    """Lines that say which days of the file were loaded and how to load the rest; empty when
    the whole file was read (no `recent_days` selection)."""
    all_days: list[date] = getattr(source, "days_in_file", [])
    kept: list[date] = getattr(source, "days_kept", [])
    in_file: int = getattr(source, "papers_in_file", 0)
    if not all_days or not kept:
        return []
    name = Path(given_path).name
    lines = [
        f"loaded the newest {len(kept)} of the {len(all_days)} announcement days in {name}: "
        f"{_days(kept)} ({summary.read:,} of {in_file:,} papers)"
    ]
    if len(kept) >= len(all_days):
        return lines
    rest = max(in_file - summary.read, 0)
    command = f"likewise run --source {shlex.quote(given_path)} --days 0"
    lines.append(f"to load all {len(all_days)} days ({all_days[0]} to {all_days[-1]}): {command}")
    if embedded and embed_seconds > 0:
        rate = embedded / embed_seconds
        lines.append(
            f"  that embeds {rest:,} more papers: {duration(rest / rate)} at the "
            f"{rate:.1f} papers/s measured in this run (reading and storing them takes minutes)"
        )
    else:
        lines.append(
            f"  that embeds {rest:,} more papers (nothing was embedded in this run to time it; "
            "`likewise embed` prints its rate)"
        )
    return lines
