"""Judged CS queries for fitting the relevance cut-off beyond SciFact: CSFCube query by example
(real graded judgments), topical phrases mined from real arXiv CS titles (weak labels) and
hand-written off-topic queries; every source is split into fit and held-out parts by query.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from likewise.evaluate.collections import (
    CSFCUBE_FACETS,
    Document,
    RetrievalCollection,
    load_csfcube,
)
from likewise.evaluate.cutoff import Retrieved, retrieve_one
from likewise.evaluate.runs import EvaluationError, load_vector_file, paper_id
from likewise.ingest.jsonl import paper_from_record
from likewise.library import Library
from likewise.rank.query import MAX_QUERY_CHARACTERS

CSFCUBE_RELEVANT = 2  # adjudicated grade (0-3) from which a candidate counts as relevant
PHRASES = 300  # topical phrases mined from titles
MIN_TITLES = 25  # a phrase must occur in at least this many titles to be a topic
_FRAGMENT_SHARE = 0.7
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _word_set(
    "a all an and are as at based by can do does don for from how in into is it its need not of "
    "on or our over the their this through to toward towards under using via vs what when where "
    "which while why with without you"
)
# Adjectives that leave a phrase unfinished ("multimodal large" of "... language models").
_NOT_FINAL = _word_set("3d large multimodal small visual vision")
# Words that make a phrase a description of the paper rather than a topic ("a novel framework").
_GENERIC = _word_set(
    "analysis approach approaches benchmark benchmarking case comparative comprehensive data deep "
    "driven technical unified"
    "efficient empirical end evaluation evaluating framework improved improving investigating "
    "large learning method methods model models multi neural new novel paper real robust scale "
    "scalable simple study survey system systems towards understanding world"
)

# Queries no CS paper answers; all their candidates are non-relevant. Fit and held-out parts
# are disjoint; bench/cutoff.py checks the held-out part end to end.
OFF_TOPIC_FIT = (
    "chocolate cake recipe",
    "how to bake sourdough bread at home",
    "best beaches in portugal for families",
    "premier league transfer rumours",
    "how to train a puppy to sit",
    "knitting patterns for beginners",
    "symptoms of the common cold in toddlers",
    "how to repot an orchid",
    "wedding dress alterations cost",
    "tax deductions for home office expenses",
    "marathon training plan for beginners",
    "vegan lasagna with spinach",
    "cheap flights to barcelona in may",
    "how to remove red wine stains from carpet",
    "history of the roman empire",
    "best hiking boots for wide feet",
    "tomato plant leaves turning yellow",
    "divorce lawyer fees in california",
    "how to tie a tie windsor knot",
    "jazz guitar chords for autumn leaves",
    "how long to boil an egg",
    "french press coffee ratio",
    "renaissance oil painting techniques",
    "tennis backhand grip tips",
    "property tax appeal deadline",
    "cat vomiting after eating grass",
    "homemade pizza dough without yeast",
    "ski resorts in the alps with snow in april",
    "baby sleep schedule at six months",
    "how to fix a leaking kitchen faucet",
    "medieval castle architecture in wales",
    "yoga poses for lower back pain",
    "best fishing spots for trout",
    "how to make kimchi",
    "champions league final tickets",
    "lease agreement early termination clause",
)
OFF_TOPIC_HELDOUT = (
    "apple pie with cinnamon and nutmeg",
    "world cup football highlights",
    "inheritance tax rules for farmland",
    "how to grow basil indoors",
    "hotel deals in paris near the eiffel tower",
    "beginner crochet blanket",
    "how to clean a cast iron skillet",
    "wine pairing for roast lamb",
    "knee pain after running downhill",
    "golf swing slice correction",
    "dog food allergies symptoms",
    "bathroom tile grout cleaning",
    "banana bread recipe moist",
    "ancient egyptian pyramids construction",
    "basketball playoffs schedule",
    "how to write a wedding speech",
    "custody rights for grandparents",
    "piano lessons for adults",
    "horse riding boots sizing",
    "best time to visit iceland for the northern lights",
)


def heldout_by_id(number: int) -> bool:
    """The SciFact rule: ids with id mod 5 in {0, 1} are held out."""
    return number % 5 in (0, 1)


def heldout_by_hash(text: str) -> bool:
    """The same 40 % share for string keys, stable across runs and machines."""
    return heldout_by_id(zlib.crc32(text.encode("utf-8")))


def query_text(title: str, abstract: str) -> str:
    """A pasted paper (title + abstract) cut at a word boundary to the search query limit."""
    text = f"{title}. {abstract}" if abstract else title
    if len(text) <= MAX_QUERY_CHARACTERS:
        return text
    return text[:MAX_QUERY_CHARACTERS].rsplit(" ", 1)[0]


def csfcube_grades(folder: Path) -> dict[str, dict[str, int]]:
    """Query paper -> candidate -> best adjudicated grade over the facets it was judged on."""
    grades: dict[str, dict[str, int]] = {}
    for facet in CSFCUBE_FACETS:
        path = folder / f"test-pid2anns-csfcube-{facet}.json"
        for query, item in json.loads(path.read_text(encoding="utf-8")).items():
            judged = grades.setdefault(str(query), {})
            for candidate, grade in zip(item["cands"], item["relevance_adju"], strict=True):
                judged[str(candidate)] = max(int(grade), judged.get(str(candidate), 0))
    return grades


def csfcube_corpus(folder: Path) -> RetrievalCollection:
    """CSFCube's papers as a catalog to search (queries are handled by csfcube_queries)."""
    documents: list[Document] = list(load_csfcube(folder).documents.values())
    return RetrievalCollection("csfcube", documents, {}, {})


def csfcube_queries(library: Library, folder: Path) -> tuple[list[Retrieved], list[Retrieved]]:
    """(fit, held-out): each query paper pasted as a search (title + abstract) over the CSFCube
    catalog without itself. Grades >= 2 on any facet are relevant, judged 0 on every facet it
    was judged on is non-relevant, grade 1 and unjudged candidates are left unlabelled."""
    documents = {document.doc_id: document for document in csfcube_corpus(folder).documents}
    fit: list[Retrieved] = []
    heldout: list[Retrieved] = []
    for query, judged in sorted(csfcube_grades(folder).items()):
        relevant = frozenset(paper_id(c) for c, g in judged.items() if g >= CSFCUBE_RELEVANT)
        non_relevant = frozenset(paper_id(c) for c, g in judged.items() if g == 0)
        document = documents[query]
        found = retrieve_one(
            library,
            query,
            query_text(document.title, document.abstract),
            relevant,
            non_relevant,
            exclude=paper_id(query),
        )
        if found is not None:
            (heldout if heldout_by_id(int(query)) else fit).append(found)
    return fit, heldout


def words(text: str) -> list[str]:
    """Lower-case word tokens, a plural 's' dropped so 'networks' matches 'network'."""
    return [_singular(word) for word in _WORD.findall(text.lower())]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def mine_title_phrases(
    titles: Iterable[str], count: int = PHRASES, min_titles: int = MIN_TITLES
) -> list[str]:
    """The `count` 2-3 word phrases found in the most titles (at least `min_titles`), neither
    starting nor ending with a stop word, not made of generic words only, and not a fragment
    of a longer phrase that occurs nearly as often ("3d gaussian" of "3d gaussian splatting")."""
    frequency: Counter[str] = Counter()
    for title in titles:
        tokens = _WORD.findall(title.lower())
        found = set()
        for size in (2, 3):
            for start in range(len(tokens) - size + 1):
                gram = tokens[start : start + size]
                if gram[0] in _STOPWORDS or gram[-1] in _STOPWORDS or gram[-1] in _NOT_FINAL:
                    continue
                if any(len(word) == 1 for word in gram):  # "alzheimer s", "don t"
                    continue
                content = [word for word in gram if word not in _STOPWORDS]
                if all(word in _GENERIC or word.isdigit() for word in content):
                    continue
                found.add(" ".join(gram))
        frequency.update(found)
    common = {phrase: n for phrase, n in frequency.items() if n >= min_titles}
    longest: Counter[str] = Counter()  # a phrase's most frequent 3-word extension
    for phrase, n in common.items():
        parts = phrase.split()
        if len(parts) == 3:
            for fragment in (" ".join(parts[:2]), " ".join(parts[1:])):
                longest[fragment] = max(longest[fragment], n)
    ranked = sorted(
        (item for item in common.items() if longest[item[0]] < _FRAGMENT_SHARE * item[1]),
        key=lambda item: (-item[1], item[0]),
    )
    return [phrase for phrase, _ in ranked[:count]]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def phrase_labels(
    phrase: str, candidates: Iterable[str], texts: dict[str, tuple[str, str]]
) -> tuple[frozenset[str], frozenset[str]]:
    """Weak labels for a topical phrase: relevant when the title contains the phrase,
    non-relevant when neither title nor abstract has any of its content words."""
    needle = words(phrase)
    content = {word for word in needle if word not in _STOPWORDS}
    relevant, non_relevant = set(), set()
    for candidate in candidates:
        title, abstract = texts.get(candidate, ("", ""))
        if _contains(words(title), needle):
            relevant.add(candidate)
        elif not content & set(words(f"{title} {abstract}")):
            non_relevant.add(candidate)
    return frozenset(relevant), frozenset(non_relevant)


def fill_arxiv_catalog(
    library: Library, corpus: Path, vectors_file: Path
) -> dict[str, tuple[str, str]]:
    """Fill an empty (throw-away) library with the real arXiv CS papers that have a cached
    vector; returns id -> (title, abstract) for labelling."""
    ids, matrix = load_vector_file(vectors_file)
    if matrix.shape[1] != library.embedding.get().dimension:
        raise EvaluationError(f"{vectors_file} does not hold this embedder's vectors")
    row_of = {arxiv_id: row for row, arxiv_id in enumerate(ids)}
    if not corpus.is_file():
        raise EvaluationError(f"{corpus} does not exist")
    papers, announcements = [], []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("id") in row_of:
                paper, listed = paper_from_record(record)
                papers.append(paper)
                announcements.extend(listed)
    store = library.store
    for start in range(0, len(papers), 5_000):
        chunk = papers[start : start + 5_000]
        chosen = {paper.arxiv_id for paper in chunk}
        store.upsert_papers(
            chunk, source="eval", announcements=[a for a in announcements if a.arxiv_id in chosen]
        )
    store.put_vectors(
        library.embedding.get().model_id,
        [(p.arxiv_id, p.content_hash(), matrix[row_of[p.arxiv_id]]) for p in papers],
    )
    library.lexical.update_lexical_index()  # searches read the published BM25 index
    return {paper.arxiv_id: (paper.title, paper.abstract) for paper in papers}


def topical_queries(
    library: Library, texts: dict[str, tuple[str, str]], phrases: Sequence[str]
) -> tuple[list[Retrieved], list[Retrieved]]:
    """(fit, held-out) weakly labelled searches for mined phrases over the arXiv catalog."""
    fit: list[Retrieved] = []
    heldout: list[Retrieved] = []
    for phrase in phrases:
        found = retrieve_one(library, phrase, phrase)
        if found is None:
            continue
        relevant, non_relevant = phrase_labels(phrase, {**found.dense, **found.lexical}, texts)
        labelled = replace(found, relevant=relevant, non_relevant=non_relevant)
        (heldout if heldout_by_hash(phrase) else fit).append(labelled)
    return fit, heldout


def off_topic_queries(library: Library, queries: Sequence[str]) -> list[Retrieved]:
    """Searches no candidate is relevant to (complete judgments: all non-relevant)."""
    found = (retrieve_one(library, text, text) for text in queries)
    return [item for item in found if item is not None]
