"""The store's feed for the in-process lexical index: indexed text by key, fingerprints that
change with the text, and a change token that moves with every commit (SQLite files)."""

from __future__ import annotations

from typing import Any

from catalog_helpers import make_paper

from likewise.store.indexed_text import text_fingerprint


def _stored(store: Any, count: int) -> dict[str, int]:
    ids = [f"2503.{number:05d}" for number in range(1, count + 1)]
    store.upsert_papers([make_paper(arxiv_id) for arxiv_id in ids], source="test")
    return store.paper_keys(ids)  # type: ignore[no-any-return]


def test_paper_texts_return_every_paper_or_the_chosen_ones_in_key_order(store: Any) -> None:
    keys = _stored(store, 5)
    everything = store.paper_texts()
    assert [text.key for text in everything] == sorted(keys.values())
    assert {text.arxiv_id for text in everything} == set(keys)
    chosen = [keys["2503.00004"], keys["2503.00002"]]
    picked = store.paper_texts(chosen)
    assert [text.arxiv_id for text in picked] == ["2503.00002", "2503.00004"]
    assert picked[0].title == "A study numbered 2503.00002"
    assert "Ada Lovelace" in picked[0].authors
    assert store.paper_texts([]) == []


def test_only_papers_above_a_key_are_returned_when_asked(store: Any) -> None:
    keys = _stored(store, 4)
    third = keys["2503.00003"]
    above = store.paper_texts(after_key=third)
    assert [text.arxiv_id for text in above] == ["2503.00004"]
    found, fingerprints = store.paper_text_fingerprints(after_key=third)
    assert found.tolist() == [keys["2503.00004"]]
    assert fingerprints.tolist() == [above[0].fingerprint]


def test_fingerprints_change_with_the_abstract_and_the_authors_only(store: Any) -> None:
    _stored(store, 3)
    keys_before, before = store.paper_text_fingerprints()
    store.upsert_papers(
        [
            make_paper("2503.00001", abstract="A new abstract.", latest_version=2),
            make_paper("2503.00002", authors=["Grace Hopper"], latest_version=2),
        ],
        source="test",
    )
    keys_after, after = store.paper_text_fingerprints()
    assert keys_after.tolist() == keys_before.tolist()
    assert [old != new for old, new in zip(before, after, strict=True)] == [True, True, False]
    texts = {text.key: text.fingerprint for text in store.paper_texts()}
    assert [texts[key] for key in keys_after.tolist()] == after.tolist()


def test_a_fingerprint_joins_the_content_hash_and_the_authors() -> None:
    base = text_fingerprint("0123abcd" + "0" * 56, "Ada")
    assert base >> 32 == 0x0123ABCD
    assert text_fingerprint("0123abcd" + "f" * 56, "Ada") == base  # first 32 bits only
    assert text_fingerprint("0123abcd" + "0" * 56, "Alan") != base
    assert text_fingerprint("not hex", "Ada") != text_fingerprint("not hex either", "Ada")


def test_the_change_token_moves_with_each_commit_on_sqlite_and_is_unknown_elsewhere(
    store: Any,
) -> None:
    first = store.change_token()
    if store.dialect != "sqlite":
        assert first is None
        return
    _stored(store, 1)
    second = store.change_token()
    assert second is not None and second != first
    assert store.change_token() == second  # reading changes nothing
    store.upsert_papers([make_paper("2503.00009")], source="test")
    assert store.change_token() != second
