"""Helpers of the attack tests: a slice of the real arXiv catalog, and a signed-in session.

The slice is the first N lines of ../shared/data/arxiv-daily-cs/papers.jsonl.gz, written to
a temporary file (never into the repository) and ingested with the fake embedder.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from web_helpers import recorded_arxiv

from likewise.library import Library

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "arxiv-daily-cs"
PAPERS = CORPUS / "papers.jsonl.gz"


def write_slice(target: Path, lines: int, extra: list[str] | None = None) -> Path:
    """The first `lines` records of the real catalog (plus `extra` JSON lines) in `target`."""
    with gzip.open(PAPERS, "rt", encoding="utf-8") as source:
        taken = [line for _, line in zip(range(lines), source, strict=False)]
    target.write_text("".join(taken) + "".join(f"{line}\n" for line in extra or []), "utf-8")
    return target


def ingest_slice(library: Library, folder: Path, lines: int, extra: list[str] | None = None) -> int:
    """Ingest a slice into `library` and embed it; returns the number of papers stored."""
    path = write_slice(folder / "slice.jsonl", lines, extra)
    summary = library.catalog.ingest(library.catalog.file_source(path))
    assert summary.error is None, summary.error
    library.vectors.update_vectors()
    return library.store.count_papers()


def session_of(client: TestClient, name: str, password: str = "a long fuzz password") -> str:
    """Sign `client` up as `name`; returns the signed-in session's CSRF token."""
    page = client.get("/signin")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token, "every page carries the CSRF token"
    response = client.post(
        "/signup",
        data={"username": name, "password": password, "csrf_token": token.group(1)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf


def operation_labels() -> list[str]:
    """`METHOD /path` of every operation in the published schema (no catalog needed)."""
    from likewise.settings import Settings
    from likewise.web.app import create_app

    settings = Settings(home=Path("/nonexistent-likewise-home"), secret_key="schema-only")
    paths: dict[str, dict[str, Any]] = create_app(settings).openapi()["paths"]
    return [
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


class SchemaFuzz:
    """Schemathesis cases for one app over a real slice, sent by a signed-in visitor."""

    def __init__(self, app: Any, headers: dict[str, str], leaving: dict[str, str]) -> None:
        """`headers` carry the session every operation uses; `leaving` another one, for
        sign-out only, so that signing out never ends the session the others run in."""
        import schemathesis
        from schemathesis.config import SchemathesisConfig

        # A refusal is any 4xx naming the problem: the schema cannot say that a search text
        # must hold no control character, or that `since` comes before `until` (400), and
        # an over-long URL is refused before its parameters are read (414).
        refusals = ["400", "401", "403", "404", "409", "413", "414", "422", "429"]
        config = SchemathesisConfig.from_dict(
            {
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", *(s for s in refusals if s != "422")]
                    },
                    "negative_data_rejection": {"expected-statuses": refusals},
                }
            }
        )
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        self.headers = headers
        self.leaving = leaving

    @classmethod
    @contextmanager
    def over_slice(cls, folder: Path, lines: int) -> Iterator[SchemaFuzz]:
        from likewise.settings import Settings
        from likewise.web.app import create_app

        settings = Settings(
            home=folder / "home", database_url=f"sqlite:///{folder / 'fuzz.db'}", embedder="fake"
        )
        settings.home.mkdir(parents=True, exist_ok=True)
        with Library.open(settings) as library:
            library.catalog.use_transport(recorded_arxiv([]))
            ingest_slice(library, folder, lines)
            app = create_app(settings, library)
            sessions = []
            for name in ("fuzzer", "leaver"):
                with TestClient(app) as client:
                    csrf = session_of(client, name)
                    cookie = "; ".join(f"{key}={value}" for key, value in client.cookies.items())
                sessions.append({"Cookie": cookie, "X-CSRF-Token": csrf})
            yield cls(app, *sessions)

    def run(self, label: str, examples: int, seed: int) -> tuple[int, list[str]]:
        """Send up to `examples` valid and as many invalid cases; (cases sent, failures)."""
        import hypothesis
        from hypothesis import strategies
        from schemathesis import GenerationMode

        method, path = label.split(" ", 1)
        operation = self.schema[path][method]
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        strategy = strategies.one_of(*(operation.as_strategy(mode) for mode in modes))
        failures: dict[str, str] = {}
        tried = 0
        headers = self.leaving if label == "POST /signout" else self.headers

        @hypothesis.settings(
            max_examples=examples * 2,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.seed(seed)
        @hypothesis.given(strategy)
        def send(case: Any) -> None:
            nonlocal tried
            tried += 1
            try:
                case.call_and_validate(headers=headers)
            except BaseExceptionGroup as group:  # schemathesis: every failed check at once
                for failure in group.exceptions:
                    key = f"{getattr(failure, 'code', '')} {failure}".splitlines()[0][:200]
                    failures.setdefault(key, f"{label}: {key}\n{group}"[:4000])
            except AssertionError as failure:  # one failed check, collected like the rest
                key = f"{getattr(failure, 'code', '')} {failure}".splitlines()[0][:200]
                failures.setdefault(key, f"{label}: {key}\n{failure}"[:4000])

        send()
        return tried, list(failures.values())


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
