"""The daily list's order: upvotes, then announcement day, then arXiv number; hidden left out."""

from __future__ import annotations

from datetime import date

from likewise.rank.daily import Listed, arxiv_recency, newest_first, order_daily

MONDAY, TUESDAY = date(2025, 3, 17), date(2025, 3, 18)


def test_upvotes_come_before_recency() -> None:
    listed = [Listed("2503.00001", MONDAY), Listed("2503.00002", TUESDAY)]
    ordered = order_daily(listed, {"2503.00001": 2})
    assert [item.arxiv_id for item in ordered] == ["2503.00001", "2503.00002"]


def test_without_votes_the_newest_day_then_the_highest_number_comes_first() -> None:
    listed = [
        Listed("2503.00009", MONDAY),
        Listed("2503.00010", TUESDAY),
        Listed("2503.00011", TUESDAY),
    ]
    ordered = order_daily(listed, {})
    assert [item.arxiv_id for item in ordered] == ["2503.00011", "2503.00010", "2503.00009"]


def test_a_paper_listed_twice_appears_once_on_its_latest_day() -> None:
    ordered = order_daily([Listed("2503.1", MONDAY), Listed("2503.1", TUESDAY)], {})
    assert ordered == [Listed("2503.1", TUESDAY)]


def test_hidden_papers_are_left_out() -> None:
    listed = [Listed("2503.00001", MONDAY), Listed("2503.00002", MONDAY)]
    ordered = order_daily(listed, {}, hidden=frozenset({"2503.00002"}))
    assert [item.arxiv_id for item in ordered] == ["2503.00001"]


def test_recency_orders_new_and_old_style_ids_by_submission_month() -> None:
    assert arxiv_recency("2503.11677") == (202503, 11677)
    assert arxiv_recency("hep-th/9901001") == (199901, 1)
    assert arxiv_recency("math/0703001") == (200703, 1)
    assert arxiv_recency("local:abc") == (0, 0)
    ids = ["hep-th/9901001", "2503.00002", "0704.0001", "2412.99999"]
    assert newest_first(ids) == ["2503.00002", "2412.99999", "0704.0001", "hep-th/9901001"]
