"""Where an index lives next to the catalog, and the stamp that says which vectors it holds.

The stamp (a small JSON file, replaced atomically after the index file) records the model,
the kind of index, the vector count and a fingerprint of keys + vectors, so a file that no
longer matches the stored vectors is detected and rebuilt, and other processes notice a
newer index by the stamp's file identity alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class IndexPaths:
    usearch: Path
    stamp: Path
    lock: Path  # held exclusively while the index and its stamp are replaced


@dataclass(frozen=True, slots=True)
class IndexStamp:
    model_id: str
    kind: str  # "exact" or "usearch"
    count: int
    fingerprint: str


def index_paths(home: Path, model_id: str) -> IndexPaths:
    name = _UNSAFE.sub("_", model_id)
    return IndexPaths(
        usearch=home / f"index-{name}.usearch",
        stamp=home / f"index-{name}.stamp.json",
        lock=home / f"index-{name}.lock",
    )


def fingerprint(keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> str:
    """Order-independent digest of (key, vector) pairs.

    Vectors are hashed at float16 precision: that is what the ANN index stores, so the
    digest of the store's vectors and of the index's own copy agree exactly.
    """
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    order = np.argsort(keys, kind="stable")
    digest = hashlib.blake2b(digest_size=16)
    digest.update(keys[order].astype("<i8").tobytes())
    if len(keys):
        digest.update(np.asarray(vectors)[order].astype("<f2").tobytes())
    return digest.hexdigest()


def read_stamp(path: Path) -> IndexStamp | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexStamp(
            model_id=str(data["model_id"]),
            kind=str(data["kind"]),
            count=int(data["count"]),
            fingerprint=str(data["fingerprint"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_stamp(path: Path, stamp: IndexStamp) -> None:
    """Replace the stamp atomically: readers see the old one or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(asdict(stamp), file)
        publish_file(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish_file(temporary: Path, path: Path) -> None:
    """Rename a finished temporary file over `path`, readable by other users' processes
    (a web server under its own account) as a normal file would be."""
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def stamp_identity(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the stamp is replaced: a cheap freshness check for cached indexes."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def remove_temporaries(path: Path, *, older_than_seconds: float | None = None) -> int:
    """Remove the temporary files a writer of `path` killed before its rename left behind
    (`<name>*.tmp` beside it); how many were removed. Without an age limit only a writer
    that holds the file's exclusive lock may call this: no other writer is in progress."""
    cutoff = None if older_than_seconds is None else time.time() - older_than_seconds
    removed = 0
    for temporary in path.parent.glob(f"{glob_escape(path.name)}*.tmp"):
        try:
            if cutoff is not None and temporary.stat().st_mtime > cutoff:
                continue
            temporary.unlink()
            removed += 1
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


@contextmanager
def file_lock(path: Path, *, exclusive: bool) -> Iterator[bool]:
    """Across processes: shared for readers, exclusive for writers; yields whether the lock
    is held. Taken through a read-only descriptor (flock needs no write access), so a reader
    that cannot write the home still waits for a writer. Where there is no lock file and no
    right to create one, nothing can be written either, and nothing is guarded."""
    descriptor = _lock_descriptor(path, create=exclusive)
    if descriptor is None:
        yield False
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def _lock_descriptor(path: Path, *, create: bool) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if not create:
            return None
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
