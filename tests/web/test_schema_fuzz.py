"""Schemathesis over /openapi.json against the real app (in-process ASGI) on a real slice.

Every operation of the published schema gets generated requests, valid and invalid, sent by
a signed-in visitor with the session's CSRF token: no answer may be a 5xx, and every answer
must match what the schema documents (status, content type, body). A bounded number of
examples per operation with a fixed seed keeps CI short; bench/schema_fuzz.py is the long run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from attack_helpers import SchemaFuzz, operation_labels
from fastapi.testclient import TestClient

EXAMPLES = 20
SLICE = 200


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaFuzz]:
    with SchemaFuzz.over_slice(tmp_path_factory.mktemp("schema-fuzz"), SLICE) as opened:
        yield opened


@pytest.mark.parametrize("label", operation_labels())
def test_every_operation_answers_without_a_5xx_and_as_documented(
    fuzz: SchemaFuzz, label: str
) -> None:
    tried, failures = fuzz.run(label, EXAMPLES, seed=16)
    print(f"{label}: {tried} cases")
    assert tried > 0
    assert not failures, "\n\n".join(failures)


def test_the_schema_lists_the_json_api_and_the_state_changes() -> None:
    labels = operation_labels()
    assert "GET /api/search" in labels
    assert "POST /api/papers/{arxiv_id}/vote" in labels
    assert len(labels) >= 20


# -- what the fuzzing found, each pinned down ------------------------------------------------
def test_a_day_given_as_a_number_is_refused_naming_the_format(client: TestClient) -> None:
    # Pydantic alone read ?day=0 as the Unix time 0 (1970-01-01) and answered 200.
    for url in ("/api/daily?day=0", "/feeds/daily.atom?day=1700000000", "/api/search?q=a&since=1"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "YYYY-MM-DD" in response.json()["detail"]
    assert client.get("/api/daily?day=2025-03-14").status_code == 200


def test_search_pages_stop_where_the_schema_says(client: TestClient) -> None:
    parameters = client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
    page = next(item for item in parameters if item["name"] == "page")
    last = page["schema"]["maximum"]
    assert client.get(f"/api/search?q=graph&page={last}").status_code == 200
    beyond = client.get(f"/api/search?q=graph&page={last + 1}")
    assert beyond.status_code == 422
    assert "page" in beyond.json()["detail"]


def _form_fields(schema: dict[str, Any], path: str) -> dict[str, Any]:
    body = schema["paths"][path]["post"]["requestBody"]["content"]
    form = next(iter(body.values()))["schema"]
    fields: dict[str, Any] = schema["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]
    return fields["properties"]


def test_required_form_fields_are_documented_as_non_empty(client: TestClient) -> None:
    # FastAPI reads an empty form field as a missing one (422), which the schema allowed.
    schema = client.get("/openapi.json").json()
    assert _form_fields(schema, "/signup")["username"]["minLength"] == 1
    assert _form_fields(schema, "/signup")["password"]["minLength"] == 1
    assert _form_fields(schema, "/api/submit")["paper"]["minLength"] == 1


def test_the_schema_documents_the_error_bodies_and_media_types_the_site_sends(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    paper = schema["paths"]["/api/papers/{arxiv_id}"]["get"]["responses"]
    assert paper["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    missing = client.get("/api/papers/2503.99999")
    assert missing.status_code == 404 and isinstance(missing.json()["detail"], str)
    invalid = client.get("/api/daily?span=year")
    assert invalid.status_code == 422 and isinstance(invalid.json()["detail"], str)
    feed = schema["paths"]["/feeds/daily.atom"]["get"]["responses"]["200"]["content"]
    assert list(feed) == ["application/atom+xml"]
    assert (
        client.get("/feeds/daily.atom").headers["content-type"].startswith("application/atom+xml")
    )
    assert "303" in schema["paths"]["/signin"]["post"]["responses"]
    collection = schema["paths"]["/api/collections/{collection_id}"]["get"]["responses"]
    assert "401" in collection and client.get("/api/collections/1").status_code == 401
    assert (
        "text/html" in schema["paths"]["/papers/{arxiv_id}"]["get"]["responses"]["404"]["content"]
    )
