"""OAI-PMH ``ListRecords`` harvesting of arXiv in the ``arXiv`` or ``arXivRaw`` format.

Incremental with ``from=``; long lists come in pages linked by resumption tokens, and the
token is the checkpoint, so an interrupted harvest resumes where it stopped. When it has
finished the checkpoint keeps the newest datestamp seen, the ``from`` of the next sync.
A repository that hands out a token it gave before, or keeps refusing its own tokens, stops
the harvest with an error instead of looping for ever.
Protocol: https://www.openarchives.org/OAI/openarchivesprotocol.html.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from likewise.ingest.authors import name_from_parts, split_authors
from likewise.ingest.base import Batch, IngestError, RecordError, source_name
from likewise.ingest.categories import normalise_categories
from likewise.ingest.dates import parse_day, parse_timestamp
from likewise.ingest.http import PoliteClient
from likewise.ingest.ids import MAX_VERSION
from likewise.ingest.records import abstract_text, optional_text, required_id, required_title
from likewise.ingest.xml import ARXIV_OAI, ARXIV_RAW, OAI, parse_document, text_of
from likewise.models import Paper, RejectedRecord, Version

SOURCE_LABEL = "oai-pmh"
FORMATS = ("arXivRaw", "arXiv")
# An expired token restarts the harvest; a repository refusing every token would restart it
# for ever, so a run gives up after this many restarts.
MAX_RESTARTS = 2
_VERSION_LABEL = re.compile(r"v?0*([0-9]{1,9})", re.ASCII)


class OaiError(IngestError):
    """The repository answered with an OAI-PMH error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def paper_from_arxiv_format(metadata: Element, datestamp: date | None) -> Paper:
    """``<arXiv>`` metadata: created/updated days and structured author names."""
    arxiv_id = required_id(text_of(metadata, f"{ARXIV_OAI}id"))
    created = parse_day(text_of(metadata, f"{ARXIV_OAI}created"), "created")
    updated = parse_day(text_of(metadata, f"{ARXIV_OAI}updated"), "updated")
    authors = [
        name_from_parts(
            text_of(author, f"{ARXIV_OAI}keyname") or "",
            text_of(author, f"{ARXIV_OAI}forenames") or "",
            text_of(author, f"{ARXIV_OAI}suffix") or "",
        )
        for author in metadata.iterfind(f"{ARXIV_OAI}authors/{ARXIV_OAI}author")
    ]
    return Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(text_of(metadata, f"{ARXIV_OAI}title")),
        abstract=abstract_text(text_of(metadata, f"{ARXIV_OAI}abstract")),
        authors=[name for name in authors if name],
        categories=normalise_categories(text_of(metadata, f"{ARXIV_OAI}categories") or ""),
        submitted=_midnight(created),
        updated=_midnight(updated or created),
        record_modified=datestamp,
        comment=optional_text(text_of(metadata, f"{ARXIV_OAI}comments")),
        journal_ref=optional_text(text_of(metadata, f"{ARXIV_OAI}journal-ref")),
        doi=optional_text(text_of(metadata, f"{ARXIV_OAI}doi")),
        license=optional_text(text_of(metadata, f"{ARXIV_OAI}license")),
        source=SOURCE_LABEL,
    )


def paper_from_arxiv_raw(metadata: Element, datestamp: date | None) -> Paper:
    """``<arXivRaw>`` metadata: every version with its date and size."""
    arxiv_id = required_id(text_of(metadata, f"{ARXIV_RAW}id"))
    versions = []
    for element in metadata.findall(f"{ARXIV_RAW}version"):
        label = element.get("version", "")
        number = _version_number(label)
        submitted = parse_timestamp(text_of(element, f"{ARXIV_RAW}date"), f"{label} date")
        size = text_of(element, f"{ARXIV_RAW}size")
        versions.append(Version(arxiv_id.bare, number, submitted, size))
    versions.sort(key=lambda version: version.number)
    return Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(text_of(metadata, f"{ARXIV_RAW}title")),
        abstract=abstract_text(text_of(metadata, f"{ARXIV_RAW}abstract")),
        authors=split_authors(text_of(metadata, f"{ARXIV_RAW}authors") or ""),
        categories=normalise_categories(text_of(metadata, f"{ARXIV_RAW}categories") or ""),
        submitted=versions[0].submitted if versions else None,
        updated=versions[-1].submitted if versions else None,
        record_modified=datestamp,
        latest_version=versions[-1].number if versions else 1,
        versions=versions,
        comment=optional_text(text_of(metadata, f"{ARXIV_RAW}comments")),
        journal_ref=optional_text(text_of(metadata, f"{ARXIV_RAW}journal-ref")),
        doi=optional_text(text_of(metadata, f"{ARXIV_RAW}doi")),
        license=optional_text(text_of(metadata, f"{ARXIV_RAW}license")),
        source=SOURCE_LABEL,
    )


def _version_number(label: str) -> int:
    """The N of a ``vN`` label, checked to be a plausible version (v1 to MAX_VERSION)."""
    match = _VERSION_LABEL.fullmatch(label)
    if match is None or not 1 <= int(match[1]) <= MAX_VERSION:
        shown = label if len(label) <= 40 else label[:40] + "…"
        raise RecordError(f"version label is not v1 to v{MAX_VERSION}: {shown!r}")
    return int(match[1])


_PARSERS = {"arXiv": (ARXIV_OAI + "arXiv", paper_from_arxiv_format)}
_PARSERS["arXivRaw"] = (ARXIV_RAW + "arXivRaw", paper_from_arxiv_raw)


class OaiPage:
    """One ListRecords response: papers, rejects, newest datestamp and the next token."""

    def __init__(self, content: bytes, url: str, metadata_format: str) -> None:
        root = parse_document(content, url, f"{OAI}OAI-PMH", "an OAI-PMH response")
        self.papers: list[Paper] = []
        self.rejected: list[RejectedRecord] = []
        self.newest: date | None = None
        self.token: str | None = None
        error = root.find(f"{OAI}error")
        if error is not None:
            code = error.get("code", "unknown")
            if code == "noRecordsMatch":
                return
            text = (error.text or "").strip()
            raise OaiError(f"{url}: OAI-PMH error {code}: {text or 'no details'}", code)
        records = root.find(f"{OAI}ListRecords")
        if records is None:
            raise IngestError(f"{url}: OAI-PMH response without ListRecords")
        root_tag, parse = _PARSERS[metadata_format]
        for position, record in enumerate(records.findall(f"{OAI}record"), start=1):
            self._read_record(record, position, url, root_tag, parse)
        token = records.find(f"{OAI}resumptionToken")
        if token is not None and token.text and token.text.strip():
            self.token = token.text.strip()

    def _read_record(
        self, record: Element, position: int, url: str, root_tag: str, parse: Any
    ) -> None:
        header = record.find(f"{OAI}header")
        identifier = text_of(header, f"{OAI}identifier") or f"record {position}"
        if header is not None and header.get("status") == "deleted":
            return  # arXiv does not delete papers; a deleted header carries no metadata
        try:
            datestamp = parse_day(text_of(header, f"{OAI}datestamp"), "datestamp")
            metadata = record.find(f"{OAI}metadata/{root_tag}")
            if metadata is None:
                raise RecordError(f"record has no <{root_tag.rpartition('}')[2]}> metadata")
            self.papers.append(parse(metadata, datestamp))
        except RecordError as error:
            self.rejected.append(RejectedRecord(f"{url} ({identifier})", str(error)))
            return
        if datestamp and (self.newest is None or datestamp > self.newest):
            self.newest = datestamp


class OaiPmhSource:
    """A ListRecords harvest of one set (e.g. ``cs``) from a day on, resumable."""

    def __init__(
        self,
        client: PoliteClient,
        oai_url: str,
        *,
        set_spec: str | None = None,
        since: date | None = None,
        until: date | None = None,
        metadata_format: str = "arXivRaw",
    ) -> None:
        if metadata_format not in _PARSERS:
            raise ValueError(f"metadata format must be one of {', '.join(FORMATS)}")
        self.client = client
        self.oai_url = oai_url
        self.set_spec = set_spec
        self.since = since
        self.until = until
        self.metadata_format = metadata_format
        self.name = source_name(SOURCE_LABEL, set_spec or "all")

    def _start(self, checkpoint: str | None) -> tuple[dict[str, str], dict[str, Any]]:
        """(request parameters, state) for the first request of this run."""
        stored: dict[str, Any] = {}
        if checkpoint:
            try:
                loaded = json.loads(checkpoint)
                stored = loaded if isinstance(loaded, dict) else {}
            except ValueError:
                stored = {}
        resumable = bool(stored.get("token")) and stored.get("format") == self.metadata_format
        if resumable and (self.since is None or stored.get("from") == self.since.isoformat()):
            state = {key: stored.get(key) for key in ("format", "from", "harvested_to", "token")}
            return {"verb": "ListRecords", "resumptionToken": stored["token"]}, state
        since = self.since
        if since is None and stored.get("harvested_to"):
            since = date.fromisoformat(stored["harvested_to"])  # incremental sync
        state = {
            "format": self.metadata_format,
            "from": since.isoformat() if since else None,
            "harvested_to": stored.get("harvested_to"),
            "token": None,
        }
        return self._fresh_params(state), state

    def _fresh_params(self, state: dict[str, Any]) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_format}
        if self.set_spec:
            params["set"] = self.set_spec
        if state["from"]:
            params["from"] = state["from"]
        if self.until:
            params["until"] = self.until.isoformat()
        return params

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        params, state = self._start(checkpoint)
        # Tokens handed out in this run (and the one resumed from): one coming back means the
        # repository is going round in a circle.
        seen = {params["resumptionToken"]} if "resumptionToken" in params else set()
        restarts = 0
        while True:
            response = self.client.get(self.oai_url, params=params)
            url = str(response.url)
            try:
                page = OaiPage(response.content, url, self.metadata_format)
            except OaiError as error:
                if error.code != "badResumptionToken" or "resumptionToken" not in params:
                    raise
                if restarts >= MAX_RESTARTS:
                    raise OaiError(
                        f"{error} (again after restarting the harvest {restarts} times: "
                        "giving up; run it again later)",
                        error.code,
                    ) from error
                # Tokens expire; start the same harvest again (re-storing is harmless). The
                # restarted harvest may hand out the same tokens as before.
                restarts += 1
                params = self._fresh_params(state)
                seen.clear()
                continue
            if page.token is not None and page.token in seen:
                raise IngestError(
                    f"{url}: the repository handed out resumption token {page.token!r} again; "
                    "stopping, as following it would repeat pages for ever"
                )
            newest = page.newest.isoformat() if page.newest else None
            if newest and (state["harvested_to"] is None or newest > state["harvested_to"]):
                state["harvested_to"] = newest
            state["token"] = page.token
            yield Batch(page.papers, [], page.rejected, json.dumps(state))
            if page.token is None:
                return
            seen.add(page.token)
            params = {"verb": "ListRecords", "resumptionToken": page.token}
