"""XML attacks (entity expansion, external entities, DTDs, odd encodings) against every
XML source, through the catalog pipeline on a real store: refused, named, nothing stored."""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from likewise.ingest.announcements import AnnouncementFeedSource
from likewise.ingest.arxiv_api import ArxivApiSource
from likewise.ingest.base import Source
from likewise.ingest.http import PoliteClient
from likewise.ingest.jsonl import JsonlSource
from likewise.ingest.oai_pmh import OaiPmhSource
from likewise.library import Library

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
SRC = Path(__file__).resolve().parents[2] / "src" / "likewise"
SECRET = "likewise-xxe-secret-7f3a"

# (fixture served, URL the error must name, source on a client)
SOURCES: dict[str, tuple[str, str, Callable[[PoliteClient], Source]]] = {
    "feed": (
        "feed_cs.xml",
        "https://rss.arxiv.org/atom/cs.CL",
        lambda client: AnnouncementFeedSource(client, "https://rss.arxiv.org/atom", ["cs.CL"]),
    ),
    "api": (
        "api_ids.xml",
        "https://export.arxiv.org/api/query?id_list=hep-th%2F9901001",
        lambda client: ArxivApiSource(
            client, "https://export.arxiv.org/api/query", ids=["hep-th/9901001"]
        ),
    ),
    "oai": (
        "oai_raw_page1.xml",
        "https://oaipmh.arxiv.org/oai?verb=ListRecords",
        lambda client: OaiPmhSource(
            client, "https://oaipmh.arxiv.org/oai", set_spec="cs", since=date(2024, 3, 1)
        ),
    ),
}


def _laughs() -> tuple[str, str]:
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{level} "{f"&l{level - 1};" * 10}">' for level in range(1, 10)
    ]
    return f"<!DOCTYPE feed [{''.join(levels)}]>", "&l9;"


def _attack(name: str, loopback: str, secret_file: Path) -> tuple[str, str]:
    """(prologue, reference to put in a title) of one attack."""
    if name == "billion laughs":
        return _laughs()
    if name == "quadratic blow-up":
        return f'<!DOCTYPE feed [<!ENTITY big "{"x" * 50_000}">]>', "&big;" * 1000
    if name == "external entity (file)":
        return f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>', "&xxe;"
    if name == "external entity (http)":
        return f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{loopback}/xxe">]>', "&xxe;"
    if name == "parameter entity":
        return f'<!DOCTYPE feed [<!ENTITY % remote SYSTEM "{loopback}/pe.dtd"> %remote;]>', ""
    return f'<!DOCTYPE feed SYSTEM "{loopback}/feed.dtd">', ""  # external DTD


ATTACKS = [
    "billion laughs",
    "quadratic blow-up",
    "external entity (file)",
    "external entity (http)",
    "parameter entity",
    "external DTD",
]


class _Recording(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = f'<!ENTITY leak "{SECRET}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that an external entity would be fetched from."""
    requests: list[str] = []
    handler = type("Handler", (_Recording,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _state(library: Library) -> list[tuple[Any, ...]]:
    return sorted(
        (paper.arxiv_id, paper.title, paper.abstract, tuple(paper.authors), paper.latest_version)
        for paper in library.store.iter_papers()
    )


def _poisoned(fixture: str, prologue: str, reference: str) -> bytes:
    text = (DATA / fixture).read_text(encoding="utf-8")
    declaration, _, rest = text.partition("\n")
    rest = re.sub(r"<title>", f"<title>{reference}", rest, count=2)
    return f"{declaration}\n{prologue}\n{rest}".encode()


def _ingest(library: Library, kind: str, content: bytes) -> Any:
    """Ingest ``kind`` from ``content`` (an OAI harvest's second page is the recorded one)."""
    make = SOURCES[kind][2]
    last_page = (DATA / "oai_raw_page2.xml").read_bytes()

    def respond(request: httpx.Request) -> httpx.Response:
        following = "resumptionToken" in request.url.params
        return httpx.Response(200, content=last_page if following else content)

    library.catalog.use_transport(httpx.MockTransport(respond))
    with library.catalog.http_client() as client:
        client.interval = client.backoff = 0
        return library.catalog.ingest(make(client))


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("attack", ATTACKS)
def test_an_xml_attack_is_refused_naming_the_url_and_stores_nothing(
    library: Library,
    loopback: tuple[str, list[str]],
    tmp_path: Path,
    kind: str,
    attack: str,
) -> None:
    base, requests = loopback
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    before = _state(library)
    prologue, reference = _attack(attack, base, secret_file)
    summary = _ingest(library, kind, _poisoned(SOURCES[kind][0], prologue, reference))
    assert summary.error is not None and summary.error.startswith(SOURCES[kind][1])
    assert "refused: the document has a DTD" in summary.error
    assert "entity-expansion and external-entity attacks" in summary.error
    assert (summary.inserted, summary.updated) == (0, 0)
    assert _state(library) == before
    assert requests == []  # nothing was fetched from the loopback server
    assert SECRET not in repr(_state(library))


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize(
    ("encoding", "problem"),
    [
        ("rot13", "unreadable XML encoding"),
        ("x-no-such-codec", "unreadable XML encoding"),
        ("utf-7", "unreadable XML encoding"),
        ("cp037", "not well-formed XML"),
    ],
)
def test_a_document_in_an_unusable_encoding_is_a_named_error(
    library: Library, kind: str, encoding: str, problem: str
) -> None:
    library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    before = _state(library)
    text = (DATA / SOURCES[kind][0]).read_bytes()
    content = re.sub(rb"encoding=.UTF-8.", f'encoding="{encoding}"'.encode(), text, count=1)
    summary = _ingest(library, kind, content)
    assert summary.error is not None and summary.error.startswith(SOURCES[kind][1])
    assert problem in summary.error
    assert _state(library) == before


def test_the_unpoisoned_documents_still_store_their_papers(library: Library) -> None:
    for kind, (fixture, _, _) in SOURCES.items():
        summary = _ingest(library, kind, (DATA / fixture).read_bytes())
        assert summary.error is None and summary.inserted > 0, kind


_PARSING_NAMES = {"fromstring", "parse", "iterparse", "XMLParser", "XMLPullParser", "XML"}


def _xml_parsers_imported(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            parsing = node.module.startswith("xml.etree") and names & _PARSING_NAMES
            modules = [node.module] if parsing or not node.module.startswith("xml.etree") else []
        else:
            continue
        found += [
            f"{path.relative_to(SRC)}: {module}"
            for module in modules
            if module.split(".")[0] in ("xml", "lxml", "pyexpat", "xmltodict")
            or module.startswith("defusedxml")
        ]
    return found


def test_every_xml_parse_goes_through_the_one_defused_parser() -> None:
    imports = [item for path in SRC.rglob("*.py") for item in _xml_parsers_imported(path)]
    # ingest/xml.py (defusedxml, DTDs forbidden) is the one place that parses XML.
    assert imports == ["ingest/xml.py: defusedxml.ElementTree", "ingest/xml.py: defusedxml"]
