"""Run the site with uvicorn; several workers each build the app from the same settings.

Workers are separate processes (uvicorn re-imports `app_factory`), so the settings travel to
them as JSON in one environment variable set here, the edge where they were loaded.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from likewise.settings import Settings

SETTINGS_VARIABLE = "LIKEWISE_SERVE_SETTINGS_JSON"
# uvicorn kills and replaces a worker that misses its health-check ping for this long. Its
# default (5 s) killed workers that were merely starved of CPU on a busy host, or still
# importing at start-up, dropping their requests (bench/load.py, tests/web/test_load.py).
WORKER_HEALTHCHECK_SECONDS = 60


def settings_to_json(settings: Settings) -> str:
    values: dict[str, Any] = {}
    for item in dataclasses.fields(settings):
        value = getattr(settings, item.name)
        values[item.name] = str(value) if isinstance(value, Path) else value
    return json.dumps(values)


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    kinds = {item.name: item.default for item in dataclasses.fields(Settings)}
    for name, default in kinds.items():
        if name not in values:
            continue
        if isinstance(default, Path):
            values[name] = Path(values[name])
        elif isinstance(default, tuple):
            values[name] = tuple(values[name])
    return Settings(**{name: value for name, value in values.items() if name in kinds})


def app_factory() -> FastAPI:
    """What each uvicorn worker calls to build its app."""
    from likewise.web.app import create_app

    text = os.environ.get(SETTINGS_VARIABLE)
    if text is None:
        from likewise.settings import load_settings

        return create_app(load_settings())
    return create_app(settings_from_json(text))


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> None:
    """Serve until interrupted. The catalog is opened (and migrated) once here first, so
    that workers starting together never race to create the schema."""
    import uvicorn

    from likewise.library import Library
    from likewise.secret_key import load_secret_key

    Library.open(settings).close()
    load_secret_key(settings)
    os.environ[SETTINGS_VARIABLE] = settings_to_json(settings)
    uvicorn.run(
        "likewise.web.server:app_factory",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=max(1, workers if workers is not None else settings.workers),
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_level="info",
    )
