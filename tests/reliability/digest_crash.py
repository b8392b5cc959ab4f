"""Crash injection for digest runs: a real `likewise digest run` mails N subscribers through a
real SMTP server (aiosmtpd on loopback, in this process), is SIGKILLed at a seeded random
moment, is run again, and the mail is counted at the server per recipient and Message-ID.

Shared by tests/reliability/test_crash_digest.py (CI) and bench/crash_digest.py (longer runs).
Every kill gets a fresh digest (a new announcement day, so every subscriber is due again).
Kill moments are stratified: kill i of n falls at a random moment in the i-th of n equal
slices of a clean run's duration, so the points cover start-up, composing and sending.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from digest_zygote import Zygote, zygote
from sqlalchemy import create_engine, text

import likewise
from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind, Paper
from likewise.settings import Settings

FIRST_DAY = date(2026, 3, 2)
SECRET = "crash-test-secret-key-0123456789abcdef"
LEASE_SECONDS = 1.0  # how soon a rerun takes over what the killed run held
CATEGORIES = ("cs.IR", "cs.CL")


class Mailbox:
    """aiosmtpd handler: every accepted (recipient, Message-ID), in order of acceptance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser(policy=compat32).parsebytes(envelope.content)
        message_id = str(headers["Message-ID"] or "").strip()
        with self._lock:
            self._received += [(str(to).lower(), message_id) for to in envelope.rcpt_tos]
        return "250 2.0.0 OK"

    def count(self) -> int:
        with self._lock:
            return len(self._received)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._received[mark:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass(slots=True)
class KillPoint:
    """One row of the table: what a kill left and what the rerun made of it."""

    number: int
    delay: float  # seconds after the start
    phase: str  # what the run was doing when killed
    composed: int  # digests stored before the kill
    held: int  # rows the killed run held (sending, or handed over and unconfirmed)
    before: int  # messages the server accepted before the kill
    after: int  # messages of this digest at the server after the rerun
    duplicates: int
    missing: int
    unconfirmed: int  # of the missing, reported by the rerun as "not confirmed"
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def header() -> str:
        return (
            f"{'kill':>4} {'at ms':>7} {'phase':<10} {'composed':>8} {'held':>4} "
            f"{'sent before':>11} {'after rerun':>11} {'duplicates':>10} {'missing':>7} "
            f"{'unconfirmed':>11}  problems"
        )

    def line(self) -> str:
        return (
            f"{self.number:>4} {self.delay * 1000:>7.0f} {self.phase:<10} {self.composed:>8} "
            f"{self.held:>4} {self.before:>11} {self.after:>11} {self.duplicates:>10} "
            f"{self.missing:>7} {self.unconfirmed:>11}  {'; '.join(self.problems) or 'none'}"
        )


class DigestCrashScenario:
    """A catalog with N confirmed subscribers, and the real `likewise digest run` over it."""

    def __init__(
        self, home: Path, database_url: str, subscribers: int, smtp_port: int, zygote: Zygote
    ):
        self.home = home
        self.zygote = zygote
        self.database_url = database_url
        self.subscribers = subscribers
        self.settings = Settings(
            home=home,
            database_url=database_url,
            embedder="fake",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_starttls=False,
            secret_key=SECRET,
            base_url="http://127.0.0.1:8000",
            mail_from="digest@likewise.test",
            digest_lease_seconds=LEASE_SECONDS,
        )
        self.day = FIRST_DAY - timedelta(days=1)
        self.engine = create_engine(database_url)

    def environment(self) -> dict[str, str]:
        source = str(Path(likewise.__file__).resolve().parents[1])
        values = {
            "LIKEWISE_HOME": str(self.home),
            "LIKEWISE_DATABASE_URL": self.database_url,
            "LIKEWISE_EMBEDDER": "fake",
            "LIKEWISE_SMTP_HOST": "127.0.0.1",
            "LIKEWISE_SMTP_PORT": str(self.settings.smtp_port),
            "LIKEWISE_SMTP_STARTTLS": "false",
            "LIKEWISE_SECRET_KEY": SECRET,
            "LIKEWISE_BASE_URL": self.settings.base_url,
            "LIKEWISE_MAIL_FROM": self.settings.mail_from,
            "LIKEWISE_DIGEST_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]),
        }
        return {**os.environ, **values}

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with Library.open(self.settings) as library:
            for number in range(self.subscribers):
                category = CATEGORIES[number % 2]
                interests = [("category", category)]
                if number % 3 == 0:
                    interests.append(("author", f"Author {number % 7}"))
                library.digests.add_subscriber(f"reader{number:04d}@example.org", interests)

    def next_day(self) -> date:
        """Announce four new papers (two per category) on the next day: everyone is due."""
        self.day += timedelta(days=1)
        serial = (self.day - FIRST_DAY).days
        papers, announcements = [], []
        for slot in range(4):
            arxiv_id = f"2603.{serial * 4 + slot + 1:05d}"
            papers.append(
                Paper(
                    arxiv_id=arxiv_id,
                    title=f"Findings {serial}-{slot} on retrieval and language",
                    abstract=f"Paper {slot} of day {serial}: retrieval, parsing and models.",
                    authors=[f"Author {slot}", f"Author {(serial + slot) % 7}"],
                    categories=[CATEGORIES[slot % 2]],
                    announced=self.day,
                )
            )
            announcements.append(Announcement(arxiv_id, self.day, AnnouncementKind.NEW))
        with Library.open(self.settings) as library:
            library.store.upsert_papers(papers, source="crash-test", announcements=announcements)
            library.vectors.update_vectors()
        return self.day

    def run(self, kill_after: float | None) -> tuple[int, str, float]:
        """Run `likewise digest run`; SIGKILL it after `kill_after` seconds if still running.
        (exit code, output, seconds)."""
        output = self.home / "run.log"
        request = {
            "argv": ["digest", "run"],
            "env": self.environment(),
            "cwd": str(self.home),
            "output": str(output),
            "kill_after": kill_after,
        }
        output.unlink(missing_ok=True)
        answer = self.zygote.run(request)
        code = int(answer["code"])
        # A child killed before it opened its log (by us, or by the system) wrote nothing.
        text_out = output.read_text("utf-8", "replace") if output.exists() else ""
        return code, text_out or f"(no output; exit {code})", float(answer["seconds"])

    # -- what the store holds -----------------------------------------------------------------
    def rows_of(self, day: date) -> list[Any]:
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    text(
                        "SELECT subscriber_id, recipient, message_id, state, sent_at, "
                        "claimed_at, last_error FROM outbox "
                        "WHERE kind = 'digest' AND window_end = :day"
                    ),
                    {"day": day},
                )
            )

    def store_problems(self, day: date) -> list[str]:
        """Duplicate or orphan rows, rows not sent, windows not moved on, a damaged file."""
        queries = {
            "duplicate outbox rows": "SELECT count(*) FROM (SELECT 1 FROM outbox "
            "GROUP BY subscriber_id, kind, window_end HAVING count(*) > 1) AS d",
            "duplicate Message-IDs": "SELECT count(*) FROM (SELECT 1 FROM outbox "
            "GROUP BY message_id HAVING count(*) > 1) AS d",
            "orphan outbox rows": "SELECT count(*) FROM outbox WHERE subscriber_id IS NULL "
            "OR subscriber_id NOT IN (SELECT id FROM subscribers)",
            "suggestions without mail": "SELECT count(*) FROM suggested s WHERE NOT EXISTS "
            "(SELECT 1 FROM outbox o WHERE o.id = s.outbox_id)",
            "duplicate suggestions": "SELECT count(*) FROM (SELECT 1 FROM suggested "
            "GROUP BY subscriber_id, arxiv_id HAVING count(*) > 1) AS d",
            "rows not sent": "SELECT count(*) FROM outbox WHERE state <> 'sent'",
        }
        problems: list[str] = []
        with self.engine.connect() as connection:
            for name, query in queries.items():
                found = int(connection.execute(text(query)).scalar_one())
                if found:
                    problems.append(f"{found} {name}")
            behind = int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM subscribers WHERE last_window_end IS NULL "
                        "OR last_window_end <> :day"
                    ),
                    {"day": day},
                ).scalar_one()
            )
            if behind:
                problems.append(f"{behind} subscribers' window not at {day}")
            if self.engine.dialect.name == "sqlite":
                check = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
                if check != ["ok"]:
                    problems.append(f"integrity_check: {check[:3]}")
                broken = list(connection.execute(text("PRAGMA foreign_key_check")))
                if broken:
                    problems.append(f"{len(broken)} foreign-key violations")
        return problems

    def phase(self, day: date) -> tuple[str, int, int]:
        """(phase, digests composed, rows held) as a kill left them."""
        rows = self.rows_of(day)
        held = sum(
            1
            for row in rows
            if row.state == "sending" or (row.state == "sent" and row.sent_at is None)
        )
        sent = sum(1 for row in rows if row.state == "sent")
        if not rows:
            name = "start-up"
        elif len(rows) < self.subscribers:
            name = "composing"
        elif sent < len(rows):
            name = "sending"
        else:
            name = "finished"
        return name, len(rows), held


def check_digest(
    scenario: DigestCrashScenario, mailbox: Mailbox, mark: int, day: date
) -> tuple[int, int, int, int, list[str]]:
    """(messages of this digest at the server, duplicates, missing, missing-but-reported,
    problems) once the rerun is done."""
    rows = scenario.rows_of(day)
    expected = {(str(row.recipient).lower(), str(row.message_id)): row for row in rows}
    received = mailbox.since(mark)
    known = {message_id for _, message_id in expected}
    ours = [pair for pair in received if pair[1] in known]
    counts = Counter(ours)
    duplicates = sum(count - 1 for count in counts.values())
    absent = [row for pair, row in expected.items() if pair not in counts]
    reported = sum(1 for row in absent if str(row.last_error or "").startswith("delivery not"))
    missing = len(absent) + (scenario.subscribers - len(rows))
    problems = scenario.store_problems(day)
    strays = len(received) - len(ours)
    if strays:
        problems.append(f"{strays} messages at the server with no outbox row of this digest")
    return len(ours), duplicates, missing, reported, problems


def crash_digests(
    home: Path,
    database_url: str,
    *,
    subscribers: int,
    kills: int,
    seed: int,
    echo: bool = False,
) -> tuple[float, list[KillPoint]]:
    """A clean run (its duration sets the kill moments), then `kills` killed runs, each
    followed by a rerun. (clean run seconds, one KillPoint per kill)."""
    with smtp_server() as (mailbox, port), zygote() as runner:
        scenario = DigestCrashScenario(home, database_url, subscribers, port, runner)
        try:
            scenario.prepare()
            clean = _clean_run(scenario, mailbox)
            if echo:
                print(f"clean run: {subscribers} digests in {clean:.2f} s", flush=True)
                print(KillPoint.header(), flush=True)
            rng = random.Random(seed)
            points: list[KillPoint] = []
            for number in range(kills):
                delay = rng.uniform(number * clean / kills, (number + 1) * clean / kills)
                points.append(_kill_and_rerun(scenario, mailbox, number + 1, delay))
                if echo:
                    print(points[-1].line(), flush=True)
        finally:
            scenario.engine.dispose()
    return clean, points


def _clean_run(scenario: DigestCrashScenario, mailbox: Mailbox) -> float:
    day = scenario.next_day()
    mark = mailbox.count()
    code, output, seconds = scenario.run(None)
    if code != 0:
        raise RuntimeError(f"the clean digest run failed ({code}):\n{output}")
    sent, duplicates, missing, _, problems = check_digest(scenario, mailbox, mark, day)
    if (sent, duplicates, missing, problems) != (scenario.subscribers, 0, 0, []):
        raise RuntimeError(f"the clean run is wrong: {sent} sent, {problems}\n{output}")
    return seconds


def _kill_and_rerun(
    scenario: DigestCrashScenario, mailbox: Mailbox, number: int, delay: float
) -> KillPoint:
    day = scenario.next_day()
    mark = mailbox.count()
    code, _, _ = scenario.run(delay)
    time.sleep(0.2)  # the server finishes a message whose end of DATA it has read
    before = len(mailbox.since(mark))
    phase, composed, held = scenario.phase(day)
    if code != -signal.SIGKILL:
        phase = "finished" if code == 0 else f"exit {code}"
    rerun_code, rerun_output, _ = scenario.run(None)
    after, duplicates, missing, reported, problems = check_digest(scenario, mailbox, mark, day)
    if rerun_code != 0:
        problems.append(f"rerun exit {rerun_code}: {rerun_output[-300:]}")
    if held and "held by an earlier or concurrent run" not in rerun_output:
        problems.append("rerun did not report the held mail")
    return KillPoint(
        number, delay, phase, composed, held, before, after, duplicates, missing, reported, problems
    )


def summary(points: list[KillPoint]) -> str:
    killed = [point for point in points if point.phase not in ("finished",)]
    return (
        f"{len(points)} kills ({len(killed)} mid-run: "
        f"{sum(p.phase == 'start-up' for p in points)} at start-up, "
        f"{sum(p.phase == 'composing' for p in points)} composing, "
        f"{sum(p.phase == 'sending' for p in points)} sending); "
        f"duplicates {sum(p.duplicates for p in points)}, "
        f"missing {sum(p.missing for p in points)} "
        f"(of them reported unconfirmed {sum(p.unconfirmed for p in points)}), "
        f"store problems {sum(len(p.problems) for p in points)}"
    )
