"""My library in the browser and over /api: uploads in every format, the report, removal, the
author claim with its confirm step, CSRF, and a broken upload that stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import api_headers, csrf_of, sign_up

from library_fixtures import LIBRARY_DATA, load_catalog, write_zotero_sqlite
from likewise.library import Library
from likewise.web.app import create_app


@pytest.fixture
def real_client(library: Library, tmp_path: Path) -> Iterator[TestClient]:
    load_catalog(library, tmp_path)
    with TestClient(create_app(library.settings, library)) as test_client:
        yield test_client


@pytest.fixture
def reader(real_client: TestClient) -> TestClient:
    sign_up(real_client, "reader")
    return real_client


def _upload(client: TestClient, url: str, path: Path, **fields: str) -> object:
    with path.open("rb") as handle:
        return client.post(
            url,
            data={"csrf_token": csrf_of(client), **fields},
            files={"file": (path.name, handle.read(), "application/octet-stream")},
            follow_redirects=False,
        )


def test_visitors_are_sent_to_sign_in_and_the_api_says_401(real_client: TestClient) -> None:
    page = real_client.get("/library", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == "/signin?next=/library"
    assert real_client.get("/api/library").status_code == 401
    bib = (LIBRARY_DATA / "my-library.bib").read_bytes()
    refused = real_client.post(
        "/api/library/import", files={"file": ("a.bib", bib)}, headers=api_headers(real_client)
    )
    assert refused.status_code == 401


def test_the_signed_in_header_links_to_my_library(reader: TestClient) -> None:
    assert '<a href="/library">My library</a>' in reader.get("/").text


def test_uploading_a_bibtex_file_shows_the_report_and_the_entries(reader: TestClient) -> None:
    response = _upload(reader, "/library/import", LIBRARY_DATA / "my-library.bib")
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "Imported my-library.bib" in page
    assert "matched 3 by arXiv id, 1 by DOI, 1 by title; kept 2" in page
    assert "line 70 · The Art of Computer Programming" in page
    assert "not in the catalog, and no abstract to embed" in page
    assert "In your library (7)" in page
    assert '<a href="/papers/2503.11685">CORDIC Is All You Need</a>' in page
    twin = reader.get("/api/library").json()
    assert twin["count"] == 7 and twin["author_candidates"] is None
    kept = [entry for entry in twin["entries"] if entry["has_vector"]]
    assert {entry["title"] for entry in kept} == {
        "Attention is All you Need",
        "Deep Residual Learning for Image Recognition",
    }


@pytest.mark.parametrize("name", ["my-library.ris", "my-library.json", "zotero.sqlite"])
def test_the_json_import_takes_every_format_and_a_second_upload_adds_nothing(
    reader: TestClient, name: str, tmp_path: Path
) -> None:
    path = write_zotero_sqlite(tmp_path / name) if name.endswith(".sqlite") else LIBRARY_DATA / name
    headers = api_headers(reader)
    for expected_added in (7, 0):
        response = reader.post(
            "/api/library/import", files={"file": (name, path.read_bytes())}, headers=headers
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["added"] == expected_added and report["entries"] == 8
        assert report["matched_by_doi"] == 1


def test_a_broken_upload_names_the_line_and_stores_nothing(reader: TestClient) -> None:
    broken = (LIBRARY_DATA / "my-library.ris").read_bytes() + b"TY  - JOUR\nTI  - Open\n"
    headers = api_headers(reader)
    response = reader.post(
        "/api/library/import", files={"file": ("mine.ris", broken)}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("mine.ris: line ")
    assert "is not closed by an ER line" in response.json()["detail"]
    page = reader.post(
        "/library/import",
        data={"csrf_token": csrf_of(reader)},
        files={"file": ("junk.bib", bytes(range(256)) * 8)},
    )
    assert page.status_code == 400
    assert "Nothing was imported: junk.bib: binary data" in page.text
    assert reader.get("/api/library").json()["count"] == 0


def test_an_upload_without_the_form_token_is_refused(reader: TestClient) -> None:
    bib = (LIBRARY_DATA / "my-library.bib").read_bytes()
    response = reader.post("/library/import", files={"file": ("a.bib", bib)})
    assert response.status_code == 403
    assert reader.get("/api/library").json()["count"] == 0


def test_only_the_import_paths_take_a_body_larger_than_a_form(reader: TestClient) -> None:
    entry = "@misc{{k{0}, title = {{A study numbered {0}}}, abstract = {{Text {0}.}}}}\n"
    big = "".join(entry.format(number) for number in range(2500)).encode()
    assert len(big) > 64 * 1024
    headers = api_headers(reader)
    response = reader.post("/api/library/import", files={"file": ("big.bib", big)}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["kept_unmatched"] == 2500
    elsewhere = reader.post("/collections", files={"file": ("big.bib", big)}, headers=headers)
    assert elsewhere.status_code == 413


def test_removing_one_entry_and_then_all(reader: TestClient) -> None:
    _upload(reader, "/library/import", LIBRARY_DATA / "my-library.bib")
    entries = reader.get("/api/library").json()["entries"]
    first = entries[0]["id"]
    response = reader.post(
        f"/library/entries/{first}/remove",
        data={"csrf_token": csrf_of(reader)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/library"
    assert first not in {entry["id"] for entry in reader.get("/api/library").json()["entries"]}
    missing = reader.delete(f"/api/library/entries/{first}", headers=api_headers(reader))
    assert missing.status_code == 404
    cleared = reader.delete("/api/library", headers=api_headers(reader))
    assert cleared.json() == {"removed": 6}


def test_another_readers_entry_cannot_be_removed(real_client: TestClient) -> None:
    sign_up(real_client, "first")
    _upload(real_client, "/library/import", LIBRARY_DATA / "my-library.bib")
    theirs = real_client.get("/api/library").json()["entries"][0]["id"]
    real_client.post("/signout", data={"csrf_token": csrf_of(real_client)})
    sign_up(real_client, "second")
    response = real_client.delete(
        f"/api/library/entries/{theirs}", headers=api_headers(real_client)
    )
    assert response.status_code == 404


def test_claiming_ones_papers_lists_them_then_stores_the_confirmed_ones(
    reader: TestClient,
) -> None:
    listing = reader.get("/library", params={"author": "shun zou"})
    assert listing.status_code == 200
    assert 'name="arxiv_id" value="2503.12014"' in listing.text
    assert "2 papers by shun zou in this catalog" in listing.text
    confirmed = reader.post(
        "/library/claim",
        data={"csrf_token": csrf_of(reader), "author": "shun zou", "arxiv_id": ["2503.12014"]},
    )
    assert confirmed.status_code == 200
    assert "Added 1 of your papers as shun zou." in confirmed.text
    twin = reader.get("/api/library", params={"author": "Shun Zou"}).json()
    held = {p["arxiv_id"]: p["in_library"] for p in twin["author_candidates"]["papers"]}
    assert held == {"2503.12014": True, "2503.11995": False}
    (entry,) = twin["entries"]
    assert entry["source"] == "claimed"


def test_the_claim_api_refuses_a_paper_by_someone_else(reader: TestClient) -> None:
    response = reader.post(
        "/api/library/claim",
        data={"author": "Shun Zou", "arxiv_id": ["2503.12014", "2503.11685"]},
        headers=api_headers(reader),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "not a paper by Shun Zou in this catalog: 2503.11685"
    assert reader.get("/api/library").json()["count"] == 0
