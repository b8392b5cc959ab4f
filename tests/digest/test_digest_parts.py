"""Small parts of the digest area: windows, interests, themes, back-off, the daily job."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email import message_from_string
from typing import Any

import numpy as np
import pytest

from likewise.digest.choose import choose
from likewise.digest.interests import (
    InterestError,
    InterestForm,
    check_email,
    check_interests,
    threshold_for,
)
from likewise.digest.plan import cut_at_word, window_for
from likewise.digest.render import SubscriberLinks, render_confirmation
from likewise.digest.runner import backoff
from likewise.digest.scheduler import DailyJob, next_run, parse_digest_time
from likewise.digest.tokens import CONFIRM, MANAGE, LinkError, LinkSigner
from likewise.models import Paper
from likewise.rank.batch_match import Pick
from likewise.store.digests import Subscriber


def _subscriber(cadence: str = "daily", last: date | None = None) -> Subscriber:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    return Subscriber(
        1, "s@example.org", True, cadence, "balanced", "secret-token", "feed", None, now, now, last
    )


DAYS = [
    date(2026, 6, 22),
    date(2026, 6, 23),
    date(2026, 6, 24),
    date(2026, 6, 25),
    date(2026, 6, 26),
    date(2026, 6, 29),
    date(2026, 6, 30),
]


def test_daily_windows_cover_every_day_since_the_last_digest_once() -> None:
    assert window_for(_subscriber(), DAYS) == (date(2026, 6, 30), date(2026, 6, 30))
    assert window_for(_subscriber(last=date(2026, 6, 25)), DAYS) == (
        date(2026, 6, 26),
        date(2026, 6, 30),
    )
    assert window_for(_subscriber(last=date(2026, 6, 30)), DAYS) is None
    long_ago = window_for(_subscriber(last=date(2026, 1, 1)), DAYS)
    assert long_ago is not None and (long_ago[1] - long_ago[0]).days == 13  # capped


def test_weekly_windows_come_once_a_week() -> None:
    assert window_for(_subscriber("weekly"), DAYS) == (date(2026, 6, 24), date(2026, 6, 30))
    assert window_for(_subscriber("weekly", last=date(2026, 6, 26)), DAYS) is None
    assert window_for(_subscriber("weekly", last=date(2026, 6, 23)), DAYS) == (
        date(2026, 6, 24),
        date(2026, 6, 30),
    )


def test_interests_are_validated_and_normalised() -> None:
    checked = check_interests(
        [
            ("like", "arXiv:2403.01234v3".removeprefix("arXiv:")),
            ("category", "cs.CL"),
            ("category", "cs.CL"),
            ("trending", "5"),
            ("trending", "7"),
        ]
    )
    assert sorted((i.kind, i.value) for i in checked) == [
        ("category", "cs.CL"),
        ("like", "2403.01234"),
        ("trending", "7"),
    ]
    for kind, value in [
        ("category", "CS CL"),
        ("like", "2403"),
        ("trending", "99"),
        ("colour", "blue"),
    ]:
        with pytest.raises(InterestError):
            check_interests([(kind, value)])
    for address in [
        "",
        "a@b",
        "a b@example.org",
        "a@@example.org",
        "x" * 250 + "@e.org",
        "a@example.org\nBcc: victim@example.org",
    ]:
        with pytest.raises(InterestError):
            check_email(address)
    assert check_email(" Ada@Example.ORG ") == "ada@example.org"


def test_the_interest_form_round_trips() -> None:
    form = InterestForm(
        categories="cs.CL, cs.IR",
        authors="Ada Lovelace\n\nAlan Turing",
        searches="dense retrieval\n",
        likes="2403.01234 2401.00001",
        trending="3",
    )
    interests = check_interests(form.pairs())
    again = InterestForm.from_interests(interests)
    assert sorted(again.pairs()) == sorted(form.pairs())


def test_strictness_moves_the_calibrated_threshold() -> None:
    assert threshold_for("broad", 0.5) < threshold_for("balanced", 0.5) == 0.5
    assert threshold_for("strict", 0.5) > 0.5
    with pytest.raises(InterestError):
        threshold_for("very", 0.5)


def test_near_duplicates_fold_under_the_better_pick() -> None:
    papers = [
        Paper(arxiv_id=f"2606.0000{n}", title=f"Paper {n}", categories=["cs.IR"]) for n in range(3)
    ]
    vectors = np.array([[1.0, 0.0], [0.999, 0.0447], [0.0, 1.0]], dtype=np.float32)
    picks = [
        Pick(0, 0.9, "matches your search 'a'"),
        Pick(1, 0.8, "matches your search 'a'"),
        Pick(2, 0.7, "new in your categories"),
    ]
    plan = choose(_subscriber(), date(2026, 6, 30), date(2026, 6, 30), picks, papers, vectors)
    assert [theme.title for theme in plan.themes] == ["Your search 'a'", "New in cs.IR"]
    assert [p.arxiv_id for p in plan.themes[0].items[0].also] == ["2606.00001"]
    assert plan.paper_count == 3 and len(plan.records()) == 3


def test_signed_links_are_bound_to_purpose_and_key() -> None:
    signer = LinkSigner("key-one")
    signed = signer.sign(MANAGE, 7, "tok")
    assert signer.read(MANAGE, signed).subscriber_id == 7
    with pytest.raises(LinkError):
        signer.read(CONFIRM, signed)
    with pytest.raises(LinkError):
        LinkSigner("key-two").read(MANAGE, signed)


def test_the_confirmation_mail_carries_a_working_link_shape() -> None:
    subscriber = _subscriber()
    links = SubscriberLinks("https://papers.example.org/", LinkSigner("k"), subscriber)
    mail = render_confirmation(subscriber, links, "likewise@example.org")
    parsed = message_from_string(mail.message)
    assert parsed["To"] == "s@example.org" and parsed["Message-ID"] == mail.message_id
    assert links.confirm.startswith("https://papers.example.org/subscriptions/confirm/")
    assert "papers.example.org" in mail.message_id


def test_back_off_doubles_up_to_a_limit() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(30) == timedelta(hours=6)


def test_the_daily_job_runs_at_the_configured_time_and_one_at_a_time(library: Any) -> None:
    at = parse_digest_time("06:30")
    assert at == time(6, 30, tzinfo=UTC)
    assert next_run(datetime(2026, 7, 1, 6, 0, tzinfo=UTC), at) == datetime(
        2026, 7, 1, 6, 30, tzinfo=UTC
    )
    assert next_run(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), at) == datetime(
        2026, 7, 2, 6, 30, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="HH:MM"):
        parse_digest_time("half past six")
    job = DailyJob(library, at)
    assert job.run_once() and job.runs == 1


def test_long_text_is_cut_at_a_word_and_short_text_is_only_tidied() -> None:
    assert cut_at_word("  a   short\ntitle ", 80) == "a short title"
    assert cut_at_word("graph neural networks for molecules", 20) == "graph neural…"
    assert cut_at_word("graph neural networks, molecules", 23, " …") == "graph neural networks …"
    assert cut_at_word("x" * 30, 10) == "x" * 10 + "…"
