"""Crash injection for the catalog: run a real `likewise` command, SIGKILL it at a seeded
random moment, run the same command again, and check what is left against a clean run.

Shared by tests/reliability/test_crash_catalog.py (small files, CI) and bench/crash.py (the
full daily file). Commands are forked from a zygote (crash_zygote.py) that has imported
likewise once. A kill point is a moment drawn in each of N equal slices of the clean run's
duration, so the points cover the whole command, start to exit.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ZYGOTE = Path(__file__).resolve().parent / "crash_zygote.py"
MODEL = "fake-hash-64"  # the fake embedder's model id


@dataclass(slots=True)
class Run:
    code: int
    seconds: float
    output: str

    @property
    def killed(self) -> bool:
        return self.code == -9

    def summary(self) -> str:
        """The line of the output that says what the command did."""
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        wanted = ("read ", "embedded", "nothing to embed", "copied to", "error", "Traceback")
        chosen = next((line for line in lines if any(word in line for word in wanted)), "")
        chosen = chosen or (lines[-1] if lines else "")
        if "read " in chosen:  # "jsonl:/long/path: read 600, inserted ...": the counts
            chosen = chosen[chosen.index("read ") :]
        if chosen.startswith("copied to") and ";" in chosen:  # the URL says nothing here
            chosen = "copied" + chosen[chosen.index(";") :]
        return f"exit {self.code}: {chosen[:70]}"


class Zygote:
    """One helper process that forks each `likewise` run (see crash_zygote.py)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._outputs = itertools.count(1)
        self._process = subprocess.Popen(
            [sys.executable, str(ZYGOTE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(
        self,
        argv: list[str],
        env: dict[str, str],
        *,
        kill_after: float | None = None,
        ingest_batch_size: int | None = None,
        embed_chunk: int | None = None,
    ) -> Run:
        output = self.folder / f"run-{next(self._outputs)}.txt"
        request = {
            "argv": argv,
            "env": env,
            "cwd": str(self.folder),
            "output": str(output),
            "kill_after": kill_after,
            "ingest_batch_size": ingest_batch_size,
            "embed_chunk": embed_chunk,
        }
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError("the crash zygote ended")
        reply = json.loads(answer)
        # A child killed before it opened its output file left none.
        text = output.read_text("utf-8", errors="replace") if output.is_file() else ""
        output.unlink(missing_ok=True)
        return Run(int(reply["code"]), float(reply["seconds"]), text)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)
        if self._process.stdout is not None:
            self._process.stdout.close()


@dataclass(slots=True)
class KillRow:
    point: int
    kill_at: float  # seconds after the start
    state: str  # what the killed run had left
    rerun: str
    problems: list[str] = field(default_factory=list)

    @property
    def checks(self) -> str:
        return "ok" if not self.problems else "; ".join(self.problems)


@dataclass(slots=True)
class ScenarioReport:
    name: str
    clean_seconds: float
    rows: list[KillRow] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return sum(1 for row in self.rows if row.state != "finished before the kill")

    @property
    def failures(self) -> list[KillRow]:
        return [row for row in self.rows if row.problems]

    def table(self) -> str:
        lines = [
            f"{self.name}: clean run {self.clean_seconds:.2f} s, {self.kills} kills, "
            f"{len(self.failures)} with problems",
            f"{'#':>3}  {'kill at':>8}  {'state reached':<44}  {'rerun':<52}  checks",
        ]
        for row in self.rows:
            lines.append(
                f"{row.point:>3}  {row.kill_at:>7.3f}s  {row.state:<44.44}  "
                f"{row.rerun:<52.52}  {row.checks}"
            )
        return "\n".join(lines)


def kill_moments(seed: int, points: int, duration: float) -> list[float]:
    """One random moment in each of `points` equal slices of (0, duration)."""
    chooser = random.Random(seed)
    return [duration * (slot + chooser.random()) / points for slot in range(points)]


def write_slice(source: Path, target: Path, start: int, count: int) -> Path:
    """Lines [start, start + count) of a (gzipped) JSON-lines file, written to `target`."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as lines, target.open("w") as out:
        out.writelines(itertools.islice(lines, start, start + count))
    return target


def home_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        "LIKEWISE_HOME": str(home),
        "LIKEWISE_DATABASE_URL": "",
        "LIKEWISE_EMBEDDER": "fake",
        **extra,
    }


# -- what a catalog holds ---------------------------------------------------------------------
def sqlite_path(home: Path) -> Path:
    return home / "likewise.db"


def _query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{sqlite_path(home)}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def paper_count(home: Path) -> int:
    if not sqlite_path(home).is_file():
        return 0
    try:
        return int(_query(home, "SELECT count(*) FROM papers")[0][0])
    except sqlite3.OperationalError:  # killed before the schema was there
        return 0


def vector_count(home: Path) -> int:
    try:
        return int(_query(home, "SELECT count(*) FROM vectors")[0][0])
    except sqlite3.OperationalError:
        return 0


ORPHANS = {
    "versions": "SELECT count(*) FROM versions v LEFT JOIN papers p ON p.key = v.paper_key "
    "WHERE p.key IS NULL",
    "authors": "SELECT count(*) FROM paper_authors a LEFT JOIN papers p ON p.key = a.paper_key "
    "WHERE p.key IS NULL",
    "categories": "SELECT count(*) FROM paper_categories c LEFT JOIN papers p "
    "ON p.key = c.paper_key WHERE p.key IS NULL",
    "vectors": "SELECT count(*) FROM vectors v LEFT JOIN papers p ON p.key = v.paper_key "
    "WHERE p.key IS NULL",
    "papers without categories": "SELECT count(*) FROM papers p WHERE NOT EXISTS "
    "(SELECT 1 FROM paper_categories c WHERE c.paper_key = p.key)",
}
DUPLICATES = {
    "arxiv ids": "SELECT count(*) FROM (SELECT arxiv_id FROM papers GROUP BY arxiv_id "
    "HAVING count(*) > 1) AS d",
    "titles+ids": "SELECT count(*) FROM (SELECT lower(title), arxiv_id FROM papers "
    "GROUP BY 1, 2 HAVING count(*) > 1) AS d",
}
_SQLITE_ONLY = {
    "full-text rows": "SELECT count(*) FROM papers_fts WHERE rowid NOT IN (SELECT key FROM papers)",
    "unindexed text": "SELECT count(*) FROM papers WHERE key <= "
    "(SELECT indexed_key FROM search_index_state) AND key NOT IN (SELECT rowid FROM papers_fts)",
}


def catalog_digest(rows: Callable[[str], list[tuple[Any, ...]]]) -> dict[str, Any]:
    """What two runs that stored the same thing agree on, key numbers aside."""
    digest = hashlib.blake2b(digest_size=16)
    for row in rows("SELECT arxiv_id, content_hash, latest_version FROM papers ORDER BY arxiv_id"):
        digest.update(repr(row).encode())
    vectors = hashlib.blake2b(digest_size=16)
    query = (
        "SELECT p.arxiv_id, v.model_id, v.content_hash, v.vector FROM vectors v "
        "JOIN papers p ON p.key = v.paper_key ORDER BY p.arxiv_id, v.model_id"
    )
    for row in rows(query):
        vectors.update(repr((row[0], row[1], row[2], bytes(row[3]))).encode())
    counts = {
        table: int(rows(f"SELECT count(*) FROM {table}")[0][0])
        for table in (
            "papers",
            "versions",
            "paper_categories",
            "paper_authors",
            "announcements",
            "vectors",
        )
    }
    # `stored` in sync_state counts what the last run stored: a resumed run stores less.
    checkpoints = sorted(
        (str(name), str(checkpoint))
        for name, checkpoint in rows("SELECT source, checkpoint FROM sync_state")
    )
    return {
        **counts,
        "papers digest": digest.hexdigest(),
        "vectors digest": vectors.hexdigest(),
        "checkpoints": checkpoints,
    }


def relational_problems(rows: Callable[[str], list[tuple[Any, ...]]], sqlite: bool) -> list[str]:
    problems = []
    checks = {**ORPHANS, **DUPLICATES, **(_SQLITE_ONLY if sqlite else {})}
    for name, sql in checks.items():
        found = int(rows(sql)[0][0])
        if found:
            problems.append(f"{found} {name}" if name in ORPHANS else f"{found} bad {name}")
    stale = (
        "SELECT count(*) FROM vectors v JOIN papers p ON p.key = v.paper_key "
        "WHERE v.content_hash <> p.content_hash"
    )
    if found := int(rows(stale)[0][0]):
        problems.append(f"{found} stale vectors")
    return problems


def sqlite_problems(home: Path) -> list[str]:
    problems = []
    integrity = _query(home, "PRAGMA integrity_check")
    if integrity != [("ok",)]:
        problems.append(f"integrity_check: {integrity[:3]}")
    if foreign := _query(home, "PRAGMA foreign_key_check"):
        problems.append(f"{len(foreign)} foreign-key violations")
    return problems + relational_problems(lambda sql: _query(home, sql), sqlite=True)


def lexical_problems(home: Path, keys_and_fingerprints: tuple[Any, Any]) -> list[str]:
    """The published BM25 index loads and holds exactly the catalog's papers and texts."""
    from likewise.index.inverted_files import load_index

    keys, fingerprints = keys_and_fingerprints
    opened = load_index(home)
    if opened is None:
        return ["no lexical index published"] if len(keys) else []
    changed, removed = opened[0].differences(keys, fingerprints, complete=True)
    if changed or removed:
        return [f"lexical index stale ({len(changed)} missing/changed, {len(removed)} extra)"]
    return []


def vector_index_problems(library: Any) -> list[str]:
    """The published vector index of the fake model loads and matches the stored vectors."""
    from likewise.index.factory import wants_ann
    from likewise.index.persisted import fingerprint, index_paths, read_stamp
    from likewise.index.usearch_index import UsearchIndex

    keys, matrix = library.store.load_vectors(MODEL)
    if not len(keys):
        return []
    paths = index_paths(library.settings.home, MODEL)
    stamp = read_stamp(paths.stamp)
    ann = wants_ann(len(keys), library.settings.ann_threshold)
    problems = []
    if stamp is None:
        return ["no vector index stamp"]
    if stamp.count != len(keys) or stamp.fingerprint != fingerprint(keys, matrix):
        problems.append(f"vector stamp stale ({stamp.count} vs {len(keys)} vectors)")
    if ann:
        try:
            loaded = UsearchIndex.load(paths.usearch)
        except (OSError, ValueError, RuntimeError) as error:
            return [*problems, f"usearch file does not load: {error}"]
        if len(loaded) != len(keys):
            problems.append(f"usearch file holds {len(loaded)} of {len(keys)} vectors")
    if len(library.vectors.vector_index()) != len(keys):
        problems.append("vector index size differs from the stored vectors")
    return problems


def search_problems(library: Any, probes: list[tuple[str, str]]) -> list[str]:
    """Each probe (a paper's title as the query) finds its paper, lexically and hybrid."""
    problems = []
    for arxiv_id, title in probes:
        for fusion in ("bm25", "convex"):
            result = library.search.search(title, limit=10, fusion=fusion, apply_cutoff=False)
            if arxiv_id not in [hit.arxiv_id for hit in result.hits]:
                problems.append(f"{fusion} search misses {arxiv_id}")
    return problems


def probes_of(home: Path, count: int = 3) -> list[tuple[str, str]]:
    rows = _query(home, "SELECT arxiv_id, title FROM papers ORDER BY key")
    if not rows:
        return []
    step = max(len(rows) // count, 1)
    return [(str(row[0]), str(row[1])) for row in rows[::step][:count]]


LEFTOVERS = ("lexical/.writing-*", "lexical.stamp.json*.tmp", "index-*.tmp")


def leftovers(home: Path) -> list[str]:
    """Temporary files and folders that killed writers left and no rerun removed."""
    found = [path for pattern in LEFTOVERS for path in home.glob(pattern)]
    return [f"{len(found)} leftover temporaries ({found[0].name[:24]}...)"] if found else []


def check_home(home: Path, reference: dict[str, Any] | None, probes: Any) -> list[str]:
    """Every check on a SQLite home after the rerun; `reference` is the clean run's digest."""
    from likewise.library import Library
    from likewise.settings import Settings

    problems = sqlite_problems(home) + leftovers(home)
    settings = Settings(home=home, embedder="fake", ann_threshold=_ann_threshold(home))
    with Library.open(settings) as library:
        problems += lexical_problems(home, library.store.paper_text_fingerprints())
        problems += vector_index_problems(library)
        problems += search_problems(library, probes)
        # The full-text table and author rows are derived lazily (on the store's first
        # full-text search): derive them now, so that every run compares the same way.
        library.store.refresh_search_index()
    digest = catalog_digest(lambda sql: _query(home, sql))
    if reference is not None:
        for name, expected in reference.items():
            if digest[name] != expected:
                shown = expected if not isinstance(expected, list) else "clean run's"
                problems.append(f"{name}: {str(digest[name])[:20]} instead of {shown}")
    return problems


def _ann_threshold(home: Path) -> int:
    marker = home / "ann_threshold"
    return int(marker.read_text()) if marker.is_file() else 20_000


def set_ann_threshold(home: Path, threshold: int) -> dict[str, str]:
    """Remember the threshold for the checks; returns the environment the runs need."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "ann_threshold").write_text(str(threshold))
    return {"LIKEWISE_ANN_THRESHOLD": str(threshold)}


def lexical_state(home: Path) -> str:
    from likewise.index.inverted_files import read_stamp

    stamp = read_stamp(home)
    return "no BM25 index" if stamp is None else f"BM25 index of {stamp['live_rows']}"


def copy_home(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
