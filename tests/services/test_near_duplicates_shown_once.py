"""A work under two records is shown once (both backends): the daily list, search, the paper
page, "For you" and a digest (with its "For you" section) never list both records."""

from __future__ import annotations

import dataclasses

from likewise.digest.choose import FOLD_SIMILARITY, DigestItem
from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind
from recommend_helpers import NEW_DAYS, build_catalog


def _with_twin(library: Library) -> tuple[dict[str, list[str]], str, str]:
    """The helper catalog plus a re-submission of its first new retrieval paper under a new
    id two days later; the catalog was stored without ingest, so the backfill finds it."""
    ids = build_catalog(library)
    original = ids["new-retrieval"][0]
    paper = library.store.get_paper(original)
    assert paper is not None
    # The abstract rewritten: the digest's vector fold (cosine >= FOLD_SIMILARITY) alone would
    # not join the two, only the near-duplicate group does.
    twin = dataclasses.replace(
        paper,
        arxiv_id="2506.09999",
        announced=NEW_DAYS[2],
        versions=[],
        abstract="Revised version. We revisit encoders that rank passages for questions.",
    )
    library.store.upsert_papers(
        [twin],
        source="test",
        announcements=[Announcement(twin.arxiv_id, NEW_DAYS[2], AnnouncementKind.NEW)],
    )
    library.vectors.update_vectors()
    vectors = library.embedding.get().embed_documents(
        [paper.embedding_text(), twin.embedding_text()]
    )
    assert float(vectors[0] @ vectors[1]) < FOLD_SIMILARITY
    summary = library.near_duplicates.update()
    assert summary.pairs == 1
    return ids, original, twin.arxiv_id


def test_the_backfill_links_both_records_and_the_paper_page_says_also_as(
    library: Library,
) -> None:
    _, original, twin = _with_twin(library)
    page = library.site.paper_page(twin)
    assert [other.arxiv_id for other in page.also_as] == [original]
    assert library.near_duplicates.update().checked == 0  # nothing new or changed since


def test_the_weeks_list_and_search_show_one_card_with_also_as(library: Library) -> None:
    _, original, twin = _with_twin(library)
    listing = library.site.daily(day=NEW_DAYS[2], span="week")
    shown = [card.paper.arxiv_id for card in listing.cards]
    assert (original in shown) != (twin in shown)
    card = next(c for c in listing.cards if c.paper.arxiv_id in {original, twin})
    assert [other.arxiv_id for other in card.also_as] == [
        ({original, twin} - {card.paper.arxiv_id}).pop()
    ]
    result = library.search.search(
        "dense passage retrieval contrastive", limit=20, apply_cutoff=False
    )
    hits = [hit.arxiv_id for hit in result.hits]
    assert len({original, twin} & set(hits)) == 1
    kept = next(hit for hit in result.hits if hit.arxiv_id in {original, twin})
    assert {other.arxiv_id for other in kept.also_as} | {kept.arxiv_id} == {original, twin}


def test_for_you_and_a_digest_never_list_both_records(library: Library) -> None:
    ids, original, twin = _with_twin(library)
    reader = library.accounts.repository.create_user("reader", "x", "reader@example.org")
    library.accounts.security.mark_email_verified(reader.id, "reader@example.org")
    for arxiv_id in ids["old-retrieval"]:
        library.accounts.repository.add_vote(reader.id, arxiv_id)

    feed = library.recommend.for_user(reader.id, days=7, limit=20)
    listed = [r.paper.arxiv_id for r in feed.recommendations]
    assert len({original, twin} & set(listed)) == 1
    kept = next(r for r in feed.recommendations if r.paper.arxiv_id in {original, twin})
    assert len(kept.also_as) == 1

    library.digests.add_subscriber("reader@example.org", [("category", "cs.IR")], cadence="weekly")
    (plan,) = library.digests.plan_digests(force=True)
    items: list[DigestItem] = [item for theme in plan.themes for item in theme.items]
    assert any(theme.title == "For you" for theme in plan.themes)
    listed = [item.paper.arxiv_id for item in items]
    assert len({original, twin} & set(listed)) == 1
    host = next(item for item in items if item.paper.arxiv_id in {original, twin})
    assert [paper.arxiv_id for paper in host.also] == [
        ({original, twin} - {host.paper.arxiv_id}).pop()
    ]
