"""Digest runs over a real store: matching, themes, exactly-once composing and sending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_string
from typing import Any

import numpy as np
import pytest

from likewise.digest.mailer import PermanentMailError, TemporaryMailError
from likewise.models import Announcement, AnnouncementKind, Paper

DAY_TWO = date(2026, 6, 30)  # the newest announcement day of the `catalog` fixture


class RecordingMailer:
    """Keeps what it was given; can fail on chosen calls (counted from 1)."""

    def __init__(self, crash_on: int | None = None, errors: dict[int, Exception] | None = None):
        self.sent: list[str] = []
        self.calls = 0
        self.crash_on = crash_on
        self.errors = errors or {}

    def send(self, message: str, handover: Callable[[], bool]) -> bool:
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError("the process died here")
        if self.calls in self.errors:
            raise self.errors[self.calls]
        if not handover():  # another runner owns the row now: the message is not sent
            return False
        self.sent.append(message)
        return True

    def close(self) -> None:
        pass


class FakeClock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)


def _recipients(mailer: RecordingMailer) -> list[str]:
    return sorted(str(message_from_string(raw)["To"]) for raw in mailer.sent)


def test_a_digest_groups_matches_by_theme_and_folds_near_duplicates(catalog: Any) -> None:
    catalog.digests.add_subscriber(
        "reader@example.org",
        [("search", "contrastive retrieval encoders"), ("author", "Grace Hopper")],
    )
    (plan,) = catalog.digests.plan_digests()
    assert plan.window_start == plan.window_end == DAY_TWO
    titles = [theme.title for theme in plan.themes]
    assert titles == ["Authors you follow", "Your search 'contrastive retrieval encoders'"]
    authors, search = plan.themes
    assert [item.paper.arxiv_id for item in authors.items] == ["2606.00005"]
    assert authors.items[0].reason == "by Grace Hopper"
    (match,) = search.items
    # 00003 and 00004 share their abstract: one is shown, the other folded under it.
    assert {match.paper.arxiv_id, *(p.arxiv_id for p in match.also)} == {"2606.00003", "2606.00004"}
    assert match.reason == "matches your search 'contrastive retrieval encoders'"


def test_followed_authors_count_outside_the_chosen_categories(catalog: Any) -> None:
    catalog.digests.add_subscriber(
        "ir@example.org", [("category", "cs.IR"), ("author", "Grace Hopper")]
    )
    (plan,) = catalog.digests.plan_digests()
    shown = {item.paper.arxiv_id: item.reason for t in plan.themes for item in t.items}
    assert shown["2606.00005"] == "by Grace Hopper"  # cs.RO, yet by a followed author
    assert "2606.00003" in shown and "2606.00006" not in shown


def test_a_crash_mid_send_resumes_without_sending_twice_or_losing_mail(catalog: Any) -> None:
    for number in range(4):
        catalog.digests.add_subscriber(f"s{number}@example.org", [("category", "cs.IR")])
    crashing = RecordingMailer(crash_on=3)
    with pytest.raises(RuntimeError):
        catalog.digests.run_digests(mailer=crashing)
    assert len(crashing.sent) == 2
    # The row being sent at the crash stays claimed; after the lease it is retried.
    later = FakeClock()
    later.moment += timedelta(hours=1)
    again = RecordingMailer()
    report = catalog.digests.run_digests(mailer=again, clock=later)
    assert report.composed == 0 and report.already_done == 0  # windows already covered
    assert _recipients(crashing) + _recipients(again) == sorted(
        f"s{number}@example.org" for number in range(4)
    )
    # The retried message is the stored one: same Message-ID as composed.
    counts = catalog.digests.repository.outbox_counts()
    assert counts["sent"] == 4 and counts["pending"] == counts["sending"] == 0
    assert catalog.digests.run_digests(mailer=RecordingMailer(), clock=later).sent == 0


def test_a_crash_after_composing_sends_the_stored_digests_next_run(catalog: Any) -> None:
    catalog.digests.add_subscriber("a@example.org", [("category", "cs.IR")])
    report = catalog.digests.run_digests()  # no SMTP configured: composed and stored only
    assert report.composed == 1 and report.waiting == 1
    mailer = RecordingMailer()
    second = catalog.digests.run_digests(mailer=mailer)
    assert second.composed == 0 and second.sent == 1
    assert _recipients(mailer) == ["a@example.org"]


def test_a_paper_is_suggested_to_a_subscriber_at_most_once_ever(catalog: Any) -> None:
    catalog.digests.add_subscriber("once@example.org", [("category", "cs.IR")])
    first = RecordingMailer()
    catalog.digests.run_digests(mailer=first)
    # A new announcement day re-lists 00003 (a new version) next to a genuinely new paper.
    next_day = DAY_TWO + timedelta(days=1)
    newer = Paper(
        arxiv_id="2607.00001",
        title="Sparse retrieval with learned term weights",
        abstract="Learned sparse retrieval.",
        categories=["cs.IR"],
        authors=["X Y"],
        announced=next_day,
    )
    catalog.store.upsert_papers(
        [newer],
        source="test",
        announcements=[
            Announcement("2607.00001", next_day, AnnouncementKind.NEW),
            Announcement("2606.00003", next_day, AnnouncementKind.CROSS_LIST),
        ],
    )
    catalog.vectors.update_vectors()
    second = RecordingMailer()
    catalog.digests.run_digests(mailer=second)
    (message,) = second.sent
    assert "2607.00001" in message and "2606.00003" not in message
    history = [
        entry.arxiv_id
        for entry in catalog.digests.repository.suggestions_of(
            catalog.digests.repository.find_by_email("once@example.org").id
        )
    ]
    assert len(history) == len(set(history))


def test_temporary_failures_back_off_and_permanent_ones_are_recorded(catalog: Any) -> None:
    catalog.digests.add_subscriber("busy@example.org", [("category", "cs.IR")])
    catalog.digests.add_subscriber("gone@example.org", [("category", "cs.IR")])
    mailer = RecordingMailer(
        errors={
            1: TemporaryMailError("SMTP 451: try later"),
            2: PermanentMailError("SMTP 550: no such user"),
        }
    )
    clock = FakeClock()
    report = catalog.digests.run_digests(mailer=mailer, clock=clock, patience=600)
    assert report.sent == 1 and report.retried == 1
    assert max(clock.slept) == pytest.approx(60.0, abs=1.0)  # a back-off of one minute
    assert _recipients(mailer) == ["busy@example.org"]
    (failure,) = catalog.digests.outbox_failures()
    assert failure.recipient == "gone@example.org"
    assert "550" in (failure.last_error or "")
    assert report.failed == [("gone@example.org", "SMTP 550: no such user")]


def test_a_subscriber_with_no_interests_gets_nothing_and_is_told_so(catalog: Any) -> None:
    subscriber = catalog.digests.add_subscriber("empty@example.org", [("search", "   ")])
    assert "your saved search is empty" in " ".join(
        catalog.digests.subscription_problems(subscriber)
    )
    plans = catalog.digests.plan_digests()
    assert plans and plans[0].themes == []
    assert catalog.digests.run_digests(mailer=RecordingMailer()).nothing_new == 1


def test_unknown_liked_ids_are_reported(catalog: Any) -> None:
    subscriber = catalog.digests.add_subscriber(
        "likes@example.org", [("like", "2606.00001"), ("like", "2101.99999v2")]
    )
    problems = catalog.digests.subscription_problems(subscriber)
    assert any("unknown ids" in problem and "2101.99999" in problem for problem in problems)
    assert not any("2606.00001" in problem for problem in problems)


def test_weekly_subscribers_get_the_whole_week_once(catalog: Any) -> None:
    catalog.digests.add_subscriber("week@example.org", [("category", "cs.IR")], cadence="weekly")
    (plan,) = catalog.digests.plan_digests()
    assert plan.window_end == DAY_TWO and (plan.window_end - plan.window_start).days == 6
    shown = {item.paper.arxiv_id for theme in plan.themes for item in theme.items}
    assert "2606.00001" in shown  # announced the day before
    catalog.digests.run_digests(mailer=RecordingMailer())
    assert catalog.digests.plan_digests() == []


def test_saved_search_embeddings_are_cached_per_model(catalog: Any) -> None:
    subscriber = catalog.digests.add_subscriber(
        "cache@example.org", [("search", "dense retrieval")]
    )
    catalog.digests.plan_digests()
    stored = catalog.digests.repository.get_subscriber(subscriber.id)
    (interest,) = stored.interests
    assert interest.vector_model == catalog.embedding.get().model_id
    assert interest.vector is not None and interest.calibration is not None
    cached = np.frombuffer(interest.vector, dtype=np.float32)
    assert np.allclose(cached, catalog.embedding.get().embed_query("dense retrieval"))


def test_two_runners_at_once_compose_and_send_each_digest_once(catalog: Any) -> None:
    import threading

    for number in range(6):
        catalog.digests.add_subscriber(f"c{number}@example.org", [("category", "cs.IR")])
    mailers = [RecordingMailer(), RecordingMailer()]
    errors: list[BaseException] = []

    def run(mailer: RecordingMailer) -> None:
        try:
            catalog.digests.run_digests(mailer=mailer)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(mailer,)) for mailer in mailers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    delivered = _recipients(mailers[0]) + _recipients(mailers[1])
    assert sorted(delivered) == [f"c{number}@example.org" for number in range(6)]
    assert catalog.digests.repository.outbox_counts()["sent"] == 6


def test_a_run_right_after_a_crash_reports_held_mail_and_sends_it_when_the_lease_ends(
    catalog: Any,
) -> None:
    for number in range(6):
        catalog.digests.add_subscriber(f"k{number}@example.org", [("category", "cs.IR")])
    crashing = RecordingMailer(crash_on=3)
    with pytest.raises(RuntimeError):
        catalog.digests.run_digests(mailer=crashing)
    # The next run starts at once (cron, or an operator who saw the crash): nothing waits
    # for the next day; the mail the dead run held is reported and sent within this run.
    clock = FakeClock()
    again = RecordingMailer()
    report = catalog.digests.run_digests(mailer=again, clock=clock)
    assert _recipients(crashing) + _recipients(again) == [f"k{n}@example.org" for n in range(6)]
    assert report.held >= 1 and report.taken_over == report.held
    assert any("held by an earlier or concurrent run" in line for line in report.lines())
    assert sum(clock.slept) <= catalog.digests.repository.lease.total_seconds()
    counts = catalog.digests.repository.outbox_counts()
    assert counts["sent"] == 6 and counts["sending"] == counts["pending"] == 0


def test_a_runner_whose_claim_was_taken_over_does_not_send_that_mail(catalog: Any) -> None:
    for number in range(3):
        catalog.digests.add_subscriber(f"t{number}@example.org", [("category", "cs.IR")])
    later = FakeClock()
    later.moment += timedelta(hours=1)
    thief = RecordingMailer()

    class Stalled(RecordingMailer):
        """Stalls on its first message until a second runner has taken the row over."""

        def send(self, message: str, handover: Callable[[], bool]) -> bool:
            if self.calls == 0:
                catalog.digests.send_outbox(mailer=thief, clock=later)
            return super().send(message, handover)

    stalled = Stalled()
    report = catalog.digests.run_digests(mailer=stalled)
    assert _recipients(thief) == [f"t{number}@example.org" for number in range(3)]
    assert stalled.sent == [] and report.sent == 0 and report.lost == 1
    assert catalog.digests.repository.outbox_counts()["sent"] == 3


def test_mail_handed_over_by_a_run_killed_before_the_reply_is_reported_not_resent(
    catalog: Any,
) -> None:
    for number in range(3):
        catalog.digests.add_subscriber(f"h{number}@example.org", [("category", "cs.IR")])

    class DiesAfterHandover(RecordingMailer):
        def send(self, message: str, handover: Callable[[], bool]) -> bool:
            assert handover()
            raise RuntimeError("killed after the end of DATA, before the server's reply")

    with pytest.raises(RuntimeError):
        catalog.digests.run_digests(mailer=DiesAfterHandover())
    clock = FakeClock()
    again = RecordingMailer()
    report = catalog.digests.run_digests(mailer=again, clock=clock)
    (unconfirmed,) = report.unconfirmed
    assert unconfirmed[0] == "h0@example.org" and "not confirmed" in unconfirmed[1]
    assert _recipients(again) == ["h1@example.org", "h2@example.org"]
    assert any(line.startswith("NOT CONFIRMED") for line in report.lines())
    assert catalog.digests.repository.outbox_counts()["sent"] == 3
    assert catalog.digests.run_digests(mailer=RecordingMailer(), clock=clock).unconfirmed == []
