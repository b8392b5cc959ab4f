"""Library part: the in-process BM25 index (index/inverted.py), kept in step with the catalog.

The index is derived state in files next to the catalog (index/inverted_files.py), on SQLite
and PostgreSQL alike. A process loads it once and checks it against the catalog (a fingerprint
of each paper's indexed text); it reloads when another process publishes a newer one, and a
search first adds papers stored since (their keys are above the newest indexed one). Changed
papers are picked up by `update_lexical_index` after every ingest.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from likewise.index.inverted import InvertedIndex, PaperText
from likewise.index.inverted_files import load_index, read_stamp, save_index, stamp_path
from likewise.index.persisted import stamp_identity
from likewise.index.tokens import Tokeniser
from likewise.library_parts.base import LibraryBase
from likewise.store import schema
from likewise.store.upsert import chunks

_CACHE_KEY = "lexical.index"
_LOCK_KEY = "lexical.lock"
_TOKENISER_KEY = "lexical.tokeniser"
_CHANGES_KEY = "lexical.changes"
_SIGNATURE_KEY = (
    "lexical.catalog-signature"  # papers the last synchronisation (re)indexed or dropped
)
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Loaded:
    index: InvertedIndex
    stamp_identity: tuple[int, int, int] | None


def text_fingerprint(content_hash: str, authors: str) -> int:
    """64 bits that change with the indexed text: the stored content hash covers title and
    abstract (what is embedded), the CRC the authors."""
    try:
        high = int(content_hash[:8], 16)
    except ValueError:
        high = zlib.crc32(content_hash.encode("utf-8"))
    return (high << 32) | zlib.crc32(authors.encode("utf-8"))


class LexicalOps(LibraryBase):
    """Access to and upkeep of the in-process lexical index."""

    def lexical_index(self) -> InvertedIndex:
        """The index over every paper: loaded once per process (the main segment memory-mapped,
        shared by the workers of a host), reloaded when another process published a newer
        one, with papers stored since the last update added first."""
        with self._lexical_lock():
            loaded = self._cache.get(_CACHE_KEY)
            identity = stamp_identity(stamp_path(self.settings.home))
            if not isinstance(loaded, _Loaded) or loaded.stamp_identity != identity:
                return self._lexical_synchronised(full=True)
            signature = self._catalog_signature()
            if signature is None or signature != self._cache.get(_SIGNATURE_KEY):
                # Taken before the query, so a write that lands after it is seen next time.
                self._cache[_SIGNATURE_KEY] = signature
                if self._lexical_newest_key() > loaded.index.max_key():
                    return self._lexical_synchronised(full=False)
            return loaded.index

    def update_lexical_index(self) -> int:
        """Bring the index in step with the catalog (new, changed and deleted papers) and
        publish it; returns how many papers were (re)indexed or dropped."""
        with self._lexical_lock():
            self._cache[_CHANGES_KEY] = 0
            self._lexical_synchronised(full=True)
            return int(self._cache[_CHANGES_KEY])

    def rebuild_lexical_index(self) -> int:
        """Build the index from scratch from the catalog (`likewise reindex`); its size."""
        with self._lexical_lock(), self._lexical_file_lock():
            index = InvertedIndex.built(self._lexical_texts(None), self._lexical_tokeniser())
            self._lexical_publish(index, changes=len(index))
            return len(index)

    # -- internals ----------------------------------------------------------------------------
    def _lexical_synchronised(self, *, full: bool) -> InvertedIndex:
        """Under the file lock: the newest published index, brought up to date and published
        again if anything changed. `full` compares every paper's fingerprint; otherwise only
        papers with keys above the newest indexed one are added."""
        with self._lexical_file_lock():
            home = self.settings.home
            loaded = self._cache.get(_CACHE_KEY)
            identity = stamp_identity(stamp_path(home))
            index: InvertedIndex | None = None
            if isinstance(loaded, _Loaded) and loaded.stamp_identity == identity:
                index = loaded.index
            else:
                opened = load_index(home)
                index = opened[0] if opened is not None else None
            if index is None:
                index = InvertedIndex.built(self._lexical_texts(None), self._lexical_tokeniser())
                self._lexical_publish(index, changes=len(index))
                return index
            changed, removed = self._lexical_differences(index, full=full)
            if changed or removed:
                papers = self._lexical_texts(changed)
                index = index.updated(papers, removed, self._lexical_tokeniser())
                self._lexical_publish(index, changes=len(changed) + len(removed))
            else:
                self._cache[_CACHE_KEY] = _Loaded(index, identity)
            return index

    def _lexical_differences(
        self, index: InvertedIndex, *, full: bool
    ) -> tuple[list[int], list[int]]:
        """(keys to (re)index, keys to drop)."""
        papers = schema.papers
        query = select(papers.c.key, papers.c.content_hash, papers.c.authors)
        if not full:
            query = query.where(papers.c.key > index.max_key())
        keys: list[int] = []
        fingerprints: list[int] = []
        with self._lexical_reading() as connection:
            for key, content_hash, authors in connection.execute(query):
                keys.append(key)
                fingerprints.append(text_fingerprint(content_hash, authors))
        return index.differences(
            np.asarray(keys, dtype=np.int64),
            np.asarray(fingerprints, dtype=np.uint64),
            complete=full,
        )

    def _lexical_texts(self, keys: Sequence[int] | None) -> list[PaperText]:
        """Title, abstract and authors of these papers (all papers for None), by key."""
        papers = schema.papers
        columns = (
            papers.c.key,
            papers.c.arxiv_id,
            papers.c.content_hash,
            papers.c.title,
            papers.c.abstract,
            papers.c.authors,
        )
        selections = (
            [select(*columns).order_by(papers.c.key)]
            if keys is None
            else [
                select(*columns).where(papers.c.key.in_(chunk)).order_by(papers.c.key)
                for chunk in chunks(list(keys))
            ]
        )
        texts: list[PaperText] = []
        with self._lexical_reading() as connection:
            for selection in selections:
                for key, arxiv_id, content_hash, title, abstract, authors in connection.execute(
                    selection
                ):
                    fingerprint = text_fingerprint(content_hash, authors)
                    texts.append(
                        PaperText(int(key), fingerprint, title, abstract, authors, arxiv_id)
                    )
        texts.sort(key=lambda paper: paper.key)
        return texts

    def _catalog_signature(self) -> tuple[tuple[int, int, int] | None, ...] | None:
        """For a SQLite file, the identity of the database and its write-ahead log, which
        change with every commit: while they stay the same no paper was stored, and the
        newest-key query is skipped. None (always ask) for other databases."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        database = str(url.database)
        return (stamp_identity(Path(database)), stamp_identity(Path(database + "-wal")))

    def _lexical_newest_key(self) -> int:
        with self._lexical_reading() as connection:
            return int(connection.scalar(select(func.max(schema.papers.c.key))) or 0)

    def _lexical_publish(self, index: InvertedIndex, changes: int = 0) -> None:
        home = self.settings.home
        try:
            save_index(home, index, read_stamp(home))
            identity = stamp_identity(stamp_path(home))
        except OSError as error:  # a read-only home still searches, from memory
            _log.warning("could not save the lexical index in %s: %s", home, error)
            identity = None
        self._cache[_CACHE_KEY] = _Loaded(index, identity)
        self._cache[_CHANGES_KEY] = changes

    def _lexical_tokeniser(self) -> Tokeniser:
        tokeniser = self._cache.get(_TOKENISER_KEY)
        if not isinstance(tokeniser, Tokeniser):
            tokeniser = self._cache.setdefault(_TOKENISER_KEY, Tokeniser())
        return tokeniser

    @contextmanager
    def _lexical_reading(self) -> Iterator[Connection]:
        with self.store.engine.connect() as connection:
            # On SQLite a plain BEGIN (no writer lock); PostgreSQL ignores the option.
            connection = connection.execution_options(sqlite_begin="deferred")
            with connection.begin():
                yield connection

    def _lexical_lock(self) -> threading.RLock:
        lock = self._cache.get(_LOCK_KEY)
        if lock is None:
            lock = self._cache.setdefault(_LOCK_KEY, threading.RLock())
        return lock  # type: ignore[no-any-return]

    @contextmanager
    def _lexical_file_lock(self) -> Iterator[None]:
        """One writer per home at a time, across processes."""
        home = self.settings.home
        try:
            home.mkdir(parents=True, exist_ok=True)
            handle = (home / "lexical.lock").open("a")
        except OSError:  # a read-only home: nothing is written there, so nothing to guard
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
