"""Small builders shared by the catalog store tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from likewise.models import Paper, Version


def make_paper(arxiv_id: str, **fields: Any) -> Paper:
    """A plausible paper; any field can be overridden."""
    values: dict[str, Any] = {
        "title": f"A study numbered {arxiv_id}",
        "abstract": "We report results on a benchmark.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "submitted": datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        "announced": date(2025, 3, 18),
    }
    values.update(fields)
    return Paper(arxiv_id=arxiv_id, **values)


def version(arxiv_id: str, number: int, day: int) -> Version:
    return Version(arxiv_id, number, datetime(2025, 3, day, 12, 0, tzinfo=UTC), f"{number}0kb")
