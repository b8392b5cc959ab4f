"""Load-test `likewise serve --workers 2` on loopback: readers and writers at once, checked.

Ingests a slice of ../shared/data/arxiv-daily-cs/papers.jsonl.gz (fake embedder) into a
temporary home on SQLite and/or PostgreSQL (pgserver), starts the server as a real
subprocess, and drives it with httpx (async): readers load pages, searches, feeds and JSON
twins; writers (each a signed-up account) vote and unvote, save to collections and subscribe.
Afterwards the stored votes are compared with what the writers' acknowledged requests left
(0 lost, 0 doubled), likewise saved papers and subscribers. The second run per backend has
`likewise ingest jsonl` adding papers meanwhile. Latencies are also given as ratios against a
static endpoint (/healthz) measured in the same run, as bench/web.py does.

    nice -n 19 python bench/load.py [--seconds 60] [--readers 50] [--writers 10]
        [--backend sqlite|postgres|both] [--papers 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_clients import VOTE_POOL, Run, drive_mixed, drive_static, percentile

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
INGESTED_DURING = 1500


def write_slice(target: Path, start: int, count: int) -> Path:
    """Lines [start, start + count) of the real catalog, as a JSON-lines file."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as source, target.open("w") as out:
        for number, line in enumerate(source):
            if number >= start + count:
                break
            if number >= start:
                out.write(line)
    return target


def environment(home: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "LIKEWISE_HOME": str(home),
        "LIKEWISE_DATABASE_URL": database_url,
        "LIKEWISE_EMBEDDER": "fake",
        "LIKEWISE_SECRET_KEY": "load-test-key-" + home.name,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }


def prepare(home: Path, database_url: str, papers: int) -> dict[str, Any]:
    """Ingest the slice and embed it; returns paper ids, days, titles and authors to read."""
    from likewise.library import Library
    from likewise.settings import Settings

    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home, database_url=database_url, embedder="fake")
    path = write_slice(home / "catalog.jsonl", 0, papers)
    with Library.open(settings) as library:
        summary = library.catalog.ingest(library.catalog.file_source(path))
        if summary.error:
            raise SystemExit(f"ingest failed: {summary.error}")
        library.vectors.update_vectors()
        count = library.store.count_papers()
        ids = list(library.store.arxiv_ids_for_keys(list(range(1, count + 1))).values())
        found = library.store.get_papers(ids[:300])
        return {
            "ids": ids,
            "days": [day.isoformat() for day in library.store.announcement_days()],
            "titles": [paper.title for paper in found.values()],
            "authors": [paper.authors[0] for paper in found.values() if paper.authors],
            "count": count,
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(home: Path, database_url: str, workers: int) -> Iterator[str]:
    """`likewise serve --workers N` as a subprocess on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "likewise.cli.main", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        command, env=environment(home, database_url), stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a busy shared machine starts two workers slowly
        while True:
            if server.poll() is not None:
                tail = (home / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {server.returncode}:\n{tail}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                tail = (home / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server did not start in 300 s:\n{tail}")
            time.sleep(0.2)
        for _ in range(workers * 3):  # every worker loads its indexes before the clock starts
            httpx.get(f"{base}/search?q=graph+neural+networks", timeout=300)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def load_run(
    home: Path,
    database_url: str,
    catalog: dict[str, Any],
    *,
    seconds: float,
    readers: int,
    writers: int,
    workers: int = 2,
    ingest: Path | None = None,
    min_actions: int = 0,
) -> Run:
    """One run against a fresh server over the prepared catalog; checks what was stored."""
    from likewise.library import Library
    from likewise.settings import Settings

    run = Run(seconds=seconds)
    settings = Settings(home=home, database_url=database_url, embedder="fake")
    pool = catalog["ids"][:VOTE_POOL]
    with Library.open(settings) as library:
        before = library.accounts.repository.vote_counts(
            pool
        )  # earlier runs' votes on the same catalog
    state: dict[tuple[int, str], bool] = {}
    with serving(home, database_url, workers) as base:
        asyncio.run(drive_static(base, run, readers, min(10.0, max(2.0, seconds / 4))))
        ingester = None
        if ingest is not None:
            command = [sys.executable, "-m", "likewise.cli.main", "ingest", "jsonl", str(ingest)]
            ingester = subprocess.Popen(
                command,
                env=environment(home, database_url),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        asyncio.run(drive_mixed(base, run, catalog, readers, writers, state, min_actions))
        if ingester is not None:
            output, _ = ingester.communicate(timeout=600)
            run.ingest = {"exit": ingester.returncode, "output": output.decode()[-400:]}
    log_text = (home / "serve.log").read_text(errors="replace")
    run.worker_restarts = log_text.count(" died")
    if run.errors or run.worker_restarts:
        kept = Path(tempfile.gettempdir()) / f"likewise-load-serve-{run.tag}.log"
        kept.write_text(log_text)
        run.kept_log = str(kept)
    with Library.open(settings) as library:
        run.expected_votes = dict(before)
        for (_, arxiv_id), up in state.items():
            run.expected_votes[arxiv_id] = run.expected_votes.get(arxiv_id, 0) + int(up)
        run.stored_votes = library.accounts.repository.vote_counts(pool)
        run.stored_saves = {
            key: set(library.accounts.repository.collection_items(key)) for key in run.saved
        }
        run.stored_subscribers = {s.email for s in library.digests.repository.list_subscribers()}
        if ingest is not None:
            run.ingest["papers"] = library.store.count_papers()
    return run


def report(name: str, run: Run) -> str:
    static = percentile(run.static, 0.99)
    static_rate = len(run.static) / min(10.0, max(2.0, run.seconds / 4))
    lines = [f"== {name}: {run.seconds:.0f} s"]
    for label, values in (("readers", run.readers), ("writers", run.writers)):
        rate = len(values) / run.seconds
        p50, p99 = statistics.median(values) if values else float("nan"), percentile(values, 0.99)
        lines.append(
            f"{label:8} {len(values):7d} requests {rate:7.1f}/s ({rate / static_rate:.3f} x static)"
            f"  p50 {p50 * 1e3:7.1f} ms  p99 {p99 * 1e3:7.1f} ms ({p99 / static:.1f} x static)"
        )
    lines.append(
        f"static   {len(run.static):7d} requests {static_rate:7.1f}/s  p99 {static * 1e3:.1f} ms"
    )
    lines.append(
        f"errors {len(run.errors)}; votes sent {run.votes_sent}, stored "
        f"{sum(run.stored_votes.values())} of {sum(run.expected_votes.values())} expected, lost "
        f"{run.lost_votes}, doubled {run.doubled_votes}; saves sent {run.saves_sent}, lost "
        f"{run.lost_saves}; subscribed {len(run.subscribed)} (rate-limited "
        f"{run.subscribe_limited}), lost {run.lost_subscribers}"
    )
    lines.append(
        f"worker restarts {run.worker_restarts}" + (f"; log {run.kept_log}" if run.kept_log else "")
    )
    if run.ingest:
        lines.append(
            f"ingest meanwhile: exit {run.ingest['exit']}, papers after {run.ingest['papers']}"
        )
    lines += [f"  error: {error}" for error in run.errors[:10]]
    return "\n".join(lines)


@contextmanager
def postgres_url(folder: Path) -> Iterator[str]:
    """A throwaway pgserver (PostgreSQL 16 + pgvector) database."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="likewise-runtime-"))
    import pgserver
    from sqlalchemy.engine import make_url

    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
        server.psql("CREATE DATABASE likewise_load;")
        url = make_url(server.get_uri()).set(
            drivername="postgresql+psycopg", database="likewise_load"
        )
        yield url.render_as_string(hide_password=False)
    finally:
        server.cleanup()


def bench_backend(name: str, home: Path, database_url: str, arguments: argparse.Namespace) -> bool:
    catalog = prepare(home, database_url, arguments.papers)
    print(f"{name}: {catalog['count']:,} papers ingested")
    during = write_slice(home / "during.jsonl", arguments.papers, INGESTED_DURING)
    ok = True
    for label, ingest in (("plain", None), ("while ingesting", during)):
        run = load_run(
            home,
            database_url,
            catalog,
            seconds=arguments.seconds,
            readers=arguments.readers,
            writers=arguments.writers,
            ingest=ingest,
        )
        print(
            report(
                f"{name}, {arguments.readers} readers + {arguments.writers} writers, {label}", run
            )
        )
        expected_papers = catalog["count"] + INGESTED_DURING
        ingest_ok = ingest is None or (
            run.ingest["exit"] == 0 and run.ingest["papers"] == expected_papers
        )
        ok = ok and not run.errors and not run.lost_votes and not run.doubled_votes and ingest_ok
        ok = ok and not run.lost_saves and not run.lost_subscribers and not run.worker_restarts
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--papers", type=int, default=2000, help="catalog slice size")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="likewise-bench-load-"))
    ok = True
    try:
        if arguments.backend in ("sqlite", "both"):
            home = folder / "sqlite"
            ok &= bench_backend("SQLite", home, f"sqlite:///{home / 'likewise.db'}", arguments)
        if arguments.backend in ("postgres", "both"):
            with postgres_url(folder / "pg") as url:
                ok &= bench_backend("PostgreSQL", folder / "postgres", url, arguments)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("all checks held" if ok else "SOME CHECKS FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
