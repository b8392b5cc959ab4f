"""Sentence splitting of abstracts: spans, abbreviations, notation, lists."""

from __future__ import annotations

import pytest

from likewise.ingest.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_plain_sentences_split_at_final_punctuation() -> None:
    assert sentences("We propose a model. It works well! Does it scale? Yes.") == [
        "We propose a model.",
        "It works well!",
        "Does it scale?",
        "Yes.",
    ]


def test_spans_point_into_the_text_without_surrounding_whitespace() -> None:
    text = "  First one.   Second one.  "
    spans = split_sentences(text)
    assert spans == [(2, 12), (15, 26)]


def test_empty_and_blank_texts_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n ") == []


@pytest.mark.parametrize(
    "text",
    [
        "Models, e.g. BERT, are strong.",
        "Models, i.e. Transformers, are strong.",
        "Smith et al. Proposed this earlier.",
        "As shown in Fig. 2 the loss drops.",
        "See Eq. 3 and Sec. 4 for details.",
        "Accuracy rises from 0.5 to 0.75 overall.",
        "Ours vs. Theirs is the comparison.",
        "J. Smith and K. Lee wrote it.",
        "It is item No. 5 of the list.",
    ],
)
def test_abbreviations_decimals_and_initials_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_a_word_that_is_also_an_abbreviation_ends_a_sentence_before_a_word() -> None:
    assert sentences("The answer is no. We explain why.") == [
        "The answer is no.",
        "We explain why.",
    ]


def test_latex_math_never_splits() -> None:
    text = "Let $x. Y$ be a set. Then $$a.b. C$$ holds."
    assert sentences(text) == ["Let $x. Y$ be a set.", "Then $$a.b. C$$ holds."]


def test_urls_keep_their_dots_and_a_final_period_ends_the_sentence() -> None:
    text = "Code is at https://github.com/a/b.c. Data at www.x.org. We win."
    assert sentences(text) == [
        "Code is at https://github.com/a/b.c.",
        "Data at www.x.org.",
        "We win.",
    ]


def test_bullets_start_new_sentences_without_their_marker() -> None:
    assert sentences("We offer: • a model • a dataset.") == ["We offer:", "a model", "a dataset."]


def test_dash_items_after_a_colon_are_sentences_up_to_the_list_end() -> None:
    text = "Our contributions: - a new model - a dataset. Results follow - with a dash."
    assert sentences(text) == [
        "Our contributions:",
        "a new model",
        "a dataset.",
        "Results follow - with a dash.",
    ]


def test_line_broken_items_are_sentences() -> None:
    assert sentences("We study\n- item a\n- item b") == ["We study", "item a", "item b"]


def test_numbered_items_keep_their_number() -> None:
    text = "We do two things. 1. We propose X. 2. We show Y."
    assert sentences(text) == ["We do two things.", "1. We propose X.", "2. We show Y."]


def test_quotes_and_brackets_after_the_period_stay_with_the_sentence() -> None:
    assert sentences('It is "done." Then (we stop.) Next.') == [
        'It is "done."',
        "Then (we stop.)",
        "Next.",
    ]


def test_a_missing_space_between_sentences_still_splits() -> None:
    assert sentences("The loss drops.Our model wins.") == ["The loss drops.", "Our model wins."]


def test_lower_case_after_a_period_continues_the_sentence() -> None:
    text = "We use approx. three layers and the U.S. data."
    assert sentences(text) == [text]
