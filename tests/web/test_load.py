"""The short form of bench/load.py: `likewise serve --workers 2` (a real subprocess) on the
backend under test, readers and writers at once for a few seconds, then the stored votes,
saves and subscribers compared with what the writers' acknowledged requests left.

The full form (50 readers, 10 writers, 60 s, both backends) is `python bench/load.py`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

pytestmark = pytest.mark.slow
SECONDS = 8.0
PAPERS = 300


def _bench_load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_load", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("ingesting", [False, True], ids=["plain", "while-ingesting"])
def test_readers_and_writers_at_once_lose_and_double_nothing(
    tmp_path: Path, database_url: str, ingesting: bool
) -> None:
    load = _bench_load()
    home = tmp_path / "home"
    catalog = load.prepare(home, database_url, PAPERS)
    during = load.write_slice(tmp_path / "during.jsonl", PAPERS, 200) if ingesting else None
    run = load.load_run(
        home,
        database_url,
        catalog,
        seconds=SECONDS,
        readers=12,
        writers=4,
        ingest=during,
        min_actions=8,  # however slow the machine, each writer acts a few times
    )
    print(load.report(f"short load ({'while ingesting' if ingesting else 'plain'})", run))
    assert run.readers and run.writers and run.votes_sent > 0
    assert run.errors == []
    assert run.expected_votes, "some votes were acknowledged"
    assert (run.lost_votes, run.doubled_votes) == (0, 0)
    assert run.stored_votes == {key: n for key, n in run.expected_votes.items() if n}
    assert run.lost_saves == 0 and run.lost_subscribers == 0
    assert run.worker_restarts == 0
    if ingesting:
        assert run.ingest["exit"] == 0, run.ingest["output"]
        assert run.ingest["papers"] == catalog["count"] + 200


def _workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes under the `likewise serve` process `pid`."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"spawn_main" in command and b"resource_tracker" not in command:
            workers.append(child)
    return workers


def test_a_worker_starved_of_cpu_for_seconds_is_not_killed(
    tmp_path: Path, database_url: str
) -> None:
    # uvicorn's default health check killed and replaced any worker that did not answer a
    # ping within 5 s: on a busy host the load test's workers died over and over.
    load = _bench_load()
    home = tmp_path / "home"
    load.prepare(home, database_url, 50)
    port = load.free_port()
    command = [sys.executable, "-m", "likewise.cli.main", "serve", "--host", "127.0.0.1"]
    log_path = home / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2"],
            env=load.environment(home, database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(1200):
                started = log_path.read_text(errors="replace").count("startup complete")
                if started >= 2 or server.poll() is not None:
                    break
                time.sleep(0.25)
            assert started >= 2, log_path.read_text(errors="replace")[-2000:]
            workers = _workers_of(server.pid)
            assert len(workers) == 2
            os.kill(workers[0], signal.SIGSTOP)  # as if the host gave it no CPU for 8 s
            time.sleep(8)
            with contextlib.suppress(ProcessLookupError):  # gone if the supervisor killed it
                os.kill(workers[0], signal.SIGCONT)
            time.sleep(2)  # the supervisor checks its workers every half second
            assert _workers_of(server.pid) == workers
            assert "died" not in log_path.read_text(errors="replace")
            for _ in range(6):
                assert httpx.get(base + "/healthz", timeout=30).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=60)
