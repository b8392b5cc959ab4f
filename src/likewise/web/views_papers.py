"""The paper page and what can be done to a paper: vote, "not interested", save, BibTeX, submit.

State changes come in pairs: a form POST that redirects back (works without JavaScript) and a
JSON twin under /api for scripts and the page's own JavaScript. Both need the CSRF token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from likewise.models import Paper
from likewise.rank.facets import FACETS, UnknownFacetError
from likewise.services.errors import ArxivUnreachableError, NotFoundError, SiteError
from likewise.services.facet_similar import MatchedSentences, check_facet
from likewise.services.similar import neighbours_notice
from likewise.store.accounts import User
from likewise.web.security import safe_next
from likewise.web.templating import current_user, library_of, render
from likewise.web.twins import twin

router = APIRouter()
ArxivId = Annotated[str, Path(max_length=80, description="bare arXiv id, e.g. 2503.11677")]
Next = Annotated[str, Form(max_length=2000)]
Facet = Annotated[
    str | None,
    Query(max_length=40, description="similar by facet: background, method or result"),
]
OVERALL = "overall"
SIMILAR_SHOWN = 10
_log = logging.getLogger(__name__)


def _require_page_user(request: Request, back: str) -> User | RedirectResponse:
    user = current_user(request)
    if user is None:
        return RedirectResponse(f"/signin?next={back}", status_code=303)
    return user


def _paper_form(
    request: Request, arxiv_id: str, next: str, act: Callable[[User], object]
) -> Response:
    """A paper page's form: sign in first if needed, act, then go back where the form was."""
    back = safe_next(next, f"/papers/{arxiv_id}")
    user = _require_page_user(request, back)
    if isinstance(user, RedirectResponse):
        return user
    act(user)
    return RedirectResponse(back, status_code=303)


def _require_api_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in first (POST /signin), then send the session cookie")
    return user


def _not_found(error: NotFoundError) -> HTTPException:
    return HTTPException(404, str(error))


@dataclass(slots=True)
class SimilarPaper:
    """A similar paper as the paper page lists it. `similarity` is the cosine of the two
    papers' embeddings (None for neighbours found by shared title words before `likewise
    embed`): a closeness, not a probability of relevance, so it is never shown as a percent."""

    paper: Paper
    similarity: float | None
    reason: str | None
    matches: list[MatchedSentences] = field(default_factory=list)  # by facet only
    facet_score: float | None = None  # by facet: how well the sentences of the facet match
    lexical_score: float | None = None  # by facet: TF-IDF cosine of the two title + abstracts


def _similar(
    request: Request, arxiv_id: str, hidden: frozenset[str]
) -> tuple[list[SimilarPaper], str | None]:
    """Similar papers with their similarity and reason, and what a reader must know about them
    (papers not embedded yet); an unavailable index leaves the list empty."""
    library = library_of(request)
    try:
        hits = library.similar.similar(arxiv_id, limit=SIMILAR_SHOWN + len(hidden))
        notice = neighbours_notice(library.search.embedding_gap().notice, hits)
    except (AttributeError, LookupError, ValueError, RuntimeError, OSError) as error:
        _log.warning("similar papers for %s unavailable: %s", arxiv_id, error)
        return [], None
    shown = [
        SimilarPaper(hit.paper, hit.components.get("cosine"), hit.reason)
        for hit in hits
        if hit.arxiv_id not in hidden and hit.paper is not None
    ]
    return shown[:SIMILAR_SHOWN], notice


def _similar_by_facet(
    request: Request, arxiv_id: str, facet: str, hidden: frozenset[str]
) -> tuple[list[SimilarPaper], str | None, list[str]]:
    """Similar papers in one facet with the sentences that matched, the note a reader must
    see (no stored sentences, no sentence of the facet) and this paper's sentences that took
    part; failures leave it empty."""
    library = library_of(request)
    try:
        found = library.facet_similar.similar_by_facet(
            arxiv_id, facet, limit=SIMILAR_SHOWN + len(hidden)
        )
    except (AttributeError, LookupError, ValueError, RuntimeError, OSError) as error:
        _log.warning("similar papers by %s for %s unavailable: %s", facet, arxiv_id, error)
        return [], None, []
    shown = [
        SimilarPaper(
            entry.hit.paper,
            entry.hit.components.get("cosine"),
            entry.hit.reason,
            entry.matches,
            entry.hit.components.get("facet"),
            entry.hit.components.get("lexical"),
        )
        for entry in found.hits
        if entry.hit.arxiv_id not in hidden and entry.hit.paper is not None
    ]
    # As under "similar overall": papers without a vector yet are not among the candidates.
    gap = library.search.embedding_gap().notice
    notes = [f"{gap}. Only embedded papers are compared." if gap else None, found.note]
    note = " ".join(text for text in notes if text) or None
    return shown[:SIMILAR_SHOWN], note, found.query_sentences


def _chosen_facet(facet: str | None) -> str:
    """The tab asked for: "overall" when none, or HTTP 400 naming an unknown facet."""
    if facet is None or facet in ("", OVERALL):
        return OVERALL
    try:
        return check_facet(facet)
    except UnknownFacetError as error:
        raise HTTPException(400, str(error)) from error


def bibtex_entry(paper: Paper) -> str:
    """A @misc entry in arXiv's style (eprint, archivePrefix, primaryClass)."""

    def clean(text: str) -> str:
        text = " ".join(text.split())
        text = re.sub(r"(?<!\\)([&%#])", r"\\\1", text)
        return (
            text if text.count("{") == text.count("}") else text.replace("{", "").replace("}", "")
        )

    year = (
        paper.submitted.year
        if paper.submitted
        else (paper.announced.year if paper.announced else None)
    )
    first = paper.authors[0].split()[-1] if paper.authors else "anon"
    word = next((w for w in re.findall(r"[A-Za-z]+", paper.title) if len(w) > 3), "paper")
    key = re.sub(r"[^a-z0-9]", "", f"{first}{year or ''}{word}".lower()) or "paper"
    fields = [
        ("title", "{" + clean(paper.title) + "}"),
        ("author", " and ".join(clean(name) for name in paper.authors)),
    ]
    if year:
        fields.append(("year", str(year)))
    if not paper.is_local:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", f"https://arxiv.org/abs/{paper.arxiv_id}"))
    if paper.doi:
        fields.append(("doi", clean(paper.doi)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


@router.get(
    "/papers/{arxiv_id:path}/bibtex",
    summary="BibTeX entry",
    tags=["api"],
    response_class=PlainTextResponse,
)
def bibtex(request: Request, arxiv_id: ArxivId) -> Response:
    try:
        found = library_of(request).site.require_paper(arxiv_id)
    except NotFoundError as error:
        raise _not_found(error) from error
    filename = re.sub(r"[^A-Za-z0-9.]", "_", arxiv_id)
    return PlainTextResponse(
        bibtex_entry(found),
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}.bib"'},
    )


@twin(
    router,
    "/papers/{arxiv_id:path}",
    "/api/papers/{arxiv_id:path}",
    "paper.html",
    summary="Paper page",
)
def paper(request: Request, arxiv_id: ArxivId, facet: Facet = None) -> dict[str, Any]:
    """Title, authors, abstract, categories, versions, links, votes and similar papers
    (overall, or by background / method / result with `facet`)."""
    chosen = _chosen_facet(facet)
    library = library_of(request)
    user = current_user(request)
    try:
        page = library.site.paper_page(arxiv_id, user.id if user else None)
    except NotFoundError as error:
        raise _not_found(error) from error
    hidden = library.site.hidden_for(user.id) if user else frozenset()
    if chosen == OVERALL:
        similar, similar_notice = _similar(request, arxiv_id, hidden)
        facet_sentences: list[str] = []
        ranking = "cosine-dbnorm" if library.settings.hubness_correction else "cosine"
        if any(entry.similarity is None for entry in similar):
            ranking = "title-words"  # nothing embedded yet: neighbours by BM25 of the title
    else:
        similar, similar_notice, facet_sentences = _similar_by_facet(
            request, arxiv_id, chosen, hidden
        )
        ranking = "facet-sentences"
    return {
        "page": page,
        "similar": similar,
        "similar_facet": chosen,
        "similar_facets": [OVERALL, *FACETS],
        "similar_ranking": ranking,
        "similar_notice": similar_notice,
        "similar_facet_sentences": facet_sentences,
        "bibtex": bibtex_entry(page.paper),
        "title": page.paper.title,
    }


# -- state changes ---------------------------------------------------------------------------
def _vote(request: Request, user: User, arxiv_id: str, up: bool) -> int:
    try:
        return library_of(request).site.set_vote(user.id, arxiv_id, up)
    except NotFoundError as error:
        raise _not_found(error) from error


@router.post("/papers/{arxiv_id:path}/vote", include_in_schema=False)
def vote_form(
    request: Request, arxiv_id: ArxivId, action: Annotated[str, Form()] = "up", next: Next = ""
) -> Response:
    up = action != "down"
    return _paper_form(request, arxiv_id, next, lambda user: _vote(request, user, arxiv_id, up))


@router.post("/api/papers/{arxiv_id:path}/vote", summary="Upvote a paper", tags=["api"])
def vote_api(request: Request, arxiv_id: ArxivId) -> JSONResponse:
    """One vote per account per paper: voting twice changes nothing."""
    votes = _vote(request, _require_api_user(request), arxiv_id, True)
    return JSONResponse({"arxiv_id": arxiv_id, "voted": True, "votes": votes})


@router.delete("/api/papers/{arxiv_id:path}/vote", summary="Withdraw a vote", tags=["api"])
def unvote_api(request: Request, arxiv_id: ArxivId) -> JSONResponse:
    votes = _vote(request, _require_api_user(request), arxiv_id, False)
    return JSONResponse({"arxiv_id": arxiv_id, "voted": False, "votes": votes})


def _hide(request: Request, user: User, arxiv_id: str, hidden: bool) -> None:
    try:
        library_of(request).site.set_not_interested(user.id, arxiv_id, hidden)
    except NotFoundError as error:
        raise _not_found(error) from error


@router.post("/papers/{arxiv_id:path}/not-interested", include_in_schema=False)
def not_interested_form(
    request: Request, arxiv_id: ArxivId, action: Annotated[str, Form()] = "hide", next: Next = ""
) -> Response:
    hidden = action != "undo"
    return _paper_form(request, arxiv_id, next, lambda user: _hide(request, user, arxiv_id, hidden))


@router.post("/api/papers/{arxiv_id:path}/not-interested", summary="Not interested", tags=["api"])
def not_interested_api(request: Request, arxiv_id: ArxivId) -> JSONResponse:
    """Leave the paper out of this account's lists, trending and search results."""
    _hide(request, _require_api_user(request), arxiv_id, True)
    return JSONResponse({"arxiv_id": arxiv_id, "hidden": True})


@router.delete(
    "/api/papers/{arxiv_id:path}/not-interested", summary="Undo not interested", tags=["api"]
)
def interested_again_api(request: Request, arxiv_id: ArxivId) -> JSONResponse:
    _hide(request, _require_api_user(request), arxiv_id, False)
    return JSONResponse({"arxiv_id": arxiv_id, "hidden": False})


def _save(request: Request, user: User, arxiv_id: str, collection: str, new_name: str) -> Any:
    collection_id = int(collection) if collection.isdigit() else None
    try:
        return library_of(request).site.save_to_collection(
            user.id, arxiv_id, collection_id, new_name
        )
    except NotFoundError as error:
        raise _not_found(error) from error
    except ArxivUnreachableError as error:
        raise HTTPException(503, str(error)) from error
    except SiteError as error:
        raise HTTPException(400, str(error)) from error


@router.post("/papers/{arxiv_id:path}/save", include_in_schema=False)
def save_form(
    request: Request,
    arxiv_id: ArxivId,
    collection: Annotated[str, Form(max_length=20)] = "",
    new_name: Annotated[str, Form(max_length=100)] = "",
    next: Next = "",
) -> Response:
    return _paper_form(
        request, arxiv_id, next, lambda user: _save(request, user, arxiv_id, collection, new_name)
    )


@router.post("/api/papers/{arxiv_id:path}/save", summary="Save to a collection", tags=["api"])
def save_api(
    request: Request,
    arxiv_id: ArxivId,
    collection: Annotated[str, Form(max_length=20)] = "",
    new_name: Annotated[str, Form(max_length=100)] = "",
) -> JSONResponse:
    """Form fields: `collection` (an id of yours) or `new_name` (created when missing)."""
    saved = _save(request, _require_api_user(request), arxiv_id, collection, new_name)
    return JSONResponse({"arxiv_id": arxiv_id, "collection": {"id": saved.id, "name": saved.name}})


# -- submitting ------------------------------------------------------------------------------
@router.get("/submit", include_in_schema=False)
def submit_page(request: Request) -> Response:
    return render(request, "submit.html", {"title": "Submit a paper", "value": "", "error": None})


def _submit(request: Request, text: str) -> tuple[str, bool]:
    try:
        return library_of(request).site.submit_paper(text)
    except NotFoundError as error:
        raise _not_found(error) from error
    except ArxivUnreachableError as error:
        raise HTTPException(503, str(error)) from error
    except SiteError as error:
        raise HTTPException(400, str(error)) from error


@router.post("/submit", include_in_schema=False)
def submit_form(request: Request, paper: Annotated[str, Form(max_length=300)] = "") -> Response:
    user = _require_page_user(request, "/submit")
    if isinstance(user, RedirectResponse):
        return user
    try:
        arxiv_id, _ = _submit(request, paper)
    except HTTPException as error:
        context = {"title": "Submit a paper", "value": paper, "error": error.detail}
        return render(request, "submit.html", context, status_code=error.status_code)
    return RedirectResponse(f"/papers/{arxiv_id}", status_code=303)


@router.post("/api/submit", summary="Submit a paper by arXiv id or URL", tags=["api"])
def submit_api(
    request: Request, paper: Annotated[str, Form(min_length=1, max_length=300)]
) -> JSONResponse:
    """Fetch the paper from the arXiv API and add it (a stored paper is not fetched again)."""
    _require_api_user(request)
    arxiv_id, created = _submit(request, paper)
    return JSONResponse(
        {"arxiv_id": arxiv_id, "created": created, "url": f"/papers/{arxiv_id}"},
        status_code=201 if created else 200,
    )
