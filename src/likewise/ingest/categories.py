"""arXiv category names: canonical spelling and the aliases arXiv treats as one category.

Aliases follow arXiv's category taxonomy page (e.g. "cs.NA is an alias for math.NA"); the
pre-1999 archives that became subject classes map onto their successors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# alias -> canonical, as listed on https://arxiv.org/category_taxonomy
ALIASES: dict[str, str] = {
    "cs.NA": "math.NA",
    "cs.SY": "eess.SY",
    "math.IT": "cs.IT",
    "q-fin.EC": "econ.GN",
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    # Archives merged into others (old-style papers still carry them).
    "cmp-lg": "cs.CL",
    "adap-org": "nlin.AO",
    "chao-dyn": "nlin.CD",
    "comp-gas": "nlin.CG",
    "patt-sol": "nlin.PS",
    "solv-int": "nlin.SI",
    "alg-geom": "math.AG",
    "dg-ga": "math.DG",
    "funct-an": "math.FA",
    "q-alg": "math.QA",
    "mtrl-th": "cond-mat.mtrl-sci",
    "supr-con": "cond-mat.supr-con",
    "acc-phys": "physics.acc-ph",
    "ao-sci": "physics.ao-ph",
    "atom-ph": "physics.atom-ph",
    "bayes-an": "physics.data-an",
    "chem-ph": "physics.chem-ph",
    "plasm-ph": "physics.plasm-ph",
}
# Archives that are categories on their own (current and merged-away ones) ...
STANDALONE_ARCHIVES = frozenset(
    [
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
    ]
) | frozenset(alias for alias in ALIASES if "." not in alias)
# ... and archives whose categories carry a subject class (cs.CL, astro-ph.CO).
ARCHIVES_WITH_SUBJECTS = frozenset(
    [
        "astro-ph",
        "cond-mat",
        "cs",
        "econ",
        "eess",
        "math",
        "nlin",
        "physics",
        "q-bio",
        "q-fin",
        "stat",
    ]
)
# Archives whose subject classes are lower-case words (physics.optics, cond-mat.stat-mech).
_LOWER_CASE_SUBJECTS = {"physics", "cond-mat"}
_SEPARATORS = re.compile(r"[\s,;]+")
_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[a-z]+(?:-[a-z]+)?)?", re.IGNORECASE)
# No arXiv category has a digit; MSC classes (68T50, 68Txx), ACM classes (I.2.7, H.3) and
# MeSH codes (L01.224) all do, except ACM's top-level "miscellaneous" classes (J.m).
_ACM_MISCELLANEOUS = re.compile(r"[A-K]\.m")
_CLASS_WORDS = frozenset(["primary", "secondary", "and"])


class InvalidCategoryError(ValueError):
    """Text that cannot be an arXiv category; the message quotes it."""


def normalise_category(text: str) -> str:
    """Canonical form of one category: fixed letter case, aliases resolved.

    The archive must be a known one (``cs``, ``hep-th`` ...); the subject class is taken on
    trust so that categories arXiv adds later still load.
    """
    name = text.strip()
    archive, dot, subject = name.partition(".")
    archive = archive.lower()
    known = ARCHIVES_WITH_SUBJECTS if dot else STANDALONE_ARCHIVES
    if not _SHAPE.fullmatch(name) or archive not in known:
        raise InvalidCategoryError(f"not an arXiv category: {text!r}")
    if dot:
        subject = subject.lower() if archive in _LOWER_CASE_SUBJECTS else subject.upper()
        name = f"{archive}.{subject}"
    else:
        name = archive
    return ALIASES.get(name, name)


def normalise_categories(categories: Iterable[str] | str) -> list[str]:
    """Canonical categories in their original order (primary first), duplicates dropped.

    A string is split on spaces or commas, as the snapshot and OAI records write it. Lists
    scraped from listing pages also hold ACM/MSC classes and words such as "(Primary)";
    whatever is not an arXiv category is left out.
    """
    items = _SEPARATORS.split(categories) if isinstance(categories, str) else categories
    seen: dict[str, None] = {}
    for item in items:
        try:
            seen.setdefault(normalise_category(item), None)
        except InvalidCategoryError:
            continue
    return list(seen)


def is_subject_classification(item: str) -> bool:
    """Whether a categories item is an MSC or ACM class, or a listing page's words around
    them ("68T50 (Primary)", "I.2.7; H.3.3", "(Machine learning)"): not a category, and not
    a mistake either, so it is left out without a note."""
    parts = [part for part in _SEPARATORS.split(item) if part]
    if not parts:
        return True
    if len(parts) > 1 or any(character in item for character in "()[]:"):
        return True
    part = parts[0]
    return (
        any(character.isdigit() for character in part)
        or bool(_ACM_MISCELLANEOUS.fullmatch(part))
        or part.lower() in _CLASS_WORDS
    )


def unknown_categories(categories: Iterable[str] | str) -> list[str]:
    """The items normalise_categories leaves out, in order, each once, except subject
    classifications (MSC, ACM), which are expected there."""
    items = _SEPARATORS.split(categories) if isinstance(categories, str) else categories
    unknown: dict[str, None] = {}
    for item in items:
        if not item.strip():
            continue
        try:
            normalise_category(item)
        except InvalidCategoryError:
            if not is_subject_classification(item):
                unknown.setdefault(item, None)
    return list(unknown)


def same_category(first: str, second: str) -> bool:
    """Whether two spellings name one category (``cs.SY`` and ``eess.SY``)."""
    return normalise_category(first) == normalise_category(second)
