"""Key phrases of a paper by RAKE, down-weighted by how common their words are in the catalog.

RAKE is from Rose, Engel, Cramer and Cowley, "Automatic Keyword Extraction from Individual
Documents", in Text Mining: Applications and Theory (Wiley, 2010).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from likewise.index.tokens import shared_tokeniser

if TYPE_CHECKING:
    from likewise.index.inverted import InvertedIndex

# A word (hyphenated compounds kept whole: "rank-based") or one punctuation mark.
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")
# Function words, number words and the stock verbs and adverbs of abstracts. RAKE splits
# candidate phrases at these; the catalog's rarity handles common content words.
STOP_WORDS = frozenset(
    (  # noqa: SIM905 - a readable block of words
        "a about above according across actually after again against all almost along already "
        "also although always among amongst an and another any anyone anything are around as "
        "at be became because become becomes been before being below between beyond both but "
        "by can cannot could did do does doing done down due during each either else enough "
        "especially et etc even ever every few for from further furthermore had has have "
        "having he her here hers herself him himself his how however i if in indeed into is "
        "it its itself just least less like likely many may me meanwhile might more moreover "
        "most mostly much must my namely neither never nevertheless no nor not nothing now of "
        "off often on once one only onto or other others otherwise our ours ourselves out over "
        "own per perhaps rather same she should since so some something sometimes still such "
        "than that the their theirs them themselves then there thereby therefore these they "
        "this those though through throughout thus to together too toward towards under "
        "unless unlike until up upon us very via was we were what whatever when whenever "
        "where whereas wherever whether which while who whom whose why will with within "
        "without would yet you your vs versus "
        # adverbs that qualify rather than name
        "additionally commonly consistently currently directly easily evenly finally fully "
        "generally increasingly jointly mainly merely nearly notably primarily relatively "
        "roughly simply slightly specifically strongly usually approximately accurately "
        "carefully dramatically entirely essentially explicitly implicitly inherently "
        "markedly naturally precisely quickly rapidly reliably robustly successfully "
        "surprisingly systematically traditionally "
        # numbers in words
        "zero two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred "
        "hundreds thousand thousands million millions billion billions first second third "
        "fourth fifth half twice dozens "
        # the stock words of abstracts: they say how a paper talks, not what it is about
        "achieve achieved achieves achieving address addressed addresses addressing allow "
        "allowed allows approach approaches based best better can could demonstrate "
        "demonstrated demonstrates demonstrating despite effective effectively efficient "
        "efficiently enable enabled enables enabling existing extensive extensively find "
        "finding findings finds found give given gives giving good great greater help helps "
        "high higher highly improve improved improvement improvements improves improving "
        "include included includes including introduce introduced introduces introducing "
        "key known large larger largely lead leading leads make makes making made method "
        "methods new novel obtain obtained offer offers outperform outperforming outperforms "
        "paper particular particularly perform performance performed performing performs "
        "present presented presents previous previously promising propose proposed proposes "
        "proposing provide provided provides providing recent recently remain remains "
        "remarkable report reported reports respectively result results reveal reveals "
        "several show showed showing shown shows significant significantly simple standard strong "
        "stronger study studies substantially superior take takes task tasks "
        "typically use used useful uses using various well whose wide widely work works "
        # hyphenated stock phrases, kept whole by the tokeniser
        "state-of-the-art real-world large-scale well-known so-called long-standing "
        "up-to-date easy-to-use cutting-edge in-depth high-quality wide-ranging non-trivial"
    ).split()
)
GENERIC_SHARE = 0.05
"""A phrase estimated to occur in more than this share of the catalog's papers says nothing
about a pair of papers ("text" 0.18, "project" 0.06, "improvement" 0.38 of the 74,728 arXiv
CS papers); it may still be part of a longer, rarer phrase."""
MIN_CATALOG = 100
"""Below this many papers document frequencies are too coarse to call a word common."""
MAX_SHARED_WORDS = 4
MIN_WORD_REPEATS = 2
"""A single shared word must occur this often in each text to be a reason: topic words recur
within a paper ("anisotropy", "voronoi"), incidental ones ("nearly", "choice", "carry") occur
once, though both kinds can be equally rare in the catalog."""


@dataclass(frozen=True, slots=True)
class Word:
    surface: str  # as written, case-folded ("rank-based")
    key: str  # Porter stems of its parts, joined by "-" ("rank-base")


@dataclass(frozen=True, slots=True)
class KeyPhrase:
    text: str
    score: float


class CatalogRarity:
    """How common a word is among the catalog's papers, from its document frequencies.

    A word's share is df / N; a hyphenated compound's and a phrase's share are estimated as
    the product of their stems' shares (the index has no positions to count phrases), and a
    word's weight is its inverse document frequency log(1 / share), share floored at 1 / N.
    """

    def __init__(self, document_frequency: Callable[[str], int], documents: int) -> None:
        if documents < 1:
            raise ValueError("a catalog rarity needs at least one document")
        self._frequency = document_frequency
        self.documents = documents
        self._shares: dict[str, float] = {}

    @classmethod
    def of_index(cls, index: InvertedIndex | None) -> CatalogRarity | None:
        """The rarity of the index's live papers; None without an index or below MIN_CATALOG."""
        if index is None or len(index) < MIN_CATALOG:
            return None
        return cls(index.document_frequency, len(index))

    def share(self, key: str) -> float:
        """Estimated share of papers that contain the word (a key of stems joined by "-")."""
        known = self._shares.get(key)
        if known is None:
            floor = 1.0 / self.documents
            known = 1.0
            for stem in key.split("-"):
                known *= max(self._frequency(stem) / self.documents, floor)
            known = max(known, floor)
            self._shares[key] = known
        return known

    def weight(self, key: str) -> float:
        return math.log(1.0 / self.share(key))

    def is_generic(self, keys: Iterable[str]) -> bool:
        share = 1.0
        for key in keys:
            share *= self.share(key)
        return share > GENERIC_SHARE


def candidate_phrases(text: str) -> list[list[Word]]:
    """RAKE's candidates: the runs of words between stop words, numbers and punctuation."""
    tokeniser = shared_tokeniser()
    phrases: list[list[Word]] = []
    current: list[Word] = []
    for token in _TOKEN.findall(text.casefold()):
        if len(token) < 2 or token in STOP_WORDS or not _LETTER.search(token):
            if current:
                phrases.append(current)
            current = []
            continue
        key = "-".join(tokeniser.stem(part) for part in tokeniser.words(token))
        current.append(Word(token, key))
    if current:
        phrases.append(current)
    return phrases


def word_frequencies(phrases: Iterable[list[Word]]) -> dict[str, int]:
    """RAKE's freq(w): the word's occurrences in candidate phrases."""
    frequency: dict[str, int] = defaultdict(int)
    for phrase in phrases:
        for word in phrase:
            frequency[word.key] += 1
    return dict(frequency)


def word_scores(phrases: Iterable[list[Word]]) -> dict[str, float]:
    """RAKE's word score deg(w) / freq(w): deg adds the length of the candidate at each of the
    word's occurrences (so a word that mostly occurs in long phrases scores high, one that
    stands alone scores 1)."""
    phrases = list(phrases)
    degree: dict[str, int] = defaultdict(int)
    for phrase in phrases:
        for word in phrase:
            degree[word.key] += len(phrase)
    return {key: degree[key] / count for key, count in word_frequencies(phrases).items()}


class PaperPhrases:
    """One text's RAKE candidates and word scores, with the phrases (up to MAX_SHARED_WORDS
    words, inside one candidate) it could share with another text."""

    def __init__(self, text: str, rarity: CatalogRarity | None) -> None:
        self.rarity = rarity
        self.phrases = candidate_phrases(text)
        self.scores = word_scores(self.phrases)
        # Stems of each phrase up to MAX_SHARED_WORDS words (compounds spelt out, so
        # "point-cloud" meets "point cloud") -> its first wording and its words' keys.
        self.grams: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
        self.occurrences: dict[tuple[str, ...], int] = defaultdict(int)
        for phrase in self.phrases:
            for size in range(1, min(len(phrase), MAX_SHARED_WORDS) + 1):
                for start in range(len(phrase) - size + 1):
                    words = phrase[start : start + size]
                    stems = tuple(stem for word in words for stem in word.key.split("-"))
                    wording = " ".join(word.surface for word in words)
                    self.grams.setdefault(stems, (wording, tuple(word.key for word in words)))
                    self.occurrences[stems] += 1

    def weight(self, key: str) -> float:
        """RAKE score times the catalog's inverse document frequency (1 without a catalog)."""
        rarity = 1.0 if self.rarity is None else self.rarity.weight(key)
        return self.scores.get(key, 0.0) * rarity

    def is_generic(self, keys: tuple[str, ...]) -> bool:
        return self.rarity is not None and self.rarity.is_generic(keys)

    def key_phrases(self, limit: int | None = None) -> list[KeyPhrase]:
        """Whole candidates by the sum of their words' weights, best first, generic ones left
        out; as many as `limit`, else RAKE's cut: a third of the text's distinct words."""
        best: dict[tuple[str, ...], KeyPhrase] = {}
        for phrase in self.phrases:
            keys = tuple(word.key for word in phrase)
            if keys in best or self.is_generic(keys):
                continue
            text = " ".join(word.surface for word in phrase)
            best[keys] = KeyPhrase(text, sum(self.weight(key) for key in keys))
        ranked = sorted(best.values(), key=lambda phrase: (-phrase.score, phrase.text))
        return ranked[: max(1, len(self.scores) // 3) if limit is None else limit]


def key_phrases(
    text: str, rarity: CatalogRarity | None = None, limit: int | None = None
) -> list[KeyPhrase]:
    """The text's RAKE key phrases, weighted by catalog rarity when given, best first."""
    return PaperPhrases(text, rarity).key_phrases(limit)


def shared_phrases(first: PaperPhrases, second: PaperPhrases, limit: int) -> list[KeyPhrase]:
    """Phrases both texts use inside a candidate, scored by the sum over their words of both
    texts' weights, best first. Left out: generic phrases, a single word (in either text's
    wording) that either text uses fewer than MIN_WORD_REPEATS times, and a phrase repeating a
    word of one already chosen (so each names something new). Shown in `first`'s wording."""
    scored = []
    for stems, (wording, keys) in first.grams.items():
        theirs = second.grams.get(stems)
        if theirs is None or first.is_generic(stems):
            continue
        single = len(keys) == 1 or len(theirs[1]) == 1
        if single and min(first.occurrences[stems], second.occurrences[stems]) < MIN_WORD_REPEATS:
            continue
        score = sum(map(first.weight, keys)) + sum(map(second.weight, theirs[1]))
        scored.append((score, wording, stems))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[KeyPhrase] = []
    used: set[str] = set()
    for score, wording, stems in scored:
        if used.intersection(stems):
            continue
        chosen.append(KeyPhrase(wording, score))
        used.update(stems)
        if len(chosen) == limit:
            break
    return chosen
