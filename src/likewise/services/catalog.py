"""Catalog service: ingest any source batch by batch, report status, show a paper.

Each batch is one store transaction carrying its checkpoint, so an interrupted ingest keeps
what it committed and the next run resumes from the stored checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from likewise.index.pending import PendingNotes
from likewise.ingest.base import Batch, IngestError, Source, total_of
from likewise.ingest.factory import open_file_source, recent_network_sources
from likewise.ingest.http import PoliteClient
from likewise.ingest.ids import InvalidArxivIdError, parse_arxiv_id
from likewise.models import IngestSummary, Paper
from likewise.services.lexical import LexicalIndexService
from likewise.services.near_duplicates import NearDuplicateService
from likewise.settings import Settings
from likewise.store.base import CatalogStatus, CatalogStore

DEFAULT_BATCH_SIZE = 2000
_log = logging.getLogger(__name__)


def _short(label: str, width: int = 28) -> str:
    """A source name that leaves room for the bar: ``jsonl:…/papers.jsonl.gz``."""
    kind, _, rest = label.partition(":")
    name = Path(rest).name if "/" in rest else rest
    shown = f"{kind}:{name}" if rest else kind
    return shown if len(shown) <= width else shown[: width - 1] + "…"


class _IngestProgress:
    """A rich progress bar with papers/s and ETA (ETA only when the input size is known)."""

    def __init__(self, enabled: bool, label: str, total: int | None) -> None:
        self.enabled = enabled
        self.total = total
        self.papers = 0
        self.started = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        console = Console(stderr=True)
        # Without a terminal (logs, pipes, tests) a bar is noise; the summary says it all.
        if enabled and console.is_terminal:
            columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
            columns += [TextColumn("{task.fields[papers]} papers, {task.fields[rate]}/s")]
            columns += [TimeElapsedColumn(), TimeRemainingColumn()]
            self._bar = Progress(*columns, console=console, transient=False)
            self._task = self._bar.add_task(_short(label), total=total, papers=0, rate="-")

    def __enter__(self) -> _IngestProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def advance(self, batch: Batch, read: int) -> None:
        self.papers += read
        if self._bar is None or self._task is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = f"{self.papers / elapsed:,.0f}"
        completed = batch.position if self.total is not None else None
        self._bar.update(self._task, completed=completed, papers=self.papers, rate=rate)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()


class CatalogService:
    """Bring papers in and see what is there."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        lexical: LexicalIndexService,
        near_duplicates: NearDuplicateService | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._lexical = lexical
        self._near_duplicates = near_duplicates  # None: records are not checked at ingest
        # Where this library's arXiv requests go instead of the network (tests: recorded files).
        self.transport: httpx.BaseTransport | None = None

    def ingest(
        self, source: Source, *, progress: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IngestSummary:
        """Store everything the source yields, one transaction per batch.

        A fatal source problem (unreachable host, unreadable file) ends the run with
        ``summary.error`` set; batches committed before it stay, and no sync is recorded.
        Whenever papers were stored (even before a failure), or an earlier run stored papers
        and was killed before publishing them, the published lexical index is brought up to
        date afterwards.
        """
        summary = IngestSummary(source=source.name)
        notes = self._lexical.lexical_notes()
        try:
            return self._ingest_batches(source, summary, progress, batch_size, notes)
        finally:
            # Also after a failure: the batches committed before it are searchable too.
            if summary.inserted or summary.updated or self._lexical.lexical_index_pending():
                self._index_stored_text(source.name)
            if summary.inserted or summary.updated:
                self.check_near_duplicates(source.name)

    def _ingest_batches(
        self,
        source: Source,
        summary: IngestSummary,
        progress: bool,
        batch_size: int,
        notes: PendingNotes,
    ) -> IngestSummary:
        checkpoint = self._store.get_checkpoint(source.name)
        with _IngestProgress(progress, source.name, total_of(source)) as bar:
            try:
                for batch in source.batches(checkpoint, batch_size):
                    self._store_batch(source, batch, summary, notes)
                    bar.advance(batch, len(batch.papers))
            except IngestError as error:
                summary.error = str(error)
                return summary
        self._store.record_sync(
            source.name,
            finished=datetime.now(UTC),
            stored=summary.inserted + summary.updated + summary.unchanged,
            rejected=len(summary.rejected),
        )
        return summary

    def _index_stored_text(self, source_name: str) -> None:
        """New and changed papers into the published lexical index (services/lexical.py)."""
        try:
            self._lexical.update_lexical_index()
        except Exception as error:  # stored all the same; `likewise reindex` catches up
            _log.warning("ingested %s; the lexical index is not updated: %s", source_name, error)

    def check_near_duplicates(self, source_name: str) -> None:
        """New and changed papers against the catalog for records of one work; a paper
        left unchecked (a failure here) is checked by the next ingest or the backfill."""
        if self._near_duplicates is None:
            return
        try:
            self._near_duplicates.update()
        except Exception as error:  # stored all the same; `likewise duplicates update` catches up
            _log.warning("ingested %s; near-duplicates are not checked: %s", source_name, error)

    def _store_batch(
        self, source: Source, batch: Batch, summary: IngestSummary, notes: PendingNotes
    ) -> None:
        summary.read += len(batch.papers) + len(batch.rejected) + batch.matched
        summary.rejected.extend(batch.rejected)
        summary.notes.extend(batch.notes)
        summary.matched += batch.matched
        if not batch.papers and not batch.announcements and batch.checkpoint is None:
            return
        for paper in batch.papers:
            paper.source = source.name  # status counts papers per source under this name
        if batch.papers:
            # Before and after the commit: a kill anywhere leaves a note that the lexical
            # index may not hold these papers, and a publish that read the catalog before
            # this commit cannot have removed the note written after it.
            notes.before_commit()
        counts = self._store.upsert_papers(
            batch.papers,
            source=source.name,
            announcements=batch.announcements,
            checkpoint=batch.checkpoint,
        )
        if batch.papers:
            notes.after_commit(changed=bool(counts.inserted or counts.updated))
        summary.inserted += counts.inserted
        summary.updated += counts.updated
        summary.unchanged += counts.unchanged

    # -- sources named by settings ---------------------------------------------------------------
    def http_client(self) -> PoliteClient:
        """A polite arXiv client configured by the settings (transport swapped in tests)."""
        settings = self._settings
        return PoliteClient(
            interval=settings.request_interval,
            retries=settings.request_retries,
            timeout=settings.request_timeout,
            transport=self.transport,
        )

    def use_transport(self, transport: httpx.BaseTransport | None) -> None:
        """Send this library's arXiv requests through ``transport`` (tests: recorded files)."""
        self.transport = transport

    def file_source(
        self, path: Path, *, file_format: str = "auto", recent_days: int | None = None
    ) -> Source:
        """A JSON-lines, snapshot or BibTeX file; BibTeX entries are matched to stored papers."""
        store = self._store
        return open_file_source(
            path,
            file_format=file_format,
            recent_days=recent_days,
            find_match=store.find_by_doi_or_title,
            is_stored=lambda arxiv_id: store.get_paper(arxiv_id) is not None,
        )

    def recent_sources(
        self,
        client: PoliteClient,
        *,
        days: int | None = None,
        categories: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> list[Source]:
        """The latest announcement days of the followed categories, from arXiv."""
        settings = self._settings
        return recent_network_sources(
            client,
            api_url=settings.arxiv_api_url,
            feed_url=settings.arxiv_rss_url,
            categories=list(categories or settings.categories),
            days=days if days is not None else settings.initial_days,
            now=now,
        )

    # -- looking -------------------------------------------------------------------------------
    def status(self) -> CatalogStatus:
        """Papers per source and category, newest announcement day, syncs and gaps."""
        return self._store.status()

    def show(self, arxiv_id: str) -> Paper | None:
        """The stored paper for an id in any form (``arXiv:2403.01234v2``, abs URL, local id)."""
        text = arxiv_id.strip()
        if not text.startswith("local:"):
            try:
                text = parse_arxiv_id(text).bare
            except InvalidArxivIdError:
                return None
        return self._store.get_paper(text)
