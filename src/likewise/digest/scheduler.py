"""The daily digest job inside `likewise serve`: one run a day at `digest_time` (UTC).

Started by the web app's lifespan when the setting is set. With several workers, each starts
a job, but a file lock under HOME lets one run at a time, and the outbox makes a second run
harmless anyway. Without `likewise serve`, use cron or a systemd timer (docs/digest.md).
"""

from __future__ import annotations

import fcntl
import logging
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from likewise.library import Library

_log = logging.getLogger(__name__)


def parse_digest_time(text: str) -> time:
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
        return time(hours, minutes, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"digest_time must be HH:MM (24-hour, UTC), not {text!r}") from None


def next_run(after: datetime, at: time) -> datetime:
    """The first moment at `at` strictly after `after`."""
    candidate = datetime.combine(after.date(), at.replace(tzinfo=None), UTC)
    return candidate if candidate > after else candidate + timedelta(days=1)


class DailyJob:
    """A daemon thread that sleeps until the next run time, runs, and repeats until stopped."""

    def __init__(self, library: Library, at: time) -> None:
        self.library = library
        self.at = at
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="likewise-digest", daemon=True)
        self.runs = 0

    def start(self) -> DailyJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            now = datetime.now(UTC)
            wait = (next_run(now, self.at) - now).total_seconds()
            if self._stopped.wait(wait):
                return
            self.run_once()

    def run_once(self) -> bool:
        """One run unless another process holds the lock; True when this one ran."""
        lock_path = Path(self.library.settings.home) / "digest.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                _log.info("another process is running the digest; skipping")
                return False
            try:
                report = self.library.digests.run_digests()
                for line in report.lines():
                    _log.info("digest: %s", line)
            except Exception:  # a failed run must not kill the web server's job thread
                _log.exception("the digest run failed; the next run resumes it")
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        self.runs += 1
        return True


def start_daily_job(library: Library) -> DailyJob:
    """Start the job at the `digest_time` setting; call `.stop()` on shutdown."""
    return DailyJob(library, parse_digest_time(library.settings.digest_time)).start()
