"""Arbitrary user text to safe full-text queries: arXiv ids, "quoted phrases" and words.

Nothing the user types reaches a query language unescaped: words are reduced to letters and
digits and then quoted (FTS5) or passed as bound parameters (PostgreSQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# New-style (2403.01234, optional version) and old-style (hep-th/9901001, math.AG/0101001,
# whose bare id drops the subject class: math/0101001).
ARXIV_ID = re.compile(
    r"(?<![\w./-])(?:arxiv:)?"
    r"(?:(?P<new>\d{4}\.\d{4,5})|(?P<archive>[a-z][a-z-]*)(?:\.[a-z]{2})?/(?P<number>\d{7}))"
    r"(?:v\d+)?(?![\w/])",
    re.IGNORECASE,
)
MAX_WORDS = 64  # also keeps SQL expressions shallow (each word is one more operator)
MAX_PHRASES = 8
_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"\w+")
# Very common English words match most abstracts and add nothing to the ranking.
# Function words left out of the query (kept when the query has nothing else). The question
# words and auxiliaries ("how can ...", "what does ...") were added for issue 11: in a typed
# question they matched papers titled "How ..." (docs/search.md, "Short queries").
STOPWORDS = frozenset(
    (  # noqa: SIM905 - one readable line per few words
        "a an and are as at be by for from has have in into is it its of on or our that the "
        "this to via was we were which with "
        "can could did do does how i should what when where who why will would"
    ).split()
)


@dataclass(slots=True)
class ParsedQuery:
    arxiv_ids: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)  # each phrase: its words
    # The same phrases as typed, for engines that must tokenise them as they tokenised the
    # documents (PostgreSQL splits "multi-document" into three positions, not two).
    phrase_texts: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.phrases or self.words)


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


def bare_id(candidate: str) -> str:
    """An arXiv id without prefix or version; old-style archives are lower case."""
    match = ARXIV_ID.fullmatch(candidate.strip())
    return _identifier(match) if match else candidate.strip()


def _identifier(match: re.Match[str]) -> str:
    if match.group("new"):
        return match.group("new")
    return f"{match.group('archive').lower()}/{match.group('number')}"


def parse_query(text: str) -> ParsedQuery:
    parsed = ParsedQuery()
    parsed.arxiv_ids = list(dict.fromkeys(_identifier(match) for match in ARXIV_ID.finditer(text)))
    remaining = ARXIV_ID.sub(" ", text)
    for phrase in _PHRASE.findall(remaining):
        words = _words(phrase)
        if len(words) == 1:
            parsed.words.extend(words)
        elif words:
            parsed.phrases.append(words)
            parsed.phrase_texts.append(" ".join(phrase.split()))
    loose = _words(_PHRASE.sub(" ", remaining).replace('"', " "))
    meaningful = [word for word in loose if word not in STOPWORDS]
    parsed.words.extend(meaningful if meaningful or parsed.phrases or parsed.words else loose)
    # A pasted abstract is a fine query, but a whole paper would only cost time.
    parsed.words = list(dict.fromkeys(parsed.words))[:MAX_WORDS]
    parsed.phrases = parsed.phrases[:MAX_PHRASES]
    parsed.phrase_texts = parsed.phrase_texts[:MAX_PHRASES]
    return parsed


def fts5_expression(parsed: ParsedQuery) -> str:
    """An FTS5 MATCH expression: every phrase required, any word enough, all quoted."""
    phrases = ['"' + " ".join(words) + '"' for words in parsed.phrases]
    words = [f'"{word}"' for word in parsed.words]
    if not phrases:
        return " OR ".join(words)
    required = " AND ".join(phrases)
    if not words:
        return required
    # Repeating the phrases inside the optional group keeps them required while the words
    # still add to the BM25 score of the papers that have them.
    return f"{required} AND ({' OR '.join(phrases + words)})"
