"""A progress report for long passes over the catalog (embedding, sentence backfill): a rich
bar on a terminal's stderr, a plain line every half minute when stderr is a log file, or
nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

LINE_EVERY_SECONDS = 30.0


class ProgressBar:
    """A rich progress bar with rate and ETA on a terminal; plain lines to a log."""

    def __init__(
        self,
        enabled: bool,
        estimate: int,
        label: str = "embedding",
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._total = estimate
        self._done = 0
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._started = clock()
        self._last_line = self._started
        self._lines = False
        if not enabled:
            return
        if not self._stream.isatty():
            # A service's log or `nohup` output: rich would print nothing until the end.
            self._lines = True
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=self._stream),
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=max(estimate, 1), rate="")

    def advance(self, count: int) -> None:
        self._done += count
        # The estimate counts new papers only; changed ones stretch the total as they come.
        self._total = max(self._total, self._done)
        if self._lines:
            now = self._clock()
            if now - self._last_line >= LINE_EVERY_SECONDS:
                self._last_line = now
                self._write_line(now, finished=False)
            return
        if self._progress is None:
            return
        self._progress.update(self._task, completed=self._done, total=self._total)
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, rate=f"{speed:.1f} papers/s" if speed else "")

    def _write_line(self, now: float, *, finished: bool) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        line = f"{self._label}: {self._done:,} of {self._total:,} papers, {rate:.1f} papers/s"
        if finished:
            line += f", done in {_duration(elapsed)}"
        elif rate > 0:
            line += f", about {_duration((self._total - self._done) / rate)} left"
        print(line, file=self._stream, flush=True)

    def close(self) -> None:
        if self._lines and self._done:
            self._write_line(self._clock(), finished=True)
        if self._progress is not None:
            self._progress.stop()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(round(seconds), 1)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
