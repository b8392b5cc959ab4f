"""The For-you service with the served model, on SQLite or PostgreSQL: the embedder's map is
looked up by model id, the earlier days' papers are Rocchio's background, and the "why" line
still quotes a paper of the reader's with its plain cosine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind
from likewise.services import recommend as recommend_module
from likewise.services.recommend_sources import earlier_texts
from recommend_helpers import NEW_DAYS, OLD_DAY, build_catalog, paper


def _user(library: Library, name: str) -> int:
    return library.accounts.repository.create_user(name, "not-a-real-hash", None).id


def test_earlier_texts_are_the_days_before_the_window_newest_day_first(library: Library) -> None:
    ids = build_catalog(library)
    older_day = OLD_DAY - timedelta(days=7)
    oldest = paper("2504.99999", "speech", 99, older_day)
    library.store.upsert_papers(
        [oldest],
        source="test",
        announcements=[
            Announcement(oldest.arxiv_id, older_day, AnnouncementKind.NEW),
            # A replacement is not news: a new paper replaced on an old day stays out.
            Announcement(ids["new-vision"][0], OLD_DAY, AnnouncementKind.REPLACEMENT),
        ],
    )
    everything = earlier_texts(library.store, NEW_DAYS[0], 100)
    assert len(everything) == 9
    assert everything[-1] == oldest.embedding_text()
    assert not any("Vision study 10" in text for text in everything)
    # The bound stops after the newest day that fills it: the 8 papers of OLD_DAY.
    bounded = earlier_texts(library.store, NEW_DAYS[0], 8)
    assert len(bounded) == 8 and oldest.embedding_text() not in bounded
    assert earlier_texts(library.store, older_day, 100) == []


def test_the_feed_gives_score_readers_the_map_of_its_embedder_and_the_earlier_texts(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    library.accounts.repository.add_vote(reader, ids["old-retrieval"][0])
    asked: list[str] = []
    seen: dict[str, Any] = {}
    real = recommend_module.score_readers

    def lookup(model_id: str) -> None:
        asked.append(model_id)
        return None

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(recommend_module, "bundled_map", lookup)
    monkeypatch.setattr(recommend_module, "score_readers", spy)
    feed = library.recommend.for_user(reader, days=3)

    assert asked == [library.embedding.get().model_id]
    assert seen["dense_map"] is None
    background: Sequence[str] = seen["background_texts"]
    assert len(background) == 8 and all("study 0" in t or "study 1" in t for t in background)
    assert feed.recommendations[0].paper.arxiv_id in ids["new-retrieval"]


def test_an_orthogonal_map_leaves_the_feed_and_its_why_lines_unchanged(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    for arxiv_id in ids["old-graphs"]:
        library.accounts.repository.add_vote(reader, arxiv_id)
    monkeypatch.setattr(recommend_module, "bundled_map", lambda model_id: None)
    plain = library.recommend.for_user(reader, days=3)
    dimension = library.embedding.get().dimension
    rotation, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(dimension, dimension)))
    monkeypatch.setattr(recommend_module, "bundled_map", lambda model_id: rotation)
    rotated = library.recommend.for_user(reader, days=3)

    # Cosines are kept, so every score is (up to rounding; tied papers may swap places).
    before = {r.paper.arxiv_id: (r.score, r.reason) for r in plain.recommendations}
    after = {r.paper.arxiv_id: (r.score, r.reason) for r in rotated.recommendations}
    assert before.keys() == after.keys()
    for arxiv_id, (score, _reason) in after.items():
        assert score == pytest.approx(before[arxiv_id][0], abs=1e-4)
    top = [r.paper.arxiv_id for r in rotated.recommendations[:3]]
    assert set(top) == set(ids["new-graphs"])
    assert [after[a][1] for a in top] == [before[a][1] for a in top]


def test_a_stretching_map_still_quotes_the_readers_plainly_nearest_paper_and_its_cosine(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build_catalog(library)
    reader = _user(library, "reader")
    saved = [*ids["old-speech"], ids["old-vision"][0]]
    for arxiv_id in saved:
        library.accounts.repository.add_vote(reader, arxiv_id)
    dimension = library.embedding.get().dimension
    stretch = np.diag(np.linspace(0.2, 3.0, dimension))
    monkeypatch.setattr(recommend_module, "bundled_map", lambda model_id: stretch)

    feed = library.recommend.for_user(reader, days=3, limit=6)

    assert feed.recommendations
    papers = library.store.get_papers([*saved, *(r.paper.arxiv_id for r in feed.recommendations)])
    own = library.vectors.vectors_for([papers[arxiv_id] for arxiv_id in saved])
    for item in feed.recommendations:
        assert item.nearest_id in saved
        quoted, shown = library.vectors.vectors_for([papers[item.nearest_id], item.paper])
        assert item.similarity == pytest.approx(float(quoted @ shown), abs=1e-5)
        assert item.similarity == pytest.approx(float((own @ shown).max()), abs=1e-5)
        lead = "close to" if item.similarity >= 0.5 else "nearest of yours:"
        assert item.reason.startswith(f"{lead} “{papers[item.nearest_id].title[:20]}")
