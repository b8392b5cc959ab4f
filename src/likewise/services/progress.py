"""A progress bar for long passes over the catalog (embedding, sentence backfill): rich on
stderr, or nothing."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A rich progress bar with rate and ETA on stderr, or nothing."""

    def __init__(self, enabled: bool, estimate: int, label: str = "embedding") -> None:
        self._progress: Any = None
        self._task: Any = None
        self._total = estimate
        self._done = 0
        if not enabled:
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
            console=Console(file=sys.stderr),
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=max(estimate, 1), rate="")

    def advance(self, count: int) -> None:
        self._done += count
        # The estimate counts new papers only; changed ones stretch the total as they come.
        self._total = max(self._total, self._done)
        if self._progress is None:
            return
        self._progress.update(self._task, completed=self._done, total=self._total)
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, rate=f"{speed:.1f} papers/s" if speed else "")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
