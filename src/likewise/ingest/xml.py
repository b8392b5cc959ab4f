"""Safe XML parsing for feeds and OAI pages, with errors that name the URL.

Every XML document the project reads goes through ``parse_document`` (defusedxml): a DTD or
entity declaration (billion laughs, external entities) is refused, never expanded or fetched;
arXiv's Atom and OAI-PMH responses have neither.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_tree
from defusedxml import DefusedXmlException, DTDForbidden

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
        root: Element = safe_tree.fromstring(content, forbid_dtd=True)
    except DTDForbidden as error:
        # Entities can only be declared in a DTD, so this also stops every entity attack.
        target = f" pointing to {error.sysid}" if error.sysid else ""
        raise IngestError(
            f"{where}: refused: the document has a DTD (<!DOCTYPE {error.name}>{target}); "
            "DTDs and entity declarations are not accepted (entity-expansion and "
            f"external-entity attacks); expected {kind}"
        ) from error
    except DefusedXmlException as error:
        raise IngestError(f"{where}: refused: {error}; expected {kind}") from error
    except ParseError as error:
        raise IngestError(f"{where}: not well-formed XML ({error}); expected {kind}") from error
    except (LookupError, ValueError) as error:
        # expat hands the declared encoding to Python's codecs: "rot13", "utf-7" and unknown
        # names fail there, not as a ParseError.
        raise IngestError(f"{where}: unreadable XML encoding ({error}); expected {kind}") from error
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
