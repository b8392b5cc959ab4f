"""Web routes of the digest area: subscribe box, confirmation, manage and unsubscribe links.

Manage and unsubscribe pages are reached only through links signed for one subscriber
(digest/tokens.py): a guessed or altered link is refused, so nobody reads or changes another
subscriber's settings. Forms carry the site's CSRF token, except the RFC 8058 one-click
unsubscribe POST, which mail clients send without a session and which its signed link
authorises on its own.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from likewise.digest.interests import CADENCES, STRICTNESS, InterestError, InterestForm
from likewise.digest.tokens import LinkError
from likewise.services.errors import TooManyAttemptsError
from likewise.services.site_pages import Card
from likewise.store.accounts import User
from likewise.store.digests import Subscriber
from likewise.web.feeds import atom_feed
from likewise.web.security import client_address, csrf_exempt, safe_next
from likewise.web.templating import current_user, library_of, render

router = APIRouter(tags=["digests"])
Token = Annotated[str, Path(min_length=8, max_length=512)]
Text = Annotated[str, Form(max_length=5000)]


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _message(request: Request, title: str, text: str, status: int = 200, **extra: Any) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": text, **extra}, status_code=status)
    context = {"title": title, "text": text, "failed": status >= 400, **extra}
    return render(request, "digest_message.html", context, status)


@router.post("/subscribe", summary="Subscribe an address to digests (double opt-in)")
def subscribe(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sends a confirmation mail with a signed link that expires; nothing else is sent
    before the address is confirmed."""
    library = library_of(request)
    try:
        library.accounts.limit_action("subscribe", client_address(request))
    except TooManyAttemptsError as error:
        return _message(request, "Subscribe", str(error), 429, back=safe_next(next))
    # No account is linked here, even the signed-in one: typing an address proves nothing.
    try:
        library.digests.request_subscription(email, source="web")
    except InterestError as error:
        return _message(
            request, "Subscribe", str(error), 400, back=safe_next(next), email=email[:320]
        )
    pending = (
        ""
        if library.settings.smtp_host
        else (
            " (this site has no mail server configured yet: the confirmation mail is queued "
            "and goes out once the operator sets one up)"
        )
    )
    return _message(
        request,
        "Check your inbox",
        f"We sent a confirmation link to {email.strip()}. Open it within three days to start "
        f"receiving digests.{pending}",
        back=safe_next(next),
    )


@router.get("/subscriptions/confirm/{token}", include_in_schema=False)
def confirm(request: Request, token: Token) -> Response:
    library = library_of(request)
    try:
        subscriber = library.digests.confirm_subscription(token)
    except LinkError as error:
        return _message(request, "Confirmation failed", str(error), 400)
    links = library.digests.subscriber_links(subscriber)
    return _message(
        request,
        "Subscription confirmed",
        f"{subscriber.email} will now receive digests. Tell us what you follow so that they "
        "match your interests.",
        manage=links.manage,
    )


def _manage_context(request: Request, subscriber: Subscriber, **extra: Any) -> dict[str, Any]:
    library = library_of(request)
    links = library.digests.subscriber_links(subscriber)
    form = extra.pop("form", None) or InterestForm.from_interests(subscriber.interests)
    return {
        "title": "Your digest",
        "subscriber": subscriber,
        "form": form,
        "problems": library.digests.subscription_problems(subscriber),
        "cadences": CADENCES,
        "strictness": STRICTNESS,
        "links": links,
        "error": None,
        "saved": False,
        "collections": (
            library.accounts.repository.collections_of(subscriber.user_id)
            if subscriber.user_id is not None
            else []
        ),
        **extra,
    }


def _manage_json(context: dict[str, Any]) -> dict[str, Any]:
    subscriber: Subscriber = context["subscriber"]
    return {
        "email": subscriber.email,
        "confirmed": subscriber.confirmed,
        "cadence": subscriber.cadence,
        "strictness": subscriber.strictness,
        "interests": [{"kind": i.kind, "value": i.value} for i in subscriber.interests],
        "problems": context["problems"],
        "feed": context["links"].feed,
        "error": context["error"],
    }


def _show_manage(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    if _wants_json(request):
        return JSONResponse(_manage_json(context), status_code=status)
    return render(request, "digest_manage.html", context, status)


def _subscriber_for(request: Request, token: str) -> Subscriber:
    try:
        return library_of(request).digests.subscriber_from_link(token)
    except LinkError as error:
        raise HTTPException(404, f"{error}") from error


@router.get("/subscriptions/manage/{token}", summary="A subscriber's settings (signed link)")
def manage_page(request: Request, token: Token) -> Response:
    subscriber = _subscriber_for(request, token)
    return _show_manage(request, _manage_context(request, subscriber, action=request.url.path))


@dataclasses.dataclass(frozen=True, slots=True)
class SubmittedSettings:
    """The settings form as posted, on the manage link's page and on the account's."""

    interests: InterestForm
    cadence: str
    strictness: str
    collection: str
    bibtex: str


def _submitted_settings(
    categories: Text = "",
    authors: Text = "",
    searches: Text = "",
    likes: Text = "",
    trending: Annotated[str, Form(max_length=3)] = "",
    collection: Annotated[str, Form(max_length=12)] = "",
    cadence: Annotated[str, Form(max_length=16)] = "daily",
    strictness: Annotated[str, Form(max_length=16)] = "balanced",
    bibtex: Annotated[str, Form(max_length=60_000)] = "",
) -> SubmittedSettings:
    interests = InterestForm(categories, authors, searches, likes, trending)
    return SubmittedSettings(interests, cadence, strictness, collection, bibtex)


SettingsForm = Annotated[SubmittedSettings, Depends(_submitted_settings)]


def _update(
    request: Request, subscriber: Subscriber, submitted: SubmittedSettings, action: str
) -> Response:
    library = library_of(request)
    form = submitted.interests
    pairs = form.pairs()
    collection = submitted.collection
    if collection.strip():
        pairs.append(("collection", collection.strip()))
    unmatched: list[str] = []
    try:
        if submitted.bibtex.strip():
            found, unmatched = library.digests.likes_from_bibtex(submitted.bibtex)
            pairs += [("like", arxiv_id) for arxiv_id in found]
        updated = library.digests.update_subscription(
            subscriber, pairs, cadence=submitted.cadence, strictness=submitted.strictness
        )
    except InterestError as error:
        context = _manage_context(request, subscriber, form=form, error=str(error), action=action)
        return _show_manage(request, context, 400)
    context = _manage_context(request, updated, saved=True, action=action)
    if unmatched:
        context["problems"].append(
            "BibTeX entries not found in this catalog: " + ", ".join(unmatched[:20])
        )
    return _show_manage(request, context)


@router.post("/subscriptions/manage/{token}", summary="Change a subscriber's settings")
def manage_save(request: Request, token: Token, submitted: SettingsForm) -> Response:
    subscriber = _subscriber_for(request, token)
    return _update(request, subscriber, submitted, request.url.path)


@router.get("/subscriptions/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_page(request: Request, token: Token) -> Response:
    # GET only asks: link scanners fetch every URL in a mail and must not unsubscribe anyone.
    return render(
        request,
        "digest_unsubscribe.html",
        {"title": "Unsubscribe", "action": request.url.path, "done": None},
    )


@router.post("/subscriptions/unsubscribe/{token}", summary="Unsubscribe (RFC 8058 one-click)")
@csrf_exempt
def unsubscribe(
    request: Request,
    token: Token,
    one_click: Annotated[str, Form(alias="List-Unsubscribe", max_length=20)] = "",
) -> Response:
    """Mail clients POST `List-Unsubscribe=One-Click` here; the signed link is the proof."""
    library = library_of(request)
    try:
        email = library.digests.unsubscribe(token)
    except LinkError as error:
        raise HTTPException(404, str(error)) from error
    if one_click == "One-Click" or _wants_json(request):
        return PlainTextResponse(f"{email} is unsubscribed")
    return render(
        request, "digest_unsubscribe.html", {"title": "Unsubscribed", "action": "", "done": email}
    )


@router.get("/subscriptions/feed/{feed_token}.atom", summary="A subscriber's private feed")
def private_feed(request: Request, feed_token: Annotated[str, Path(max_length=128)]) -> Response:
    found = library_of(request).digests.digest_feed(feed_token)
    if found is None:
        raise HTTPException(404, "no such feed")
    subscriber, entries = found
    cards = [
        Card(
            dataclasses.replace(
                item.paper, abstract=f"[{item.entry.reason}] {item.paper.abstract}"
            ),
            day=item.entry.window_end,
        )
        for item in entries
    ]
    path = f"/subscriptions/feed/{feed_token}.atom"
    return atom_feed(request, f"likewise digest for {subscriber.email}", path, "/", cards)


def _account_subscriber(request: Request) -> tuple[User, Subscriber | None]:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in to manage your digest")
    return user, library_of(request).account_mail.subscription_of_user(user.id)


def _no_account_digest(request: Request, user: User) -> Response:
    if not user.email:
        text = "This account has no email address, so it has no digest."
        return _message(request, "Your digest", text, 404)
    if not user.email_verified:
        text = (
            f"Verify this account's address first: open the link we mailed to {user.email} "
            "(or ask for a new one below). Until then the account cannot see or change that "
            "address's digest."
        )
        return _message(request, "Your digest", text, 403, verify=True)
    text = (
        f"You have no digest yet: subscribe {user.email} with the box above; once you "
        "open the confirmation mail, the digest shows here."
    )
    return _message(request, "Your digest", text, 404)


@router.get("/account/digest", include_in_schema=False)
def account_digest(request: Request) -> Response:
    """A signed-in account's digest settings: only for the confirmed subscription of the
    account's own verified address."""
    user, subscriber = _account_subscriber(request)
    if subscriber is None:
        return _no_account_digest(request, user)
    return _show_manage(request, _manage_context(request, subscriber, action="/account/digest"))


@router.post("/account/digest", include_in_schema=False)
def account_digest_save(request: Request, submitted: SettingsForm) -> Response:
    user, subscriber = _account_subscriber(request)
    if subscriber is None:
        return _no_account_digest(request, user)
    return _update(request, subscriber, submitted, "/account/digest")
