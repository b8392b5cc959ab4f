"""Notes that papers were stored which a derived index may not hold yet: one empty file per
note in a folder, each under a fresh name, so that a publisher removes exactly the notes it
saw before reading the catalog, and any note written later survives for the next publish."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


class PendingNotes:
    """The notes in one folder. Writing or removing them is best effort: a home that
    cannot be written has no notes, and its ingests publish as before."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._mine: Path | None = None  # this writer's note after its latest changing commit
        self._provisional: Path | None = None

    def before_commit(self) -> None:
        """A provisional note, in case this process dies during or just after the commit."""
        self._provisional = self._create()

    def after_commit(self, changed: bool) -> None:
        """Keep one note written after the commit when it changed papers; otherwise drop
        the provisional one (an unchanged batch leaves nothing to publish)."""
        provisional, self._provisional = self._provisional, None
        fresh = self._create() if changed else None
        if changed and fresh is None:
            fresh, provisional = provisional, None  # could not write: keep the one there is
        for stale in (provisional, self._mine if fresh is not None else None):
            if stale is not None:
                stale.unlink(missing_ok=True)
        if fresh is not None:
            self._mine = fresh

    def _create(self) -> Path | None:
        path = self.folder / f"{uuid.uuid4().hex}.note"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except OSError:
            return None
        return path

    def present(self) -> list[Path]:
        try:
            return [path for path in self.folder.iterdir() if path.suffix == ".note"]
        except OSError:
            return []

    def any(self) -> bool:
        return bool(self.present())

    def remove(self, notes: list[Path]) -> None:
        """Drop notes a publish has covered (the notes seen before it read the catalog)."""
        for path in notes:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        if self._mine in notes:
            self._mine = None
