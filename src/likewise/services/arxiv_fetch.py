"""Fetching one paper from the arXiv API for "submit a paper", with the errors a reader sees."""

from __future__ import annotations

import logging

import httpx

from likewise.models import Paper
from likewise.services.errors import ArxivUnreachableError, SiteError
from likewise.settings import Settings

_log = logging.getLogger(__name__)


def fetch_from_arxiv(
    settings: Settings, arxiv_id: str, transport: httpx.BaseTransport | None
) -> list[Paper]:
    """The records the arXiv API returns for the id; `transport` is the one
    CatalogService.use_transport installs (tests: recorded responses)."""
    from likewise.ingest.arxiv_api import ArxivApiSource
    from likewise.ingest.base import IngestError
    from likewise.ingest.http import FetchError, PoliteClient

    client = PoliteClient(
        interval=settings.request_interval,
        retries=min(settings.request_retries, 2),
        timeout=min(settings.request_timeout, 20.0),
        transport=transport,
    )
    try:
        source = ArxivApiSource(client, settings.arxiv_api_url, ids=[arxiv_id])
        return [paper for batch in source.batches(None, 10) for paper in batch.papers]
    except FetchError as error:
        # The resolver's or socket's own words mean nothing to the reader; the log has them.
        _log.warning("submitting %s: %s", arxiv_id, error)
        problem = f"arXiv could not be reached, so {arxiv_id} was not added. Try again later."
        raise ArxivUnreachableError(problem) from error
    except IngestError as error:
        raise SiteError(f"could not fetch {arxiv_id} from arXiv: {error}") from error
    finally:
        client.close()
