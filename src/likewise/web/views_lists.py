"""List pages and their JSON twins: daily papers, trending, search, author and category pages."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request

from likewise.models import Paper, SearchFilters
from likewise.services.errors import SiteError
from likewise.services.site_pages import PER_PAGE, Card, Listing
from likewise.web.params import IsoDay
from likewise.web.templating import current_user, library_of
from likewise.web.twins import twin

router = APIRouter()
PageNumber = Annotated[int, Query(ge=1, le=10_000, description="1-based page number")]
MAX_SEARCH_RESULTS = 300
CLOSEST = 10  # papers listed under "no good matches" when asked for
SearchPage = Annotated[
    int, Query(ge=1, le=MAX_SEARCH_RESULTS // PER_PAGE, description="1-based page number")
]


def _user_id(request: Request) -> int | None:
    user = current_user(request)
    return user.id if user else None


DailyCategory = Annotated[
    str, Query(max_length=40, description="only papers in this category, e.g. cs.CL")
]
DailyTopic = Annotated[
    str, Query(max_length=60, description="only papers labelled with this topic id (/api/topics)")
]
CrossLists = Annotated[
    Literal["show", "hide"], Query(description="hide: leave out the day's cross-lists")
]


def daily_params(day: date | None, span: str, category: str, cross: str, topic: str = "") -> str:
    """The query string of a daily list (no page), for its page, feed and links."""
    values = {
        "day": day.isoformat() if day else "",
        "span": "" if span == "day" else span,
        "category": category,
        "topic": topic,
        "cross": "" if cross == "show" else cross,
    }
    return urlencode({key: value for key, value in values.items() if value})


@twin(router, "/", "/api/daily", "daily.html", summary="Daily papers")
def daily(
    request: Request,
    day: Annotated[IsoDay | None, Query(description="YYYY-MM-DD; default the newest day")] = None,
    span: Annotated[Literal["day", "week", "month"], Query()] = "day",
    page: PageNumber = 1,
    category: DailyCategory = "",
    cross: CrossLists = "show",
    topic: DailyTopic = "",
) -> dict[str, Any]:
    """Papers announced on a day (or its week or month), most upvoted first, then newest;
    `category` keeps one category's papers, `topic` one topic's (each card carries its one
    to three `topics`), `cross=hide` leaves out cross-lists.

    A day without an announcement (weekends) shows the latest announced day before it.
    """
    category = category.strip()
    topic = topic.strip()
    library = library_of(request)
    try:
        listing = library.site.daily(
            day,
            span,
            _user_id(request),
            page,
            category=category,
            cross_lists=cross == "show",
            topic=topic,
        )
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    shown = {"category": category, "cross": cross, "topic": topic}
    context: dict[str, Any] = {"listing": listing, "title": "Daily papers", "filters": shown}
    context["_categories"] = sorted({*library.settings.categories, category} - {""})
    context["_topics"] = library.topics.topics
    feed_query = daily_params(listing.day if day else None, span, category, cross, topic)
    context["_feed"] = "/feeds/daily.atom" + (f"?{feed_query}" if feed_query else "")
    if span == "day" and day is not None and listing.day is not None and listing.day != day:
        context["_redirect"] = "/?" + daily_params(listing.day, span, category, cross, topic)
    if listing.start and listing.end:
        # Stored data may sit at the very end of the calendar: no day past date.max.
        first = listing.start.toordinal()
        last = min(first + 6, date.max.toordinal())
        context["_week_days"] = [date.fromordinal(n) for n in range(first, last + 1)]
    return context


@router.get("/api/topics", summary="The topic list (JSON)", tags=["api"])
def topics(request: Request) -> list[dict[str, str]]:
    """Every topic a paper can be labelled with (docs/topics.md): id, label, kind, description."""
    return [
        {"id": t.id, "label": t.label, "kind": t.kind, "description": t.description}
        for t in library_of(request).topics.topics
    ]


@twin(router, "/trending", "/api/trending", "list.html", summary="Trending papers")
def trending(
    request: Request,
    window: Annotated[int, Query(ge=1, le=90, description="window in days")] = 7,
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Papers ranked by time-decayed upvotes over the window (docs/web.md has the formula);
    the freshest papers fill in while the catalog has few votes."""
    try:
        listing = library_of(request).site.trending(_user_id(request), page, window_days=window)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    note = (
        "Ranked by upvotes over the last days, newer votes counting more."
        if listing.signal == "votes"
        else "No votes yet in this window: showing the newest papers."
    )
    return {
        "listing": listing,
        "title": "Trending",
        "_heading": "Trending papers",
        "_note": note,
        "_feed": "/feeds/trending.atom",
    }


@twin(router, "/search", "/api/search", "search.html", summary="Search")
def search(
    request: Request,
    q: Annotated[str, Query(max_length=2000, description="question, keywords or abstract")] = "",
    since: Annotated[IsoDay | None, Query(description="announced on or after")] = None,
    until: Annotated[IsoDay | None, Query(description="announced on or before")] = None,
    category: Annotated[str, Query(max_length=40, description="e.g. cs.CL")] = "",
    author: Annotated[str, Query(max_length=200)] = "",
    page: SearchPage = 1,
    below: Annotated[
        bool, Query(description="when nothing passes the cut-off: the closest papers anyway")
    ] = False,
) -> dict[str, Any]:
    """Hybrid search; scores are calibrated relevance probabilities, and nothing under the
    cut-off is shown ("no good matches"; `below=true` then lists the closest papers anyway,
    flagged `below_cutoff`). Each card's `evidence` lists the one or two abstract sentences
    that best support the query ("why it matched"): text, start and end offsets in the
    abstract, score."""
    if since and until and since > until:
        raise HTTPException(400, "'since' must not be after 'until'")
    query = q.strip()
    context: dict[str, Any] = {
        "query": query,
        "filters": {"since": since, "until": until, "category": category, "author": author},
        "title": f"Search: {query}" if query else "Search",
        "listing": Listing([], 0, page, 1),
        "no_good_matches": False,
        "below_cutoff": False,
        "notice": None,
        "coverage_notice": None,
    }
    if not query:
        return context
    if page * PER_PAGE > MAX_SEARCH_RESULTS:
        raise HTTPException(422, f"search shows at most {MAX_SEARCH_RESULTS} results")
    library = library_of(request)
    user_id = _user_id(request)
    filters = SearchFilters(
        since=since,
        until=until,
        categories=(category.strip(),) if category.strip() else (),
        authors=(" ".join(author.split()),) if author.strip() else (),
        exclude_ids=library.site.hidden_for(user_id),
    )
    try:
        result = library.search.search(
            query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, filters=filters
        )
        no_good_matches = result.no_good_matches
        if below and no_good_matches:
            # Asked for after "no good matches": the best candidates, every one under the cut-off.
            closest = library.search.search(
                query, limit=CLOSEST, filters=filters, apply_cutoff=False
            )
            result = dataclasses.replace(closest, total=len(closest.hits), notice=result.notice)
            context["below_cutoff"] = True
    except ValueError as error:  # QueryError and other refusals of the text
        raise HTTPException(400, str(error)) from error
    # Only a calibrated score is a probability worth showing as "N% relevant".
    extra = {
        hit.arxiv_id: Card(
            hit.paper or Paper(hit.arxiv_id, ""),
            score=hit.score if result.calibrated else None,
            reason=hit.reason,
            evidence=hit.evidence,
        )
        for hit in result.hits
    }
    cards = library.site.cards_for([hit.arxiv_id for hit in result.hits], user_id, extra)
    total = min(result.total, MAX_SEARCH_RESULTS)
    context["listing"] = Listing(cards, total, page, max(1, -(-total // PER_PAGE)))
    context["no_good_matches"] = no_good_matches
    context["threshold"] = library.settings.relevance_threshold
    context["notice"] = result.notice
    context["coverage_notice"] = result.coverage_notice
    context["ranking"] = result.method
    context["calibrated"] = result.calibrated
    context["_feed"] = "/feeds/search.atom?" + search_params(q, since, until, category, author)
    return context


def search_params(
    q: str, since: date | None, until: date | None, category: str, author: str
) -> str:
    """The query string of a search (no page), for feed and page links."""
    values = {
        "q": q.strip(),
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "category": category.strip(),
        "author": author.strip(),
    }
    return urlencode({key: value for key, value in values.items() if value})


@twin(router, "/authors/{name}", "/api/authors/{name}", "list.html", summary="Author page")
def author(
    request: Request,
    name: Annotated[str, Path(max_length=200)],
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Papers with this author (name matched case- and accent-insensitively), newest first."""
    try:
        listing = library_of(request).site.author_papers(name, _user_id(request), page)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    if listing.total == 0:
        raise HTTPException(404, f"no papers by {name!r} in this catalog")
    return {
        "listing": listing,
        "title": name,
        "author": name,
        "_heading": name,
        "_note": f"{listing.total} papers in this catalog, newest first.",
    }


@twin(
    router,
    "/categories/{category}",
    "/api/categories/{category}",
    "list.html",
    summary="Category page",
)
def category(
    request: Request,
    category: Annotated[str, Path(max_length=40)],
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Papers listed in the arXiv category (primary or cross-list), newest first."""
    try:
        listing = library_of(request).site.category_papers(category, _user_id(request), page)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error
    if listing.total == 0:
        raise HTTPException(404, f"no papers in category {category!r} in this catalog")
    return {
        "listing": listing,
        "title": category,
        "category": category,
        "_heading": category,
        "_note": f"{listing.total} papers, newest first.",
        "_feed": f"/feeds/categories/{category}.atom",
    }
