"""Test collections for `likewise eval`: SciFact, CSFCube (query by example) and file collections.

Loaders only read files and return plain data; runs.py runs the searches and the metrics.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCIFACT_PARTS = ("all", "fit", "heldout")
CSFCUBE_FACETS = ("background", "method", "result")


class CollectionError(ValueError):
    """A collection's files are missing or malformed; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    title: str
    abstract: str
    sentences: tuple[str, ...] = ()
    sentence_facets: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What is embedded: title + ". " + abstract, as for catalog papers."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(slots=True)
class RetrievalCollection:
    """Free-text queries over a corpus with graded judgments (qrels)."""

    name: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass(slots=True)
class QueryByExampleCollection:
    """Query papers whose candidate pools are ranked (CSFCube): query id -> (paper, facet, pool)."""

    name: str
    documents: dict[str, Document]
    queries: dict[str, tuple[str, str, list[str]]]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise CollectionError(f"{path} does not exist")
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CollectionError(f"{path}:{number}: not JSON ({error.msg})") from error
            if not isinstance(record, dict):
                raise CollectionError(f"{path}:{number}: expected a JSON object")
            records.append(record)
    return records


def scifact_part(claim_id: int) -> str:
    """Deterministic split of the training claims: 40% held out for reporting, 60% to fit on."""
    return "heldout" if claim_id % 5 < 2 else "fit"


def load_scifact(folder: Path, part: str = "all") -> RetrievalCollection:
    """SciFact training claims as queries; qrels from `cited_doc_ids` (relevance 1)."""
    if part not in SCIFACT_PARTS:
        raise CollectionError(f"unknown SciFact part {part!r}; choose one of {SCIFACT_PARTS}")
    documents = [
        Document(str(record["doc_id"]), str(record["title"]), str(record["abstract"]))
        for record in _read_jsonl(folder / "corpus.jsonl")
    ]
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for record in _read_jsonl(folder / "claims_train.jsonl"):
        claim_id = int(record["id"])
        if part != "all" and scifact_part(claim_id) != part:
            continue
        cited = [str(doc_id) for doc_id in record.get("cited_doc_ids", [])]
        if not cited:
            continue
        queries[str(claim_id)] = str(record["claim"])
        qrels[str(claim_id)] = dict.fromkeys(cited, 1)
    name = "scifact" if part == "all" else f"scifact-{part}"
    return RetrievalCollection(name, documents, queries, qrels)


def read_trec_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels: `query iteration document relevance` per line."""
    if not path.is_file():
        raise CollectionError(f"{path} does not exist")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise CollectionError(f"{path}:{number}: expected 'query 0 document relevance'")
        try:
            relevance = int(parts[3])
        except ValueError as error:
            raise CollectionError(
                f"{path}:{number}: relevance {parts[3]!r} is not a whole number"
            ) from error
        qrels.setdefault(parts[0], {})[parts[2]] = relevance
    return qrels


def load_file_collection(corpus: Path, queries: Path, qrels: Path) -> RetrievalCollection:
    """Corpus JSON lines (`doc_id` or `id`, `title`, `abstract`), `id<TAB>text` queries, qrels."""
    documents = []
    for number, record in enumerate(_read_jsonl(corpus), start=1):
        doc_id = record.get("doc_id", record.get("id"))
        if doc_id is None or "title" not in record:
            raise CollectionError(f"{corpus}:{number}: a line needs `doc_id` (or `id`) and `title`")
        documents.append(
            Document(str(doc_id), str(record["title"]), str(record.get("abstract") or ""))
        )
    if not queries.is_file():
        raise CollectionError(f"{queries} does not exist")
    texts: dict[str, str] = {}
    with queries.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2:
                raise CollectionError(f"{queries}:{number}: expected 'id<TAB>text'")
            texts[row[0].strip()] = "\t".join(row[1:]).strip()
    judged = read_trec_qrels(qrels)
    kept = {query: judged[query] for query in texts if any(judged.get(query, {}).values())}
    if not kept:
        raise CollectionError("no query has a relevant document in the qrels")
    return RetrievalCollection(corpus.stem, documents, {q: texts[q] for q in kept}, kept)


def load_csfcube(folder: Path) -> QueryByExampleCollection:
    """CSFCube dev half: each query paper + facet with its pool of judged candidates."""
    documents = {}
    for record in _read_jsonl(folder / "corpus.jsonl"):
        documents[str(record["paper_id"])] = Document(
            str(record["paper_id"]),
            str(record["title"]),
            str(record["abstract"]),
            tuple(record.get("abstract_sentences", ())),
            tuple(record.get("sentence_facets", ())),
        )
    splits = json.loads((folder / "evaluation_splits.json").read_text(encoding="utf-8"))
    dev = {query for facet in CSFCUBE_FACETS for query in splits[facet]["dev"]}
    qrels: dict[str, dict[str, int]] = {}
    queries = {}
    for facet in CSFCUBE_FACETS:
        qrels.update(read_trec_qrels(folder / f"qrels-{facet}.trec"))
        # The pool ranked per query is its judged candidates (upstream `cands`).
        annotations = json.loads(
            (folder / f"test-pid2anns-csfcube-{facet}.json").read_text(encoding="utf-8")
        )
        for paper, item in annotations.items():
            query = f"{paper}_{facet}"
            if query in dev:
                queries[query] = (paper, facet, [str(c) for c in item["cands"]])
    missing = sorted(dev - set(queries))
    if missing:
        raise CollectionError(f"CSFCube query {missing[0]} has no judged candidates")
    return QueryByExampleCollection("csfcube", documents, queries, {q: qrels[q] for q in queries})
