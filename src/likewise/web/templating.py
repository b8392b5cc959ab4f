"""Rendering pages with the site's base layout, and what every view needs from a request.

Other areas' routers (web/subscriptions.py) use: `render(request, "name.html", context)`
(templates extend "base.html"), `current_user(request)`, `csrf_token(request)`,
`library_of(request)`, `sign_in(request, user_id)` and `flash(request, text)`; see docs/web.md.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from likewise.models import Paper
from likewise.store.accounts import User
from likewise.web.evidence_marks import marked_excerpt
from likewise.web.security import CSRF_FIELD, session_of
from likewise.web.texmath import render_tex, strip_tex

if TYPE_CHECKING:
    from likewise.library import Library

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _excerpt(text: str | None, limit: int = 280) -> str:
    """Abstract excerpt cut at a word and never inside a `$...$` formula."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    if text[:cut].count("$") % 2:
        cut = text.rfind("$", 0, cut)
    return text[:cut].rstrip(" ,;:") + " …"


def _code_spans(text: str | None) -> Markup:
    """Plain text with its `backquoted` parts (commands to run) set as code."""
    parts = str(escape(text or "")).split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote stays as it is
        parts[-2:] = ["`".join(parts[-2:])]
    shown = [f"<code>{part}</code>" if n % 2 else part for n, part in enumerate(parts)]
    return Markup("".join(shown))  # every part was escaped above


def _url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["tex"] = render_tex
    environment.filters["plain"] = strip_tex
    environment.filters["excerpt"] = _excerpt
    environment.filters["marked_excerpt"] = marked_excerpt
    environment.filters["code_spans"] = _code_spans
    environment.filters["path"] = lambda value: quote(str(value), safe="/:")
    environment.filters["percent"] = lambda value: f"{100 * float(value):.0f}%"
    environment.globals["url_with"] = _url_with
    return environment


_ENVIRONMENT = _environment()


def library_of(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def csrf_token(request: Request) -> str:
    return session_of(request).csrf


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


def current_user(request: Request) -> User | None:
    """The signed-in account, looked up once per request; None for visitors and for
    sessions that were signed out (their server-side record is gone)."""
    if "likewise.user" in request.scope:
        cached: User | None = request.scope["likewise.user"]
        return cached
    session = session_of(request)
    library = library_of(request)
    user = library.accounts.user_for_session(session.session_id) if session.session_id else None
    if session.session_id is not None and user is None:
        session.sign_out()  # ended elsewhere, expired, or the account is gone
    request.scope["likewise.user"] = user
    return user


def sign_in(request: Request, user_id: int) -> None:
    """Start a new server-side session for the account (rotating the cookie's id)."""
    session = session_of(request)
    library = library_of(request)
    if session.session_id is not None:
        library.accounts.end_session(session.session_id)
    session.sign_in(library.accounts.start_session(user_id))
    request.scope.pop("likewise.user", None)


def sign_out(request: Request) -> None:
    """End the session for good: a copy of the cookie no longer signs anyone in."""
    session = session_of(request)
    if session.session_id is not None:
        library_of(request).accounts.end_session(session.session_id)
    session.sign_out()
    request.scope["likewise.user"] = None


def flash(request: Request, text: str) -> None:
    """A one-line notice shown at the top of the page being rendered."""
    request.scope.setdefault("likewise.notices", []).append(text)


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page in the site's layout; `title` in context names the page."""
    values = {
        "request": request,
        "user": current_user(request),
        "csrf_token": csrf_token(request),
        "csrf_input": csrf_input(request),
        "notices": request.scope.get("likewise.notices", []),
        "site_settings": library_of(request).settings,
        "catalog_span": library_of(request).site.catalog_span(),
        **context,
    }
    values.setdefault("title", "")
    html = _ENVIRONMENT.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def paper_json(paper: Paper) -> dict[str, Any]:
    links: dict[str, str] = {}
    if not paper.is_local:
        links = {
            "abs": f"https://arxiv.org/abs/{paper.arxiv_id}",
            "pdf": f"https://arxiv.org/pdf/{paper.arxiv_id}",
        }
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "categories": list(paper.categories),
        "submitted": paper.submitted,
        "updated": paper.updated,
        "announced": paper.announced,
        "latest_version": paper.latest_version,
        "versions": [
            {"version": v.number, "submitted": v.submitted, "size": v.size} for v in paper.versions
        ],
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "links": links,
        "url": f"/papers/{paper.arxiv_id}",
    }


def to_json(value: Any) -> Any:
    """A JSON-ready copy of a view's context: dataclasses to objects, dates to ISO text."""
    if isinstance(value, Paper):
        return to_json(paper_json(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: to_json(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.name != "password_hash"
        }
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
