"""The published /openapi.json says what the site really answers: its error bodies, statuses
and media types, which FastAPI's generated schema leaves out or gets wrong.

Every error is `{"detail": "<message>"}` (app.py), an HTML error page on the site's own
routes, or plain text for the size limits refused before routing (security.py); feeds are
Atom and BibTeX is application/x-bibtex. schemathesis (tests/web/test_schema_fuzz.py) checks
every answer against this schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "properties": {"detail": {"type": "string", "description": "what was wrong, in words"}},
    "required": ["detail"],
}
_TEXT: dict[str, Any] = {"schema": {"type": "string"}}
_ERRORS_ANY_METHOD = {
    400: "Bad input, named in `detail`",
    401: "Sign in needed (collections, account pages, the API's state changes)",
    404: "Not found",
    414: "Query string over the size limit",
    422: "A parameter out of its documented range or of the wrong type",
}
_ERRORS_STATE_CHANGE = {
    403: "Missing or stale CSRF token",
    413: "Request body over the size limit",
    429: "Too many attempts; try again later",
}
# Statuses besides 200 that routes answer on success, by method and path.
_EXTRA_SUCCESS = {
    ("post", "/signup"): {"201": "Account created (JSON clients)"},
    ("post", "/api/submit"): {"201": "Paper fetched and added"},
}
# The 200 body of routes whose answer is not JSON, by the end of their path.
_SUCCESS_MEDIA = {".atom": "application/atom+xml", "/bibtex": "application/x-bibtex"}
_UNSAFE = {"post", "put", "patch", "delete"}


def _error_content(path: str, status: int) -> dict[str, Any]:
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
    }
    if status in (413, 414):
        content["text/plain"] = _TEXT  # refused by GuardMiddleware before any route runs
    elif not path.startswith(("/api/", "/feeds/")):
        content["text/html"] = _TEXT  # the site's own routes answer browsers with a page
    return content


def _document_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    errors = dict(_ERRORS_ANY_METHOD)
    if method in _UNSAFE:
        errors |= _ERRORS_STATE_CHANGE
    for status, description in errors.items():
        responses[str(status)] = {
            "description": description,
            "content": _error_content(path, status),
        }
    for code, text in _EXTRA_SUCCESS.get((method, path), {}).items():
        responses[code] = {
            "description": text,
            "content": {"application/json": {"schema": {}}},
        }
    site_route = not path.startswith(("/api/", "/feeds/"))
    if site_route and method == "post":
        responses["303"] = {"description": "HTML forms go back to the page they came from"}
    if "pages" in operation.get("tags", []):
        responses["307"] = {"description": "Another page shows this (the nearest day, sign-in)"}
    for ending, media_type in _SUCCESS_MEDIA.items():
        if path.endswith(ending) and "200" in responses:
            responses["200"]["content"] = {media_type: _TEXT}


def documented_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi` that corrects the generated schema once, then caches it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        # Validation errors are {"detail": "<field>: <problem>"} here (app.py), never a list.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Error"] = ERROR_SCHEMA
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    _document_operation(path, method, operation)
        app.openapi_schema = schema
        return schema

    return openapi
