"""Normalisation of text, categories and author lists."""

from __future__ import annotations

import pytest

from likewise.ingest.authors import bibtex_authors, names_from_parsed, split_authors
from likewise.ingest.categories import (
    InvalidCategoryError,
    normalise_categories,
    normalise_category,
    same_category,
)
from likewise.ingest.text import clean_title, latex_to_unicode, normalise_title


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("cs.NA", "math.NA"),
        ("cs.SY", "eess.SY"),
        ("math.IT", "cs.IT"),
        ("q-fin.EC", "econ.GN"),
        ("math.MP", "math-ph"),
        ("stat.TH", "math.ST"),
        ("cmp-lg", "cs.CL"),
        ("CS.cl", "cs.CL"),
        ("physics.OPTICS", "physics.optics"),
        ("cond-mat.STAT-MECH", "cond-mat.stat-mech"),
        ("astro-ph.co", "astro-ph.CO"),
    ],
)
def test_categories_are_canonical_with_aliases_resolved(alias: str, canonical: str) -> None:
    assert normalise_category(alias) == canonical


def test_category_lists_keep_order_drop_duplicates_and_classification_codes() -> None:
    listed = "cs.NA math.NA cs.CL I.2.7 68T50 (Primary) cs.CL"
    assert normalise_categories(listed) == ["math.NA", "cs.CL"]
    assert normalise_categories(["cs.SY", "eess.SY", "cs.LG"]) == ["eess.SY", "cs.LG"]
    assert same_category("cs.SY", "eess.SY")
    assert not same_category("cs.CL", "cs.CV")


@pytest.mark.parametrize("text", ["", "I.2.7", "methodologies", "cs", "nonsense.XX"])
def test_a_single_unknown_category_is_an_error(text: str) -> None:
    with pytest.raises(InvalidCategoryError):
        normalise_category(text)


def test_latex_accents_become_unicode_but_maths_stays() -> None:
    assert latex_to_unicode(r"Bal\'azs, G\"odel, Erd\H{o}s, {\o}stergaard, \c{c}a") == (
        "Balázs, Gödel, Erdős, {ø}stergaard, ça"
    )
    assert latex_to_unicode(r"an $\"x$ term by M\"uller") == r"an $\"x$ term by Müller"
    assert (
        clean_title("{BERT}:  Pre-training\n  of Deep Models")
        == "BERT: Pre-training of Deep Models"
    )


def test_normalised_titles_match_across_spelling_differences() -> None:
    assert normalise_title("{BERT}: Pre-Training of Deep Models.") == normalise_title(
        "BERT - pre-training of deep models"
    )
    assert normalise_title("Über Alles") == normalise_title("uber alles")


def test_arxiv_author_strings_split_in_order_without_affiliations() -> None:
    text = r"A. One (1), B. Tw\'o (2 and 3), and C. Three ((1) MIT, (2) CMU)"
    assert split_authors(text) == ["A. One", "B. Twó", "C. Three"]
    assert split_authors("Ileana Streinu and Louis Theran") == ["Ileana Streinu", "Louis Theran"]
    assert split_authors("") == []


def test_parsed_and_bibtex_author_forms_give_forename_surname() -> None:
    assert names_from_parsed([["Bal\u00e1zs", "C.", ""], ["King", "Martin L.", "Jr"]]) == [
        "C. Balázs",
        "Martin L. King Jr",
    ]
    assert bibtex_authors(r"M{\"u}ller, Hans and Jane Doe and King, Jr, Martin and others") == [
        "Hans Müller",
        "Jane Doe",
        "Martin King Jr",
    ]
