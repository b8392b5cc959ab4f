"""The "For you" page and its JSON twin, its private Atom feed, and making a new feed link.

The page is computed on every load (services/recommend.py), so "Not interested" and new saves
show on the next one. The feed's URL carries a signed token (services/recommend_feed.py): a
feed reader cannot sign in, so the link is the credential; a new link revokes the old.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from likewise.digest.tokens import LinkError
from likewise.models import Paper
from likewise.services.errors import SiteError
from likewise.services.recommend import MAX_DAYS, PersonalFeed
from likewise.services.site_pages import PER_PAGE, Card, Listing, page_count
from likewise.store.accounts import Collection
from likewise.web.feeds import FEED_SIZE, atom_feed, site_base
from likewise.web.templating import current_user, library_of
from likewise.web.twins import twin

router = APIRouter()
MAX_SHOWN = 300
DAY_CHOICES = (1, 3, 7, 30)
COLLECTION_SHOWN = 5
Days = Annotated[
    int | None,
    Query(
        ge=1, le=MAX_DAYS, description="days of announcements; default the recommend_days setting"
    ),
]


def feed_cards(request: Request, feed: PersonalFeed, user_id: int | None) -> list[Card]:
    """The feed's recommendations as the site's cards (votes, topics, the viewer's state)."""
    extra = {
        r.paper.arxiv_id: Card(
            Paper(r.paper.arxiv_id, ""), score=r.similarity, reason=r.reason, day=r.day
        )
        for r in feed.recommendations
    }
    ids = [r.paper.arxiv_id for r in feed.recommendations]
    return library_of(request).site.cards_for(ids, user_id, extra)


def feed_path(token: str) -> str:
    return f"/feeds/for-you/{token}.atom"


@twin(router, "/for-you", "/api/for-you", "for_you.html", summary="For you")
def for_you(
    request: Request, days: Days = None, page: Annotated[int, Query(ge=1, le=10)] = 1
) -> dict[str, Any]:
    """Papers of the last days ranked for the signed-in reader from what they upvoted, saved
    and imported, minus what they marked "not interested"; each card's `reason` names the
    nearest of their papers and the key phrases both share. A reader with no signal gets
    `status` "no-signal" and a `message` saying what to do, never an error."""
    user = current_user(request)
    if user is None:
        return {
            "_redirect": "/signin?next=/for-you",
            "_api_error": (401, "sign in to see your For you feed"),
        }
    library = library_of(request)
    limit = min(page * PER_PAGE, MAX_SHOWN)
    try:
        feed = library.recommend.for_user(user.id, days=days, limit=limit + 1)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    shown = feed.recommendations[(page - 1) * PER_PAGE : limit]
    more = len(feed.recommendations) > limit and limit < MAX_SHOWN
    total = (page - 1) * PER_PAGE + len(shown) + (1 if more else 0)
    chosen = PersonalFeed(feed.key, shown, feed.days, feed.start, feed.end)
    listing = Listing(
        feed_cards(request, chosen, user.id), total, page, page_count(total, PER_PAGE)
    )
    token = library.feed_links.token_for(user.id)
    return {
        "title": "For you",
        "listing": listing,
        "days": feed.days,
        "start": feed.start,
        "end": feed.end,
        "candidates": feed.candidates,
        "positives": feed.positives,
        "hidden": feed.hidden,
        "status": feed.status,
        "message": feed.message,
        "feed_url": site_base(request) + feed_path(token),
        "_day_choices": DAY_CHOICES,
        "_has_library": any(getattr(r, "path", "") == "/library" for r in request.app.routes),
    }


@router.post("/for-you/feed-link", include_in_schema=False)
def new_feed_link_form(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/for-you", status_code=303)
    library_of(request).feed_links.rotate(user.id)
    return RedirectResponse("/for-you?feed=new#feed-link", status_code=303)


@router.post("/api/for-you/feed-link", summary="New For you feed link", tags=["api"])
def new_feed_link(request: Request) -> JSONResponse:
    """Makes a new private feed URL; the previous one stops working at once."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in to make a feed link")
    token = library_of(request).feed_links.rotate(user.id)
    return JSONResponse({"feed_url": site_base(request) + feed_path(token)})


@router.get("/feeds/for-you/{token}.atom", summary="Private Atom feed of For you", tags=["feeds"])
def for_you_feed(request: Request, token: Annotated[str, Path(max_length=200)]) -> Response:
    """The first recommendations of the account the link was made for (no sign-in: the link
    is private). A revoked or mangled link is a 404 that says so."""
    library = library_of(request)
    try:
        user_id = library.feed_links.user_of(token)
    except LinkError as error:
        raise HTTPException(404, str(error)) from error
    feed = library.recommend.for_user(user_id, limit=FEED_SIZE)
    user = library.accounts.repository.get_user(user_id)
    name = user.username if user else "you"
    return atom_feed(
        request,
        f"likewise: for {name}",
        feed_path(token),
        "/for-you",
        feed_cards(request, feed, user_id),
        why=True,
    )


def collection_recommendations(request: Request, user_id: int, collection: Collection) -> Listing:
    """Papers of the last days like one collection, for its page."""
    feed = library_of(request).recommend.for_collection(
        user_id, collection.id, collection.name, limit=COLLECTION_SHOWN
    )
    cards = feed_cards(request, feed, user_id)
    return Listing(cards, len(cards), 1, 1)
