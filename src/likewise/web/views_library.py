"""My library: upload a BibTeX/RIS/CSL-JSON/Zotero file, see the import report and the entries,
remove them, and claim one's own papers by author name; every action has a JSON twin."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from likewise.ingest.library_records import MAX_LIBRARY_BYTES, LibraryFileError
from likewise.services.errors import NotFoundError, SiteError
from likewise.services.library_import import AuthorCandidates, ImportReport
from likewise.store.library_entries import LibraryEntry
from likewise.web.templating import current_user, flash, library_of, render, to_json
from likewise.web.twins import twin

router = APIRouter()
Format = Literal["auto", "bibtex", "ris", "csl-json", "zotero"]
AuthorName = Annotated[str, Form(min_length=1, max_length=200)]
_SIGN_IN = "sign in to see your library"


def _entry_json(entry: LibraryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "arxiv_id": entry.arxiv_id,
        "title": entry.title,
        "doi": entry.doi,
        "source": entry.source,
        "matched_by": entry.matched_by or None,
        "has_vector": entry.vector is not None,
        "added_at": entry.added_at,
        "url": f"/papers/{entry.arxiv_id}" if entry.arxiv_id and entry.matched_by else None,
    }


def _candidates_json(candidates: AuthorCandidates) -> dict[str, Any]:
    return {
        "name": candidates.name,
        "papers": [
            {
                "arxiv_id": paper.arxiv_id,
                "title": paper.title,
                "authors": paper.authors,
                "announced": paper.announced,
                "in_library": paper.arxiv_id in candidates.in_library,
            }
            for paper in candidates.papers
        ],
    }


def _page(request: Request, user_id: int, author: str = "") -> dict[str, Any]:
    service = library_of(request).library_import
    entries = service.entries_of(user_id)
    context: dict[str, Any] = {
        "title": "My library",
        "entries": [_entry_json(entry) for entry in reversed(entries)],
        "count": len(entries),
        "author_candidates": None,
        "report": None,
        "_max_bytes": MAX_LIBRARY_BYTES,
        "_error": None,
    }
    if author.strip():
        try:
            context["author_candidates"] = _candidates_json(
                service.author_candidates(user_id, author)
            )
        except SiteError as error:
            raise HTTPException(400, str(error)) from error
    return context


@twin(router, "/library", "/api/library", "library.html", summary="My library")
def my_library(
    request: Request,
    author: Annotated[
        str, Query(max_length=200, description="list this author's catalog papers to claim")
    ] = "",
) -> dict[str, Any]:
    """The account's own library (imported entries and claimed papers), newest first; with
    `author`, the catalog's papers by that name, each marked if already in the library."""
    user = current_user(request)
    if user is None:
        return {"_redirect": "/signin?next=/library", "_api_error": (401, _SIGN_IN)}
    return _page(request, user.id, author)


def _user_id(request: Request) -> int:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, _SIGN_IN)
    return user.id


async def _import(request: Request, file: UploadFile, format: str) -> ImportReport:
    """Read the upload (at most the import limit, plus one byte to tell it went over)."""
    data = await file.read(MAX_LIBRARY_BYTES + 1)
    service = library_of(request).library_import
    return service.import_bytes(_user_id(request), data, file.filename or "upload", format)


@router.post("/library/import", include_in_schema=False)
async def import_form(
    request: Request,
    file: Annotated[UploadFile, File()],
    format: Annotated[Format, Form()] = "auto",
) -> Response:
    user_id = _user_id(request)
    try:
        report = await _import(request, file, format)
    except LibraryFileError as error:
        context = _page(request, user_id)
        context["_error"] = str(error)
        return render(request, "library.html", context, status_code=400)
    context = _page(request, user_id)
    context["report"] = report.as_dict()
    return render(request, "library.html", context)


@router.post("/api/library/import", summary="Import a library file (multipart)", tags=["api"])
async def import_api(
    request: Request,
    file: Annotated[UploadFile, File(description="BibTeX, RIS, CSL-JSON or zotero.sqlite")],
    format: Annotated[Format, Form()] = "auto",
) -> JSONResponse:
    """Matches each entry by arXiv id, DOI or title; unmatched entries with an abstract are
    kept, others skipped with a reason. A broken file is refused (400) and stores nothing;
    importing the same file again adds nothing."""
    _user_id(request)
    try:
        report = await _import(request, file, format)
    except LibraryFileError as error:
        raise HTTPException(400, str(error)) from error
    return JSONResponse(to_json(report.as_dict()))


def _remove(request: Request, entry_id: int) -> None:
    try:
        library_of(request).library_import.remove(_user_id(request), entry_id)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from error


EntryId = Annotated[int, Path(ge=1, le=2**31)]


@router.post("/library/entries/{entry_id}/remove", include_in_schema=False)
def remove_form(request: Request, entry_id: EntryId) -> Response:
    _remove(request, entry_id)
    return RedirectResponse("/library", status_code=303)


@router.delete("/api/library/entries/{entry_id}", summary="Remove a library entry", tags=["api"])
def remove_api(request: Request, entry_id: EntryId) -> JSONResponse:
    _remove(request, entry_id)
    return JSONResponse({"removed": entry_id})


@router.post("/library/clear", include_in_schema=False)
def clear_form(request: Request) -> Response:
    library_of(request).library_import.remove_all(_user_id(request))
    return RedirectResponse("/library", status_code=303)


@router.delete("/api/library", summary="Remove every library entry", tags=["api"])
def clear_api(request: Request) -> JSONResponse:
    removed = library_of(request).library_import.remove_all(_user_id(request))
    return JSONResponse({"removed": removed})


def _claim(request: Request, author: str, arxiv_ids: list[str]) -> ImportReport:
    try:
        return library_of(request).library_import.claim(_user_id(request), author, arxiv_ids)
    except SiteError as error:
        raise HTTPException(400, str(error)) from error


ClaimedIds = Annotated[list[str], Form(max_length=500)]


@router.post("/library/claim", include_in_schema=False)
def claim_form(
    request: Request, author: AuthorName, arxiv_id: ClaimedIds | None = None
) -> Response:
    user_id = _user_id(request)
    if not arxiv_id:
        flash(request, "Tick the papers that are yours, then confirm.")
        return render(request, "library.html", _page(request, user_id, author), status_code=400)
    report = _claim(request, author, arxiv_id)
    flash(request, f"Added {report.added} of your papers as {report.name}.")
    return render(request, "library.html", _page(request, user_id))


@router.post("/api/library/claim", summary='Confirm "these are my papers"', tags=["api"])
def claim_api(
    request: Request, author: AuthorName, arxiv_id: ClaimedIds | None = None
) -> JSONResponse:
    """Stores the confirmed papers of `author` (form fields: author, arxiv_id repeated) as
    entries with source "claimed"; an id not by that author refuses the claim (400)."""
    return JSONResponse(to_json(_claim(request, author, arxiv_id or []).as_dict()))
