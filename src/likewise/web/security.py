"""Request safety: signed session cookies, CSRF tokens, client addresses, size limits.

Every visitor gets a signed session cookie (itsdangerous) holding a random CSRF token and,
once signed in, a random session id that names a server-side session record (sign-out
deletes it). Every POST/PUT/PATCH/DELETE must echo the token in the form field `csrf_token`
or the `X-CSRF-Token` header (synchroniser-token pattern, OWASP), except endpoints marked
`csrf_exempt` (links signed on their own, such as RFC 8058 one-click unsubscribe).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from likewise.ingest.library_records import MAX_LIBRARY_BYTES

SESSION_COOKIE = "likewise_session"
SESSION_MAX_AGE = 30 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_BODY_BYTES = 64 * 1024
# A library file (BibTeX to zotero.sqlite) is uploaded whole; only these paths take one.
UPLOAD_PATHS = frozenset({"/library/import", "/api/library/import"})
MAX_UPLOAD_BYTES = MAX_LIBRARY_BYTES + 64 * 1024  # the file, plus the form around it
MAX_QUERY_BYTES = 4096
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Defence in depth behind escaping: only our own scripts and styles, no framing.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
F = TypeVar("F", bound=Callable[..., Any])


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(slots=True)
class Session:
    """What the session cookie carries; `changed` makes the middleware send a new cookie.
    `session_id` is None for visitors; for accounts it names the server-side record."""

    csrf: str
    session_id: str | None = None
    changed: bool = False

    def sign_in(self, session_id: str) -> None:
        # A new id and token on every change of identity: no session fixation.
        self.session_id = session_id
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True

    def sign_out(self) -> None:
        self.session_id = None
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True


class SessionCodec:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="likewise.session")

    def dumps(self, session: Session) -> str:
        return str(self._serializer.dumps({"c": session.csrf, "s": session.session_id}))

    def loads(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 1024:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        # Cookies from before server-side sessions carried "u" (an account id): now visitors.
        session_id = data.get("s")
        csrf: str = data["c"]
        return Session(csrf, session_id if isinstance(session_id, str) else None)


def _cookie_value(scope: Scope, name: str) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return None


class GuardMiddleware:
    """Size limits first (414 / 413 before any work), then the session in and out."""

    def __init__(
        self,
        app: ASGIApp,
        codec: SessionCodec,
        secure_cookie: bool = False,
        max_body: int = MAX_BODY_BYTES,
        max_query: int = MAX_QUERY_BYTES,
        max_upload: int = MAX_UPLOAD_BYTES,
    ) -> None:
        self.app = app
        self.codec = codec
        self.secure_cookie = secure_cookie
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_query = max_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await _plain(send, 414, f"query string over {self.max_query} bytes")
            return
        limit = self.max_upload if scope.get("path") in UPLOAD_PATHS else self.max_body
        for key, value in scope.get("headers", []):
            if key == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _plain(send, 413, f"request body over {limit} bytes")
                return
        existing = self.codec.loads(_cookie_value(scope, SESSION_COOKIE))
        session = existing or Session(secrets.token_urlsafe(24), changed=True)
        scope["likewise.session"] = session
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body over {limit} bytes")
            return message

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                if session.changed:
                    attributes = f"Path=/; Max-Age={SESSION_MAX_AGE}; HttpOnly; SameSite=Lax"
                    if self.secure_cookie:
                        attributes += "; Secure"
                    cookie = f"{SESSION_COOKIE}={self.codec.dumps(session)}; {attributes}"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited_receive, send_with_cookie)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def session_of(request: Request) -> Session:
    session = request.scope.get("likewise.session")
    if not isinstance(session, Session):
        # Only reached when the app runs without GuardMiddleware (never in create_app).
        session = Session(secrets.token_urlsafe(24), changed=True)
        request.scope["likewise.session"] = session
    return session


def csrf_exempt(endpoint: F) -> F:
    """Mark an endpoint whose POST is authorised by its own signed link, not a CSRF token."""
    endpoint.__dict__["likewise_csrf_exempt"] = True
    return endpoint


async def csrf_guard(request: Request) -> None:
    """App-wide dependency: refuse a state-changing request without the session's token."""
    if request.method not in _UNSAFE_METHODS:
        return
    endpoint = request.scope.get("endpoint")
    if getattr(endpoint, "likewise_csrf_exempt", False):
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    expected = session_of(request).csrf
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            403, "missing or stale form token: reload the page and try again (CSRF check)"
        )


async def refuse_nul_characters(request: Request) -> None:
    """App-wide dependency: NUL in a path, query or form value is refused with 400 (no
    database stores it, and no real text contains it)."""
    path: str = request.scope.get("path", "")
    if "\x00" in path or any("\x00" in value for value in request.query_params.values()):
        raise HTTPException(400, "the request contains a NUL character")
    content_type = request.headers.get("content-type", "")
    if request.method in _UNSAFE_METHODS and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        if any(isinstance(value, str) and "\x00" in value for value in form.values()):
            raise HTTPException(400, "the form contains a NUL character")


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after a form; anything else (other hosts) gives default."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 32 for char in target) or len(target) > 2000:
        return default
    return target


def parse_trusted_proxies(entries: Iterable[str]) -> tuple[Network, ...]:
    """The `trusted_proxies` setting as networks; ValueError naming the setting otherwise."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"setting trusted_proxies: {entry!r} is not an IP address or network "
                "(such as 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def client_address(request: Request) -> str:
    """The client's address for rate limits: the peer, or, when the peer is a trusted proxy,
    the right-most X-Forwarded-For entry that is not itself a trusted proxy (entries further
    left are whatever the client chose to send)."""
    peer = request.client.host if request.client else "unknown"
    trusted: tuple[Network, ...] = getattr(request.app.state, "trusted_proxies", ())
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer
