"""Pages over stored data that ingest would now refuse (a catalog written by an older version)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from likewise.library import Library
from likewise.models import Paper
from likewise.web.app import create_app


@pytest.mark.parametrize("day", [date.max, date(9999, 12, 27), date.min, date(1, 1, 3)])
def test_daily_pages_answer_for_a_stored_day_at_the_ends_of_the_calendar(
    library: Library, day: date
) -> None:
    paper = Paper(
        "2403.00001", "A paper from the edge of time", categories=["cs.CL"], announced=day
    )
    library.store.upsert_papers([paper, Paper("2403.00002", "An ordinary paper")], source="t")
    with TestClient(create_app(library.settings, library)) as client:
        for path in (
            "/",
            "/api/daily",
            "/?span=week",
            "/?span=month",
            f"/api/daily?day={day.isoformat()}&span=week",
            f"/?day={day.isoformat()}&span=month",
            "/trending",
            "/api/trending",
            "/categories/cs.CL",
            "/papers/2403.00001",
            "/feeds/daily.atom",
            "/feeds/categories/cs.CL.atom",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:200])
        assert "2403.00001" in client.get("/api/daily?span=week").text
