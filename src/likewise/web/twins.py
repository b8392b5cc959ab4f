"""One view, two routes: the HTML page and its JSON twin under /api, from the same function.

A view returns its context (a dict); keys starting with "_" are for the page only. The HTML
route renders the template with it (or follows "_redirect"), the JSON route returns the rest
(or answers "_api_error", a (status, message) pair, when the page would redirect instead).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from likewise.web.templating import render, to_json

View = Callable[..., dict[str, Any]]


def _resolved_signature(view: View) -> inspect.Signature:
    """The view's signature with string annotations evaluated in the view's own module, so
    that FastAPI can read parameters off a wrapper defined here."""
    hints = get_type_hints(view, include_extras=True)
    signature = inspect.signature(view)
    parameters = [
        parameter.replace(annotation=hints.get(parameter.name, parameter.annotation))
        for parameter in signature.parameters.values()
    ]
    return signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty)


def twin(
    router: APIRouter,
    path: str,
    api_path: str,
    template: str,
    *,
    summary: str,
) -> Callable[[View], View]:
    """Register `view` as GET `path` (HTML) and GET `api_path` (JSON)."""

    def register(view: View) -> View:
        signature = _resolved_signature(view)

        def html_page(**arguments: Any) -> Response:
            request: Request = arguments["request"]
            context = view(**arguments)
            redirect = context.get("_redirect")
            if redirect:
                return RedirectResponse(redirect, status_code=307)
            return render(request, template, context)

        def json_twin(**arguments: Any) -> Response:
            context = view(**arguments)
            refusal = context.get("_api_error")
            if refusal:
                raise HTTPException(*refusal)
            return JSONResponse(to_json(context))

        for endpoint, suffix in ((html_page, "page"), (json_twin, "json")):
            endpoint.__signature__ = signature  # type: ignore[attr-defined]
            endpoint.__name__ = f"{view.__name__}_{suffix}"
            endpoint.__doc__ = view.__doc__
        router.add_api_route(
            path,
            html_page,
            methods=["GET"],
            summary=f"{summary} (HTML page)",
            response_class=HTMLResponse,
            tags=["pages"],
        )
        router.add_api_route(
            api_path,
            json_twin,
            methods=["GET"],
            summary=f"{summary} (JSON)",
            response_class=JSONResponse,
            tags=["api"],
        )
        return view

    return register
