"""Text to index terms the way the SQLite full-text table does it: unicode61 word splitting
(letters and digits), case folding, diacritics removed, then the Porter stemmer (M. F. Porter,
"An algorithm for suffix stripping", Program 14(3), 1980) as FTS5 implements it.

Shared by the in-process inverted index (index/inverted.py) and its BM25 ranking
(rank/bm25.py), so documents and queries always meet on the same terms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

import Stemmer

# unicode61 keeps runs of letters and digits; everything else (underscore included) splits.
_WORD = re.compile(r"[^\W_]+")
# FTS5's porter tokenizer passes very short and very long tokens (in UTF-8 bytes) through.
_SHORTEST_STEMMED, _LONGEST_STEMMED = 3, 64
_CACHE_LIMIT = 2_000_000  # distinct surface words remembered (a full arXiv is ~1.5M)
_VOWELS = frozenset("aeiou")


class Tokeniser:
    """Surface words to stems, with a per-word cache (the stemmer is the slow part)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("porter")
        self._stems: dict[str, str] = {}
        self._learning = threading.Lock()  # a Stemmer object is not safe across threads

    def terms(self, text: str) -> list[str]:
        """The terms of `text` in order, repeats kept (their count is the term frequency)."""
        stems = self._stems
        # Split before folding: lower() turns some letters into letter + combining mark.
        found = _WORD.findall(text)
        terms = list(map(stems.get, found))
        if None in terms:
            return [stems.get(word) or self._learn(word) for word in found]
        return terms  # type: ignore[return-value]  # no None is left

    def words(self, text: str) -> list[str]:
        """The surface words of `text` (each is one term: see `stem`)."""
        return _WORD.findall(text)

    def stem(self, word: str) -> str:
        """The term of one surface word as `words` splits them."""
        return self._stems.get(word) or self._learn(word)

    def _learn(self, word: str) -> str:
        with self._learning:
            return self._learn_locked(word)

    def _learn_locked(self, word: str) -> str:
        folded = _strip_diacritics(word.lower())
        size = len(folded.encode("utf-8"))
        stem = folded
        if _SHORTEST_STEMMED <= size <= _LONGEST_STEMMED:
            stem = self._c_version(self._stemmer.stemWord(folded))
        if len(self._stems) >= _CACHE_LIMIT:
            self._stems.clear()
        self._stems[word] = stem
        return stem

    def _c_version(self, stem: str) -> str:
        """Snowball's "porter" follows the 1980 paper; FTS5 follows Porter's C release, whose
        step 2 turns -bli into -ble (not -abli into -able) and -logi into -log. Both only
        leave such endings behind, so finishing them here gives FTS5's stem."""
        if stem.endswith("logi") and _measure(stem[:-4]) > 0:
            return stem[:-1]
        if stem.endswith("bli") and _measure(stem[:-3]) > 0:
            return str(self._stemmer.stemWord(stem[:-1] + "e"))
        return stem


_SHARED = Tokeniser()


def shared_tokeniser() -> Tokeniser:
    """One tokeniser (and stem cache) for the process: queries and indexed papers alike."""
    return _SHARED


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences (y is a vowel after a consonant)."""
    count, previous_vowel = 0, False
    for position, char in enumerate(stem):
        vowel = char in _VOWELS or (char == "y" and position > 0 and not previous_vowel)
        if previous_vowel and not vowel:
            count += 1
        previous_vowel = vowel
    return count


def _strip_diacritics(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", kept)


def term_counts(tokeniser: Tokeniser, texts: Iterable[str]) -> list[dict[str, int]]:
    """Term frequencies of each text."""
    counted = []
    for text in texts:
        counts: dict[str, int] = {}
        for term in tokeniser.terms(text):
            counts[term] = counts.get(term, 0) + 1
        counted.append(counts)
    return counted
