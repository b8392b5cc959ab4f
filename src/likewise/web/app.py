"""The FastAPI application: routers, static files, error pages, session guard and lifespan.

HTML pages and their JSON twins (under /api) come from the same views; errors are HTML
pages for the site and `{"detail": ...}` for /api, never a bare 500.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from likewise import __version__
from likewise.library import Library
from likewise.secret_key import load_secret_key
from likewise.settings import Settings
from likewise.web import (
    feeds,
    subscriptions,
    views_accounts,
    views_library,
    views_lists,
    views_papers,
    views_recommend,
)
from likewise.web.openapi_doc import documented_openapi
from likewise.web.security import (
    GuardMiddleware,
    SessionCodec,
    csrf_guard,
    parse_trusted_proxies,
    refuse_nul_characters,
)
from likewise.web.templating import render

STATIC = Path(__file__).resolve().parent / "static"
_log = logging.getLogger(__name__)
_TITLES = {
    400: "Bad request",
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    414: "Too long",
    422: "Bad parameters",
    429: "Too many attempts",
}


def _wants_json(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/feeds/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    try:
        title = _TITLES.get(status, "Something went wrong")
        return render(
            request, "error.html", {"title": title, "status": status, "message": message}, status
        )
    except Exception:  # rendering must never turn an error into a 500 of its own
        _log.exception("error page failed")
        return PlainTextResponse(f"{status}: {message}", status_code=status)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(item) for item in problem.get("loc", ()) if item != "query")
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class HeadAsGet:
    """Answers HEAD on every GET route: the GET's status and headers, without its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class _DigestJob:
    """The digest job of this process, started in one worker only: the first to take an
    exclusive lock on HOME/digest-job.lock runs it (the outbox keeps sending exactly-once
    even if two machines ran it)."""

    def __init__(self, library: Library) -> None:
        self.job: Any = None
        self.lock_file: Any = None
        try:
            scheduler = importlib.import_module("likewise.digest.scheduler")
        except ModuleNotFoundError:
            _log.warning("digest_time is set but likewise.digest.scheduler is not available")
            return
        path = Path(library.settings.home) / "digest-job.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock_file = path.open("a")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            _log.info("another worker runs the daily digest job")
            self.lock_file.close()
            self.lock_file = None
            return
        try:
            self.job = scheduler.start_daily_job(library)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop = getattr(self.job, "stop", None)
        if callable(stop):
            stop()
        if self.lock_file is not None:
            self.lock_file.close()  # closing releases the lock


def create_app(settings: Settings, library: Library | None = None) -> FastAPI:
    """The site over the catalog the settings name (or over `library`, which stays open)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = library is None
        app.state.library = library if library is not None else Library.open(settings)
        job = _DigestJob(app.state.library) if settings.digest_time else None
        app.state.digest_job = job
        try:
            yield
        finally:
            if job is not None:
                job.stop()
            if opened:
                app.state.library.close()

    app = FastAPI(
        title="likewise",
        version=__version__,
        description="Daily papers, trending, hybrid search and similar papers over your own "
        "arXiv catalog. Every HTML page has a JSON twin under /api.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul_characters), Depends(csrf_guard)],
        # FastAPI's /docs and /redoc load scripts from a CDN; /api lists the API instead.
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = documented_openapi(app)  # type: ignore[method-assign]
    if library is not None:
        app.state.library = library  # usable before start-up (tests without lifespan)
    app.state.settings = settings
    app.state.trusted_proxies = parse_trusted_proxies(settings.trusted_proxies)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        response = _error_response(request, error.status_code, str(error.detail))
        for key, value in (error.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return _error_response(request, 422, _validation_message(error))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        _log.exception("unexpected error on %s", request.url.path)
        return _error_response(request, 500, "something went wrong on our side; it was logged")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        """A trivial endpoint: the baseline for bench/web.py and a liveness probe."""
        return PlainTextResponse("ok")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it whatever the page links to; the same mark as icon.svg."""
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")

    @app.get("/api", include_in_schema=False)
    def api_index(request: Request) -> Response:
        """Every JSON endpoint with its summary, from the OpenAPI schema (/openapi.json)."""
        routes = [
            (method.upper(), path, operation.get("summary", ""))
            for path, item in app.openapi().get("paths", {}).items()
            for method, operation in item.items()
            if "pages" not in operation.get("tags", [])
        ]
        return render(request, "api.html", {"title": "API", "routes": routes})

    app.include_router(views_lists.router)
    app.include_router(views_accounts.router)
    app.include_router(views_library.router)
    app.include_router(feeds.router)
    app.include_router(views_recommend.router)
    app.include_router(subscriptions.router)
    app.include_router(views_papers.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    secure = settings.base_url.startswith("https://")
    app.add_middleware(
        GuardMiddleware, codec=SessionCodec(load_secret_key(settings)), secure_cookie=secure
    )
    app.add_middleware(HeadAsGet)  # outermost: the guard and routes see a GET
    return app
