"""Safe XML parsing for feeds and OAI pages, with errors that name the URL."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_tree
from defusedxml import DefusedXmlException

from likewise.ingest.base import IngestError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_ATOM = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
DUBLIN_CORE = "{http://purl.org/dc/elements/1.1/}"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_OAI = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"


def parse_document(content: bytes, where: str, expected_root: str, kind: str) -> Element:
    """The root element, checked to be ``expected_root`` (e.g. an Atom feed)."""
    try:
        root: Element = safe_tree.fromstring(content)
    except (ParseError, DefusedXmlException) as error:
        raise IngestError(f"{where}: not well-formed XML ({error}); expected {kind}") from error
    if root.tag != expected_root:
        found = root.tag.rpartition("}")[2]
        raise IngestError(f"{where}: not {kind} (the document is <{found}>)")
    return root


def text_of(element: Element | None, path: str) -> str | None:
    """Text of the first child at ``path``, or None when absent or empty."""
    if element is None:
        return None
    child = element.find(path)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None
