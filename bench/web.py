"""Load-test `likewise serve` on loopback over the 74,728-paper catalog.

Ingests ../shared/data/arxiv-daily-cs/papers.jsonl.gz into a temporary home (or reuses
--home), stores vectors (the cached MiniLM int8 corpus embedding from bench/embed_corpus.py
when ~/.cache/likewise/arxiv-daily-cs.int8.npy exists, else the fake test embedder — the
output says which), starts the server, and drives it with a bounded number of concurrent
clients for a bounded time per endpoint: the daily page, search, paper pages, and a trivial
static endpoint (/healthz) measured in the same run as the baseline. Prints requests/s and
p50/p99 latency, each as a ratio against the baseline.

    nice -n 19 /tmp/venv/bin/python bench/web.py [--seconds 10] [--clients 8] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
CACHE_DIR = Path.home() / ".cache" / "likewise"
MATRIX_PATH = CACHE_DIR / "arxiv-daily-cs.int8.npy"
IDS_PATH = CACHE_DIR / "arxiv-daily-cs.int8.ids.txt"
EXPECTED_PAPERS = 74_728


def prepare_catalog(home: Path) -> str:
    """Ingest the corpus and store vectors; returns the embedder setting the server uses."""
    from likewise.library import Library
    from likewise.settings import Settings

    embedder = "minilm-int8" if MATRIX_PATH.is_file() and IDS_PATH.is_file() else "fake"
    settings = Settings(home=home, embedder=embedder)
    with Library.open(settings) as library:
        if library.store.count_papers() < EXPECTED_PAPERS:
            started = time.perf_counter()
            summary = library.catalog.ingest(library.catalog.file_source(CORPUS))
            print(f"ingested {summary.inserted:,} papers in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        if embedder == "minilm-int8":
            stored = store_cached_vectors(library)
            print(f"vectors: cached MiniLM int8 corpus embedding ({stored:,} stored)")
        else:
            embedded = library.vectors.update_vectors()
            print(f"vectors: FAKE embedder (no {MATRIX_PATH}); {embedded:,} embedded")
        print(f"vectors ready in {time.perf_counter() - started:.0f} s")
    return embedder


def store_cached_vectors(library: object) -> int:
    from likewise.library import Library

    assert isinstance(library, Library)
    model_id = library.embedding.get().model_id
    ids = IDS_PATH.read_text(encoding="utf-8").split()
    matrix = np.load(MATRIX_PATH).astype(np.float32)
    keys, _ = library.store.load_vectors(model_id)
    if len(keys) >= len(ids):
        return 0
    stored = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        papers = library.store.get_papers(chunk)
        rows = [
            (arxiv_id, papers[arxiv_id].content_hash(), matrix[start + offset])
            for offset, arxiv_id in enumerate(chunk)
            if arxiv_id in papers
        ]
        library.store.put_vectors(model_id, rows)
        stored += len(rows)
    return stored


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(home: Path, embedder: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "LIKEWISE_HOME": str(home), "LIKEWISE_EMBEDDER": embedder}
    command = [
        sys.executable,
        "-m",
        "likewise.cli.main",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


async def drive(
    base: str, next_path: Callable[[], str], seconds: float, clients: int, cap: int
) -> tuple[list[float], int]:
    """Latencies (s) of successful requests from `clients` concurrent loops, and errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) + errors < cap:
                started = time.perf_counter()
                try:
                    response = await client.get(next_path())
                except httpx.TransportError:
                    errors += 1
                    continue
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint (max 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (max 64)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--home", type=Path, help="reuse this catalog folder")
    arguments = parser.parse_args()
    seconds = min(max(arguments.seconds, 1.0), 60.0)
    clients = min(max(arguments.clients, 1), 64)
    home = arguments.home or Path(tempfile.mkdtemp(prefix="likewise-bench-web-"))
    print(f"catalog home: {home}")
    embedder = prepare_catalog(home)

    from likewise.library import Library
    from likewise.settings import Settings

    with Library.open(Settings(home=home, embedder=embedder)) as library:
        days = library.store.announcement_days()
        sample = random.Random(7).sample(range(library.store.count_papers()), 400)
        keys = [key + 1 for key in sample]
        ids = list(library.store.arxiv_ids_for_keys(keys).values())
        titles = [paper.title for paper in library.store.get_papers(ids).values()]
    chooser = random.Random(11)
    queries = [" ".join(title.split()[:5]) for title in titles]
    endpoints: dict[str, Callable[[], str]] = {
        "static /healthz": lambda: "/healthz",
        "daily /?day=": lambda: f"/?day={chooser.choice(days).isoformat()}",
        "paper /papers/ID": lambda: f"/papers/{chooser.choice(ids)}",
        "search /search?q=": lambda: "/search?" + str(httpx.QueryParams(q=chooser.choice(queries))),
    }

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(home, embedder, port, arguments.workers)
    try:
        wait_until_up(base, server)
        started = time.perf_counter()
        for warm in ("/", f"/papers/{ids[0]}", "/search?q=graph+neural+networks"):
            for _ in range(arguments.workers):
                httpx.get(base + warm, timeout=600)
        print(f"warm-up (index load, first search) {time.perf_counter() - started:.1f} s")
        print(
            f"\n{clients} concurrent clients, {seconds:.0f} s per endpoint, "
            f"{arguments.workers} worker(s), embedder {embedder}\n"
        )
        results: dict[str, tuple[float, float, float, int, int]] = {}
        for name, next_path in endpoints.items():
            latencies, errors = asyncio.run(drive(base, next_path, seconds, clients, 100_000))
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode} during {name}")
            if not latencies:
                print(f"{name}: no successful requests ({errors} errors)")
                continue
            rate = len(latencies) / seconds
            results[name] = (
                rate,
                statistics.median(latencies),
                percentile(latencies, 0.99),
                len(latencies),
                errors,
            )
        base_rate, base_p50, base_p99, _, _ = results["static /healthz"]
        print(
            f"{'endpoint':20} {'req/s':>8} {'x static':>9} {'p50 ms':>8} {'x static':>9} "
            f"{'p99 ms':>8} {'x static':>9} {'errors':>7}"
        )
        for name, (rate, p50, p99, _count, errors) in results.items():
            print(
                f"{name:20} {rate:8.1f} {rate / base_rate:9.3f} {p50 * 1e3:8.1f} "
                f"{p50 / base_p50:9.1f} {p99 * 1e3:8.1f} {p99 / base_p99:9.1f} {errors:7d}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
