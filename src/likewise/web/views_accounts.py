"""Sign up, sign in, sign out, address verification, and an account's private collections."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from likewise.digest.tokens import LinkError
from likewise.services.errors import NotFoundError, SiteError, TooManyAttemptsError
from likewise.web.security import client_address, safe_next
from likewise.web.templating import (
    csrf_token,
    current_user,
    library_of,
    render,
    sign_in,
    sign_out,
    to_json,
)
from likewise.web.twins import twin
from likewise.web.views_recommend import collection_recommendations

router = APIRouter()
Next = Annotated[str, Form(max_length=2000)]


@router.get("/signup", include_in_schema=False)
def signup_page(request: Request, next: str = "/") -> Response:
    return render(
        request,
        "account.html",
        {"title": "Sign up", "mode": "signup", "next": safe_next(next), "error": None, "name": ""},
    )


@router.post("/signup", summary="Create an account (form fields)", tags=["accounts"])
def signup(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    email: Annotated[str, Form(max_length=320)] = "",
    next: Next = "/",
) -> Response:
    """Creates the account and signs it in; HTML forms are redirected to `next`. An address
    given is verified by a mailed link before the account can use its digest."""
    library = library_of(request)
    try:
        library.accounts.limit_action("signup", client_address(request))
    except TooManyAttemptsError as error:
        return _account_error(request, "signup", str(error), username, next, 429)
    try:
        user = library.accounts.sign_up(username, password, email.strip() or None)
    except SiteError as error:
        return _account_error(request, "signup", str(error), username, next, 400)
    library.account_mail.send_email_verification(user)
    sign_in(request, user.id)
    return _signed_in_response(request, user.id, user.username, next, 201)


@router.get("/signin", include_in_schema=False)
def signin_page(request: Request, next: str = "/") -> Response:
    return render(
        request,
        "account.html",
        {"title": "Sign in", "mode": "signin", "next": safe_next(next), "error": None, "name": ""},
    )


@router.post("/signin", summary="Sign in (form fields)", tags=["accounts"])
def signin(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    next: Next = "/",
) -> Response:
    """Sets the session cookie. Repeated failures lock the name out for a while (429)."""
    try:
        user = library_of(request).accounts.sign_in(username, password, client_address(request))
    except TooManyAttemptsError as error:
        return _account_error(request, "signin", str(error), username, next, 429)
    except SiteError as error:
        return _account_error(request, "signin", str(error), username, next, 401)
    sign_in(request, user.id)
    return _signed_in_response(request, user.id, user.username, next, 200)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _account_error(
    request: Request, mode: str, message: str, name: str, next: str, status: int
) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    title = "Sign up" if mode == "signup" else "Sign in"
    context = {
        "title": title,
        "mode": mode,
        "next": safe_next(next),
        "error": message,
        "name": name,
    }
    return render(request, "account.html", context, status_code=status)


def _signed_in_response(
    request: Request, user_id: int, username: str, next: str, status: int
) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"id": user_id, "username": username, "csrf_token": csrf_token(request)},
            status_code=status,
        )
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout", summary="Sign out", tags=["accounts"])
def signout(request: Request, next: Next = "/") -> Response:
    sign_out(request)
    if _wants_json(request):
        return JSONResponse({"signed_in": False, "csrf_token": csrf_token(request)})
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/account/verify/{token}", include_in_schema=False)
def verify_address(
    request: Request, token: Annotated[str, Path(min_length=8, max_length=512)]
) -> Response:
    """The link of the verification mail: proves the account's address (no session needed)."""
    try:
        user = library_of(request).account_mail.verify_email(token)
    except LinkError as error:
        return _notice(request, "Verification failed", str(error), 400)
    return _notice(
        request,
        "Address verified",
        f"{user.email} is verified for the account {user.username}. A digest subscription of "
        "this address, once confirmed, shows under Your digest.",
    )


@router.post("/account/verify", summary="Mail the verification link again", tags=["accounts"])
def resend_verification(request: Request) -> Response:
    """At most a few mails a day reach one address; the answer is the same either way."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in to verify your address")
    if not user.email:
        raise HTTPException(400, "this account has no email address")
    if not user.email_verified:
        library_of(request).account_mail.send_email_verification(user)
    return _notice(request, "Check your inbox", f"We sent a verification link to {user.email}.")


def _notice(request: Request, title: str, text: str, status: int = 200) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": text}, status_code=status)
    context = {"title": title, "text": text, "failed": status >= 400}
    return render(request, "digest_message.html", context, status)


@router.get("/api/session", summary="Who is signed in, and the CSRF token", tags=["accounts"])
def session(request: Request) -> JSONResponse:
    """Scripts read the token here and send it as X-CSRF-Token on every POST/DELETE."""
    user = current_user(request)
    return JSONResponse({"user": to_json(user), "csrf_token": csrf_token(request)})


# -- collections -----------------------------------------------------------------------------
def _user_id_or_401(request: Request) -> int:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in to see your collections")
    return user.id


@twin(router, "/collections", "/api/collections", "collections.html", summary="My collections")
def collections(request: Request) -> dict[str, Any]:
    """The signed-in account's private collections."""
    user = current_user(request)
    if user is None:
        return {
            "_redirect": "/signin?next=/collections",
            "_api_error": (401, "sign in to see your collections"),
        }
    return {
        "collections": library_of(request).accounts.repository.collections_of(user.id),
        "title": "My collections",
    }


@router.post("/collections", include_in_schema=False)
def create_collection_form(
    request: Request, name: Annotated[str, Form(max_length=100)], next: Next = "/collections"
) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/collections", status_code=303)
    try:
        library_of(request).site.create_collection(user.id, name)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    return RedirectResponse(safe_next(next, "/collections"), status_code=303)


@twin(
    router,
    "/collections/{collection_id}",
    "/api/collections/{collection_id}",
    "list.html",
    summary="One collection",
)
def collection(
    request: Request,
    collection_id: Annotated[int, Path(ge=1, le=2**31)],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> dict[str, Any]:
    """Papers saved in one of the account's collections (others' are not found), and under
    `recommended` new papers like them (the collection's own "For you")."""
    user_id = _user_id_or_401(request)
    try:
        found, listing = library_of(request).site.collection_page(user_id, collection_id, page)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from error
    return {
        "collection": found,
        "listing": listing,
        "recommended": collection_recommendations(request, user_id, found),
        "title": found.name,
        "_heading": found.name,
        "_note": f"{listing.total} saved papers.",
        "_remove_from": found.id,
    }


@router.post("/collections/{collection_id}/remove", include_in_schema=False)
def remove_from_collection_form(
    request: Request,
    collection_id: Annotated[int, Path(ge=1, le=2**31)],
    arxiv_id: Annotated[str, Form(max_length=80)],
) -> Response:
    user_id = _user_id_or_401(request)
    try:
        library_of(request).site.remove_from_collection(user_id, collection_id, arxiv_id)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from error
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)
