"""Atom 1.0 feeds (RFC 4287) of the daily list, each category, trending and any search.

Built with ElementTree, so every title, name and abstract is escaped by the serialiser.
Links are absolute: from the `base_url` setting, else from the address the request came to.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from likewise.services.errors import SiteError
from likewise.services.site_pages import Card
from likewise.web.params import IsoDay
from likewise.web.templating import current_user, library_of
from likewise.web.texmath import strip_tex
from likewise.web.views_lists import (
    CrossLists,
    DailyCategory,
    DailyTopic,
    daily_params,
    search_params,
)
from likewise.web.views_lists import search as search_view

router = APIRouter(tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _stamp(card: Card) -> datetime:
    paper = card.paper
    if paper.updated:
        return paper.updated
    if paper.submitted:
        return paper.submitted
    day = card.day or paper.announced
    return datetime.combine(day, time(), UTC) if day else datetime(1970, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def site_base(request: Request) -> str:
    """The site's absolute address: the `base_url` setting, else the request's own host."""
    configured = library_of(request).settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


def _empty_feed_stamp(request: Request) -> datetime:
    """When an empty feed last changed: the catalog's newest announcement (else now)."""
    days = library_of(request).site.announcement_calendar()
    return datetime.combine(days[-1], time(), UTC) if days else datetime.now(UTC)


def atom_feed(
    request: Request,
    title: str,
    self_path: str,
    page_path: str,
    cards: list[Card],
    *,
    why: bool = False,
) -> Response:
    """The feed of the cards; `why`: each summary starts with the card's reason."""
    base = site_base(request)
    feed = Element("feed", xmlns=ATOM)
    SubElement(feed, "title").text = title
    SubElement(feed, "id").text = base + self_path
    SubElement(feed, "link", rel="self", href=base + self_path)
    SubElement(feed, "link", rel="alternate", type="text/html", href=base + page_path)
    SubElement(feed, "generator").text = "likewise"
    newest = max((_stamp(card) for card in cards), default=None)
    SubElement(feed, "updated").text = _iso(newest or _empty_feed_stamp(request))
    for card in cards:
        paper = card.paper
        entry = SubElement(feed, "entry")
        SubElement(entry, "title").text = strip_tex(paper.title)
        url = f"{base}/papers/{quote(paper.arxiv_id, safe='/:')}"
        SubElement(entry, "id").text = url
        SubElement(entry, "link", rel="alternate", type="text/html", href=url)
        SubElement(entry, "updated").text = _iso(_stamp(card))
        if paper.submitted:
            SubElement(entry, "published").text = _iso(paper.submitted)
        for name in paper.authors or ["unknown"]:
            SubElement(SubElement(entry, "author"), "name").text = name
        for category in paper.categories:
            SubElement(entry, "category", term=category)
        for topic in card.topics:
            SubElement(entry, "category", term=topic.id, scheme=f"{base}/api/topics")
        summary = paper.abstract
        if card.votes:
            summary = f"[{card.votes} upvotes] {summary}"
        if why and card.reason:
            summary = f"Why: {card.reason}.\n\n{summary}"
        SubElement(entry, "summary").text = summary
    body = tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        media_type="application/atom+xml; charset=utf-8",
    )


def _user_id(request: Request) -> int | None:
    user = current_user(request)
    return user.id if user else None


@router.get("/feeds/daily.atom", summary="Atom feed of the daily papers")
def daily_feed(
    request: Request,
    day: Annotated[IsoDay | None, Query(description="default the newest day")] = None,
    category: DailyCategory = "",
    cross: CrossLists = "show",
    topic: DailyTopic = "",
) -> Response:
    """The daily list's first papers, with the same `category`, `topic` and `cross` filters as
    the page; a feed of a given day has that day in its id and links (the default follows the
    newest)."""
    category = category.strip()
    topic = topic.strip()
    try:
        listing = library_of(request).site.daily(
            day,
            "day",
            _user_id(request),
            1,
            per_page=FEED_SIZE,
            category=category,
            cross_lists=cross == "show",
            topic=topic,
        )
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    shown = listing.day.isoformat() if listing.day else "no papers yet"
    query = daily_params(listing.day if day else None, "day", category, cross, topic)
    suffix = f"?{query}" if query else ""
    narrowed = "".join(f", {value}" for value in (category, topic) if value)
    title = f"likewise: daily papers ({shown}{narrowed})"
    return atom_feed(request, title, f"/feeds/daily.atom{suffix}", f"/{suffix}", listing.cards)


@router.get("/feeds/trending.atom", summary="Atom feed of trending papers")
def trending_feed(request: Request) -> Response:
    listing = library_of(request).site.trending(_user_id(request), 1, per_page=FEED_SIZE)
    return atom_feed(
        request, "likewise: trending papers", "/feeds/trending.atom", "/trending", listing.cards
    )


@router.get("/feeds/categories/{category}.atom", summary="Atom feed of a category")
def category_feed(request: Request, category: Annotated[str, Path(max_length=40)]) -> Response:
    try:
        listing = library_of(request).site.category_papers(
            category, _user_id(request), 1, per_page=FEED_SIZE
        )
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    if listing.total == 0:
        raise HTTPException(404, f"no papers in category {category!r} in this catalog")
    path = f"/feeds/categories/{category}.atom"
    return atom_feed(
        request, f"likewise: {category}", path, f"/categories/{category}", listing.cards
    )


@router.get("/feeds/search.atom", summary="Atom feed of a search")
def search_feed(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    since: Annotated[IsoDay | None, Query()] = None,
    until: Annotated[IsoDay | None, Query()] = None,
    category: Annotated[str, Query(max_length=40)] = "",
    author: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The first page of the search, with the same filters and cut-off as the page."""
    context = search_view(request, q, since, until, category, author, 1)
    query = search_params(q, since, until, category, author)
    return atom_feed(
        request,
        f"likewise: search “{q.strip()}”",
        f"/feeds/search.atom?{query}",
        f"/search?{query}",
        context["listing"].cards,
    )
