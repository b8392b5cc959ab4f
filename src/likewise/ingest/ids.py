"""arXiv identifiers: parse new-style (2403.01234v2) and old-style (hep-th/9901001v1) ids.

A paper is keyed by its bare id (no version). Old-style ids keep their archive, so
``hep-th/9901001`` and ``math/9901001`` are different papers; a subject class in an old id
(``math.GT/0309136``) is not part of the id and is dropped. Rules follow arXiv's
"Understanding the arXiv identifier" help page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# re.ASCII throughout: in Unicode mode \d takes Arabic-Indic or full-width digits and
# case-folded [a-z] takes "ſ" or "ı", which would store look-alike ids for one paper.
_NEW_STYLE = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?", re.ASCII)
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?/(?P<yymm>\d{4})(?P<number>\d{3})"
    r"(?:v(?P<version>\d+))?",
    re.IGNORECASE | re.ASCII,
)
_PREFIXES = re.compile(
    r"^(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|oai:arxiv\.org:|arxiv:)",
    re.IGNORECASE | re.ASCII,
)


# arXiv papers have tens of versions at most; the bound keeps a version a small integer
# (the store's INTEGER column) and rejects digit strings too long for int() to convert.
MAX_VERSION = 9999


class InvalidArxivIdError(ValueError):
    """Text that is not an arXiv identifier; the message quotes it."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed identifier: the bare id and the version it named, if any."""

    bare: str
    version: int | None = None

    @property
    def is_old_style(self) -> bool:
        return "/" in self.bare

    def __str__(self) -> str:
        return self.bare if self.version is None else f"{self.bare}v{self.version}"


def _valid_month(yymm: str) -> bool:
    return 1 <= int(yymm[2:]) <= 12


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, an ``arXiv:`` reference, an abs/pdf URL or an OAI identifier."""
    candidate = text.strip()
    match = _NEW_STYLE.fullmatch(candidate)
    if match is None:  # the bare form is by far the most common; try the others after it
        candidate = _PREFIXES.sub("", candidate).removesuffix(".pdf").rstrip("/")
        match = _NEW_STYLE.fullmatch(candidate)
    if match:
        yymm, number = match["yymm"], match["number"]
        # Four-digit numbers ran from 0704 to 1412; five digits from 1501 on.
        four_digit_era = yymm < "1501"
        if not _valid_month(yymm) or yymm < "0704" or (len(number) == 4) != four_digit_era:
            raise InvalidArxivIdError(f"not an arXiv identifier: {_shown(text)}")
        return ArxivId(f"{yymm}.{number}", _checked_version(match["version"], text))
    match = _OLD_STYLE.fullmatch(candidate)
    if match and _valid_month(match["yymm"]):
        bare = f"{match['archive'].lower()}/{match['yymm']}{match['number']}"
        return ArxivId(bare, _checked_version(match["version"], text))
    raise InvalidArxivIdError(f"not an arXiv identifier: {_shown(text)}")


def _checked_version(digits: str | None, text: str) -> int | None:
    if digits is None:
        return None
    significant = digits.lstrip("0")
    if len(significant) > len(str(MAX_VERSION)) or int(significant or "0") > MAX_VERSION:
        raise InvalidArxivIdError(
            f"arXiv version out of range (v1 to v{MAX_VERSION}): {_shown(text)}"
        )
    if not significant:
        raise InvalidArxivIdError(f"arXiv versions start at v1: {_shown(text)}")
    return int(significant)


def _shown(text: str, width: int = 80) -> str:
    """The text quoted for a message, cut short when it is long."""
    return repr(text) if len(text) <= width else repr(text[:width]) + f" (… {len(text):,} chars)"


def bare_arxiv_id(text: str) -> str:
    """The id without its version (``2403.01234v2`` -> ``2403.01234``)."""
    return parse_arxiv_id(text).bare


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivIdError:
        return False
    return True


_EMBEDDED = re.compile(
    r"(?:arxiv(?:\.org)?[:\s./]*(?:abs/|pdf/)?)(\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2})?/\d{7})",
    re.IGNORECASE | re.ASCII,
)


def find_arxiv_id(text: str) -> ArxivId | None:
    """The first arXiv id mentioned in free text (``arXiv preprint arXiv:2403.01234``)."""
    for match in _EMBEDDED.finditer(text):
        try:
            return parse_arxiv_id(match.group(1))
        except InvalidArxivIdError:
            continue
    return None
