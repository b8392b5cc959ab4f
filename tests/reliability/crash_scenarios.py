"""The catalog's crash scenarios: a full-file ingest, `likewise embed`, `migrate-store` to
PostgreSQL and the lexical-index publish after an ingest; each killed at N seeded moments,
rerun, and checked against a clean run (crash_harness.py has the checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crash_harness import (
    MODEL,
    KillRow,
    Run,
    ScenarioReport,
    Zygote,
    catalog_digest,
    check_home,
    copy_home,
    home_env,
    kill_moments,
    lexical_state,
    paper_count,
    probes_of,
    relational_problems,
    remove,
    search_problems,
    set_ann_threshold,
    vector_count,
)


@dataclass(slots=True)
class Start:
    """One prepared starting point: the command, and how to look at what it left."""

    argv: list[str]
    env: dict[str, str]
    state: Callable[[], str]
    check: Callable[[Any], list[str]]  # given the clean run's digest
    digest: Callable[[], Any]
    folder: Path


Begin = Callable[[Path], Start]


def run_kills(
    zygote: Zygote,
    name: str,
    begin: Begin,
    base: Path,
    *,
    points: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> ScenarioReport:
    """A clean run, then `points` kills each followed by a rerun and the checks."""
    options = options or {}
    clean = begin(base / "clean")
    run = zygote.run(clean.argv, clean.env, **options)
    if run.code != 0:
        raise AssertionError(f"{name}: the clean run failed: {run.output[-2000:]}")
    clean.check(None)  # searches once, as every checked run does, so the digests compare
    reference = clean.digest()
    report = ScenarioReport(name, run.seconds)
    # Moments are fractions of how long a run from the starting point takes; the estimate
    # follows the latest run that finished before its kill (load on a shared machine varies).
    fractions = [moment / run.seconds for moment in kill_moments(seed, points, run.seconds)]
    estimate = run.seconds
    retries = points
    number = 0
    while fractions:
        number += 1
        fraction = fractions[0]
        start = begin(base / f"point-{number:03d}")
        killed = zygote.run(start.argv, start.env, kill_after=fraction * estimate, **options)
        state = start.state() if killed.killed else "finished before the kill"
        if not killed.killed and killed.code != 0:
            state = f"failed by itself: {killed.summary()}"
        rerun = zygote.run(start.argv, start.env, **options)
        row = KillRow(number, fraction * estimate, state, rerun.summary())
        row.problems = _rerun_problems(rerun) + start.check(reference)
        report.rows.append(row)
        remove(start.folder)
        if killed.killed or retries == 0:
            fractions.pop(0)
        else:  # ended before its kill: the same fraction again, of the time it took
            estimate, retries = killed.seconds, retries - 1
    remove(clean.folder)
    return report


def _rerun_problems(rerun: Run) -> list[str]:
    return [] if rerun.code == 0 else [f"rerun exit {rerun.code}"]


# -- (a) a full-file ingest ------------------------------------------------------------------
def ingest_scenario(data: Path) -> Begin:
    probes: list[tuple[str, str]] = []

    def begin(folder: Path) -> Start:
        home = folder / "home"
        home.mkdir(parents=True, exist_ok=True)

        def check(reference: Any) -> list[str]:
            if not probes:
                probes.extend(probes_of(home))
            return check_home(home, reference, probes)

        return Start(
            ["ingest", "file", str(data)],
            home_env(home),
            lambda: f"{paper_count(home)} papers, {lexical_state(home)}",
            check,
            lambda: _digest(home),
            folder,
        )

    return begin


def _digest(home: Path) -> Any:
    from crash_harness import _query

    return catalog_digest(lambda sql: _query(home, sql))


# -- (b) likewise embed ------------------------------------------------------------------------
def embed_scenario(prepared: Path, ann_threshold: int) -> Begin:
    """`prepared` is a home with the papers ingested and none embedded."""
    probes = probes_of(prepared)

    def begin(folder: Path) -> Start:
        home = copy_home(prepared, folder / "home")
        env = home_env(home, **set_ann_threshold(home, ann_threshold))
        return Start(
            ["embed"],
            env,
            lambda: f"{vector_count(home)} vectors, {_vector_stamp(home)}",
            lambda reference: check_home(home, reference, probes),
            lambda: _digest(home),
            folder,
        )

    return begin


def _vector_stamp(home: Path) -> str:
    from likewise.index.persisted import index_paths, read_stamp

    paths = index_paths(home, MODEL)
    stamp = read_stamp(paths.stamp)
    if stamp is None:
        return "no vector index"
    return f"{stamp.kind} index of {stamp.count}"


# -- (c) migrate-store to PostgreSQL -------------------------------------------------------------
def migrate_scenario(source_home: Path, new_database: Callable[[], str]) -> Begin:
    """`source_home` holds an ingested and embedded SQLite catalog; each start gets a new
    empty PostgreSQL database from `new_database`."""
    from likewise.library import Library
    from likewise.settings import Settings

    with Library.open(Settings(home=source_home, embedder="fake")) as library:
        # The copy derives the full-text rows on its source first: do it once, now, so
        # that every run copies the same source.
        library.store.refresh_search_index()
    source_url = f"sqlite:///{source_home / 'likewise.db'}"
    expected = _digest(source_home)
    probes = probes_of(source_home)

    def begin(folder: Path) -> Start:
        url = new_database()
        folder.mkdir(parents=True, exist_ok=True)
        return Start(
            ["migrate-store", "--to", url, "--from", source_url],
            home_env(source_home),
            lambda: _target_state(url),
            lambda reference: _target_problems(url, folder / "home", expected, probes),
            lambda: expected,
            folder,
        )

    return begin


def _rows_of(url: str) -> Callable[[str], list[tuple[Any, ...]]]:
    from sqlalchemy import create_engine, text

    def rows(sql: str) -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()

    return rows


def _target_state(url: str) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    rows = _rows_of(url)
    try:
        papers = rows("SELECT count(*) FROM papers")[0][0]
        indexed = rows("SELECT count(*) FROM vector_index")[0][0]
    except SQLAlchemyError:
        return "target without the schema"
    return f"target: {papers} papers, {indexed} indexed vectors"


def _target_problems(
    url: str, home: Path, expected: Any, probes: list[tuple[str, str]]
) -> list[str]:
    from likewise.library import Library
    from likewise.settings import Settings

    rows = _rows_of(url)
    problems = relational_problems(rows, sqlite=False)
    digest = catalog_digest(rows)
    for name, value in expected.items():
        if digest[name] != value:
            problems.append(f"{name}: {str(digest[name])[:20]} instead of the source's")
    indexed = rows("SELECT count(*) FROM vector_index")[0][0]
    if indexed != expected["vectors"]:
        problems.append(f"pgvector index holds {indexed} of {expected['vectors']} vectors")
    home.mkdir(parents=True, exist_ok=True)
    with Library.open(Settings(home=home, database_url=url, embedder="fake")) as library:
        problems += search_problems(library, probes)
    return problems


# -- (d) the lexical-index publish after an ingest ---------------------------------------------
def lexical_scenario(prepared: Path, new_papers: Path, new_count: int) -> Begin:
    """`prepared` holds an ingested catalog with its BM25 index published; the command
    ingests `new_papers` (few), so most of its time is the post-ingest publish."""
    before = paper_count(prepared)
    probes = probes_of(prepared)

    def begin(folder: Path) -> Start:
        home = copy_home(prepared, folder / "home")
        return Start(
            ["ingest", "file", str(new_papers)],
            home_env(home),
            lambda: _publish_state(home, before, new_count),
            lambda reference: check_home(home, reference, probes),
            lambda: _digest(home),
            folder,
        )

    return begin


def _publish_state(home: Path, before: int, new_count: int) -> str:
    from likewise.index.inverted_files import read_stamp

    stored = paper_count(home) - before
    stamp = read_stamp(home)
    indexed = int(str(stamp["live_rows"])) if stamp is not None else 0
    if stored == 0:
        phase = "nothing stored"
    elif indexed == before + stored:
        phase = "index published"
    else:
        phase = "index NOT published"
    return f"{stored}/{new_count} new stored, {phase}"
