"""`likewise serve`: settings reach every worker, and two workers share one catalog safely."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from web_helpers import make_papers

from likewise.cli.main import main
from likewise.library import Library
from likewise.settings import Settings
from likewise.web.server import settings_from_json, settings_to_json


def test_settings_travel_to_workers_unchanged(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        categories=("cs.CL", "cs.IR"),
        port=9000,
        hubness_correction=False,
        relevance_threshold=0.7,
    )
    assert settings_from_json(settings_to_json(settings)) == settings


def test_serve_refuses_a_bad_port_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "70000"])
    assert stopped.value.code == 2
    assert "--port must be between 0 and 65535" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /healthz; a loaded 2-core machine may need a while to import two workers."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"server did not start: {log.read_text()}")


def test_two_workers_share_one_catalog_without_lost_or_double_votes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, embedder="fake")
    papers, announcements = make_papers()
    with Library.open(settings) as library:
        library.store.upsert_papers(papers, source="test", announcements=announcements)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "LIKEWISE_HOME": str(home), "LIKEWISE_EMBEDDER": "fake"}
    command = [
        sys.executable,
        "-m",
        "likewise.cli.main",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(base, process, log)
        ids = [paper.arxiv_id for paper in papers[:6]]

        def one_reader(name: str) -> None:
            with httpx.Client(base_url=base, timeout=120) as client:
                token = client.get("/api/session").json()["csrf_token"]
                signed = client.post(
                    "/signup",
                    data={"username": name, "password": "password 1", "csrf_token": token},
                    headers={"Accept": "application/json"},
                )
                assert signed.status_code == 201, signed.text
                headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
                for arxiv_id in ids + ids:  # every vote twice: the second must change nothing
                    response = client.post(f"/api/papers/{arxiv_id}/vote", headers=headers)
                    assert response.status_code == 200, response.text

        with ThreadPoolExecutor(3) as pool:
            list(pool.map(one_reader, ["reader1", "reader2", "reader3"]))
        with httpx.Client(base_url=base, timeout=120) as client:
            for arxiv_id in ids:
                assert client.get(f"/api/papers/{arxiv_id}").json()["page"]["votes"] == 3
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_only_one_worker_runs_the_daily_digest_job(catalog: Library) -> None:
    from fastapi.testclient import TestClient

    from likewise.web.app import create_app

    settings = catalog.settings.with_overrides(digest_time="23:59")
    catalog.settings = settings
    first, second = create_app(settings, catalog), create_app(settings, catalog)
    with TestClient(first), TestClient(second):
        running = [app.state.digest_job.job is not None for app in (first, second)]
        assert sorted(running) == [False, True]
    with TestClient(second):  # the lock is released when the first worker stops
        assert second.state.digest_job.job is not None
