"""The inverted index on disk next to the catalog: one folder of .npy files per segment and a
JSON stamp, replaced atomically, that names the live main and delta segments.

Segment folders are written once under fresh names and only then named by the stamp, so a
reader never sees half a segment. Main segments are opened with mmap, so the web workers of
one host share their pages; the stamp's file identity tells a process that a newer index was
published.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from likewise.index.inverted import InvertedIndex
from likewise.index.persisted import publish_file, remove_temporaries
from likewise.index.segments import Segment

FORMAT = 2
ABANDONED_SECONDS = 3600.0  # a .writing- folder this old was left by a crashed writer
_ARRAYS = ("offsets", "rows", "frequencies", "keys", "lengths", "fingerprints", "names")


def lexical_folder(home: Path) -> Path:
    return home / "lexical"


def stamp_path(home: Path) -> Path:
    return home / "lexical.stamp.json"


def save_segment(segment: Segment, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        np.save(folder / f"{name}.npy", np.asarray(getattr(segment, name)))
    encoded = "\n".join(segment.terms).encode("utf-8")
    np.save(folder / "terms.npy", np.frombuffer(encoded, dtype=np.uint8))


def load_segment(folder: Path, *, memory_map: bool) -> Segment:
    """Raises OSError or ValueError for a missing or damaged segment."""
    mode: Literal["r"] | None = "r" if memory_map else None
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode=mode) for name in _ARRAYS}
    encoded = np.load(folder / "terms.npy")
    text = encoded.tobytes().decode("utf-8")
    terms = text.split("\n") if text else []
    segment = Segment(terms=terms, **arrays)
    segment.check()
    return segment


def save_index(
    home: Path, index: InvertedIndex, previous: dict[str, object] | None, *, locked: bool = False
) -> None:
    """Publish `index`: write the segments it does not share with the published one, then the
    stamp; finally drop folders no stamp names any more. A writer that holds the exclusive
    lock (`locked`) knows that no other is writing, so it drops every half-written folder,
    not only those old enough to be abandoned."""
    folder = lexical_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    main_name = _reused_main(index, previous)
    if main_name is None:
        main_name = f"main-{uuid.uuid4().hex}"
        _write_folder(folder / main_name, index.main, None)
    delta_name = f"delta-{uuid.uuid4().hex}"
    _write_folder(folder / delta_name, index.delta, index.main_live)
    stamp = {
        "format": FORMAT,
        "main": main_name,
        "main_rows": index.main.row_count,
        "delta": delta_name,
        "delta_rows": index.delta.row_count,
        "live_rows": len(index),
    }
    _write_json(stamp_path(home), stamp)
    index.published_main = main_name
    remove_temporaries(stamp_path(home), older_than_seconds=None if locked else ABANDONED_SECONDS)
    abandoned_before = float("inf") if locked else time.time() - ABANDONED_SECONDS
    for stale in folder.iterdir():
        if stale.name in (main_name, delta_name):
            continue
        if stale.name.startswith(".writing-"):
            # Another writer's folder in progress, unless a crash left it behind long ago.
            if _modified(stale) > abandoned_before:
                continue
        elif stale.name.startswith("."):
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # already gone


def _reused_main(index: InvertedIndex, previous: dict[str, object] | None) -> str | None:
    name = index.published_main
    if previous is not None and name is not None and previous.get("main") == name:
        return name
    return None


def _write_folder(target: Path, segment: Segment, main_live: npt.NDArray[np.bool_] | None) -> None:
    temporary = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        save_segment(segment, temporary)
        if main_live is not None:
            np.save(temporary / "main_live.npy", main_live)
        for child in temporary.iterdir():
            os.chmod(child, 0o644)
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _write_json(path: Path, data: dict[str, object]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file)
        publish_file(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_stamp(home: Path) -> dict[str, object] | None:
    try:
        data = json.loads(stamp_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def load_index(home: Path) -> tuple[InvertedIndex, dict[str, object]] | None:
    """The published index (main segment memory-mapped), or None when there is none or it
    is damaged; the caller then rebuilds it from the catalog."""
    stamp = read_stamp(home)
    if stamp is None:
        return None
    folder = lexical_folder(home)
    try:
        main_name, delta_name = str(stamp["main"]), str(stamp["delta"])
        main = load_segment(folder / main_name, memory_map=True)
        delta = load_segment(folder / delta_name, memory_map=False)
        main_live = np.load(folder / delta_name / "main_live.npy")
        if (
            main.row_count != stamp["main_rows"]
            or delta.row_count != stamp["delta_rows"]
            or main_live.shape != (main.row_count,)
            or main_live.dtype != np.bool_
        ):
            return None
        index = InvertedIndex(main, main_live, delta)
        if len(index) != stamp["live_rows"]:
            return None
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    index.published_main = main_name
    return index, stamp
