"""Lexical index service: the in-process BM25 index (index/inverted.py), in step with the catalog.

The index is derived state in files next to the catalog (index/inverted_files.py), on SQLite
and PostgreSQL alike. Searches only read: they load the published index (memory-mapped, under
a shared file lock) when its stamp changes, trust it, and add papers stored since (keys above
the newest indexed one) to a delta in this process's memory. Building, folding in changed and
deleted papers, compacting and publishing happen in `update_lexical_index` (after every
ingest) and `rebuild_lexical_index` (`likewise reindex`), under the exclusive lock. Until an
index is published, the store's full-text search (same BM25 scores) answers. An ingest leaves
a note (index/pending.py) before and after each batch it stores, and a publish removes the
notes it has covered, so a run killed before publishing is caught up by the next ingest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from likewise.index.inverted import InvertedIndex
from likewise.index.inverted_files import load_index, read_stamp, save_index, stamp_path
from likewise.index.pending import PendingNotes
from likewise.index.persisted import file_lock, stamp_identity
from likewise.index.segments import PaperText
from likewise.index.tokens import shared_tokeniser
from likewise.store.base import CatalogStore, StoredText

_LOCK_FILE = "lexical.lock"
_PENDING_FOLDER = "lexical.pending"
_log = logging.getLogger(__name__)

StampIdentity = tuple[int, int, int] | None


@dataclass(slots=True)
class _Loaded:
    """What this process holds: the index (None when the published files could not be read,
    so the store answers until the stamp changes), the identity of the stamp it came from,
    the store's change token when papers stored since were last looked for, and the index
    as published."""

    index: InvertedIndex | None
    stamp_identity: StampIdentity
    change_token: object | None = None
    published: InvertedIndex | None = None  # the index as published, without memory additions

    def __post_init__(self) -> None:
        if self.published is None:
            self.published = self.index


class LexicalIndexService:
    """Access to and upkeep of the in-process lexical index of the catalog in `home`; the only
    owner of this process's loaded index."""

    def __init__(self, home: Path, store: CatalogStore) -> None:
        self._home = home
        self._store = store
        self._loaded: _Loaded | None = None
        # Searches from several threads (web workers) share the loaded index.
        self._lock = threading.RLock()

    def lexical_index(self) -> InvertedIndex | None:
        """The index for a search, or None when none is published yet (the store answers).

        Loaded once per stamp (the main segment memory-mapped, shared by the workers of a
        host); papers stored since are added in memory only. Nothing is written here."""
        with self._lock:
            identity = stamp_identity(stamp_path(self._home))
            loaded = self._loaded
            if loaded is None or loaded.stamp_identity != identity:
                loaded = self._loaded = self._lexical_loaded(identity)
            if loaded.index is None:
                return None
            return self._lexical_with_new_papers(loaded)

    def lexical_notes(self) -> PendingNotes:
        """Notes that papers were stored which the published index may not hold yet."""
        return PendingNotes(self._home / _PENDING_FOLDER)

    def lexical_index_pending(self) -> bool:
        """Whether papers were stored since the last publish covered them (say, an ingest
        killed between its last batch and its publish)."""
        return self.lexical_notes().any()

    def update_lexical_index(self) -> int:
        """Bring the published index in step with the catalog (new, changed and deleted
        papers; built when there is none) and publish it; returns how many papers were
        (re)indexed or dropped."""
        with self._lock, self._lexical_file_lock(exclusive=True):
            # Taken before the catalog is read: notes left after this are for a later publish.
            covered = self.lexical_notes().present()
            count, published = self._lexical_update(self._home)
            if published:
                self.lexical_notes().remove(covered)
            return count

    def _lexical_update(self, home: Path) -> tuple[int, bool]:
        """The work of update_lexical_index, under its locks; also whether the published
        index now holds the catalog as read."""
        identity = stamp_identity(stamp_path(home))
        loaded = self._loaded
        index: InvertedIndex | None = None
        if loaded is not None and loaded.stamp_identity == identity:
            index = loaded.published
        else:
            opened = load_index(home) if identity is not None else None
            index = opened[0] if opened is not None else None
        if index is None:  # none published, or unreadable: build it
            index = self._lexical_built()
            return len(index), self._lexical_publish(index, identity)
        keys, fingerprints = self._store.paper_text_fingerprints()
        changed, removed = index.differences(keys, fingerprints, complete=True)
        published = True
        if changed or removed:
            texts = _paper_texts(self._store.paper_texts(changed))
            index = index.updated(texts, removed, shared_tokeniser())
            published = self._lexical_publish(index, identity)
        else:
            self._loaded = _Loaded(index, identity)
        return len(changed) + len(removed), published

    def rebuild_lexical_index(self) -> int:
        """Build the index from scratch from the catalog (`likewise reindex`); its size."""
        with self._lock, self._lexical_file_lock(exclusive=True):
            covered = self.lexical_notes().present()
            identity = stamp_identity(stamp_path(self._home))
            index = self._lexical_built()
            if self._lexical_publish(index, identity):
                self.lexical_notes().remove(covered)
            return len(index)

    # -- internals ----------------------------------------------------------------------------
    def _lexical_loaded(self, identity: StampIdentity) -> _Loaded:
        """The published index, trusted as it is (its publisher compared it with the catalog)."""
        if identity is None:
            return _Loaded(None, None)
        with self._lexical_file_lock(exclusive=False):
            # Under the shared lock no writer replaces the stamp or removes its folders.
            identity = stamp_identity(stamp_path(self._home))
            opened = load_index(self._home)
        return _Loaded(opened[0] if opened is not None else None, identity)

    def _lexical_with_new_papers(self, loaded: _Loaded) -> InvertedIndex:
        """The loaded index with papers stored since added to its in-memory delta."""
        index = loaded.index
        assert index is not None
        # Taken before the query, so that a commit landing after it is seen next time.
        token = self._store.change_token()
        if token is not None and token == loaded.change_token:
            return index
        texts = self._store.paper_texts(after_key=index.max_key())
        if texts:
            index = index.appended(_paper_texts(texts), shared_tokeniser())
            loaded.index = index
        loaded.change_token = token
        return index

    def _lexical_built(self) -> InvertedIndex:
        return InvertedIndex.built(_paper_texts(self._store.paper_texts()), shared_tokeniser())

    def _lexical_publish(self, index: InvertedIndex, loaded_identity: StampIdentity) -> bool:
        """Save and publish (under the exclusive file lock); whether it was saved. Where the
        home is read-only the index serves this process from memory, tied to the stamp it
        was made from, so that searches do not try again until another process publishes."""
        home = self._home
        saved = True
        try:
            save_index(home, index, read_stamp(home), locked=True)
            identity = stamp_identity(stamp_path(home))
        except OSError as error:
            _log.warning("could not save the lexical index in %s: %s", home, error)
            identity = loaded_identity
            saved = False
        self._loaded = _Loaded(index, identity)
        return saved

    @contextmanager
    def _lexical_file_lock(self, *, exclusive: bool) -> Iterator[None]:
        """Across processes: shared for loading, exclusive for publishing."""
        with file_lock(self._home / _LOCK_FILE, exclusive=exclusive):
            yield


def _fields(text: StoredText) -> tuple[int, int, str, str, str, str]:
    return (text.key, text.fingerprint, text.title, text.abstract, text.authors, text.arxiv_id)


def _paper_texts(texts: Sequence[StoredText]) -> list[PaperText]:
    return [
        PaperText(key, fingerprint, title, abstract, authors, arxiv_id)
        for key, fingerprint, title, abstract, authors, arxiv_id in map(_fields, texts)
    ]
