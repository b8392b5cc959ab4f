"""Coverage-guided fuzzing (atheris) of the parsers: ids, search text, TeX, XML pages, BibTeX.

A bounded run per target; any exception other than the parser's own named error is a crash
(atheris prints the input and exits non-zero). Not part of CI; the Hypothesis tests in
tests/ingest/test_fuzz_*.py, tests/web/test_texmath_fuzz.py and tests/rank/ are. Run from the
repository root (``pip install atheris`` first):

    nice -n 19 python bench/fuzz_parsers.py --target all --runs 20000
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from collections.abc import Callable

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["likewise", "bibtexparser"]):
    from bibtexparser.entrypoint import parse_string

    from likewise.ingest.announcements import parse_feed
    from likewise.ingest.arxiv_api import parse_api_page
    from likewise.ingest.base import IngestError, RecordError
    from likewise.ingest.bibtex import paper_from_entry
    from likewise.ingest.ids import InvalidArxivIdError, find_arxiv_id, parse_arxiv_id
    from likewise.ingest.oai_pmh import OaiPage
    from likewise.rank.query import QueryError, arxiv_id_in, validate_query
    from likewise.web.texmath import render_tex, strip_tex

_SEED_PREFIXES = {
    "feed": b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">',
    "api": b'<feed xmlns="http://www.w3.org/2005/Atom">',
    "oai": b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>',
}


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))  # type: ignore[no-any-return]


def fuzz_ids(data: bytes) -> None:
    text = _text(data)
    with contextlib.suppress(InvalidArxivIdError):
        parse_arxiv_id(text)
    find_arxiv_id(text)


def fuzz_query(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicode(len(data))
    with contextlib.suppress(QueryError):
        validate_query(text)
    arxiv_id_in(text)


def fuzz_texmath(data: bytes) -> None:
    text = _text(data)
    render_tex(text)
    strip_tex(text)


def _xml(kind: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        # Half the inputs start as the right document, so the fuzzer gets past the root check.
        content = _SEED_PREFIXES[kind] + data[1:] if data[:1] == b"\x00" else data
        try:
            if kind == "feed":
                parse_feed(content, "https://fuzz")
            elif kind == "api":
                parse_api_page(content, "https://fuzz")
            else:
                OaiPage(content, "https://fuzz", "arXivRaw")
        except IngestError as error:
            assert str(error).startswith("https://fuzz")

    return target


def fuzz_bibtex(data: bytes) -> None:
    library = parse_string(_text(data))
    for entry in library.entries:
        with contextlib.suppress(RecordError):
            paper_from_entry(entry)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "ids": fuzz_ids,
    "query": fuzz_query,
    "texmath": fuzz_texmath,
    "feed": _xml("feed"),
    "api": _xml("api"),
    "oai": _xml("oai"),
    "bibtex": fuzz_bibtex,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument("--runs", type=int, default=20_000, help="inputs per target")
    parser.add_argument("--max-len", type=int, default=2048, help="longest input in bytes")
    arguments = parser.parse_args()
    if arguments.target == "all":
        # One process per target: atheris.Fuzz never returns.
        failed = []
        for name in TARGETS:
            command = [sys.executable, __file__, "--target", name, "--runs", str(arguments.runs)]
            command += ["--max-len", str(arguments.max_len)]
            code = subprocess.call(command)
            print(f"{name}: {arguments.runs} runs, {'crash' if code else 'no crash'}", flush=True)
            if code:
                failed.append(name)
        return 1 if failed else 0
    flags = [sys.argv[0], f"-runs={arguments.runs}", f"-max_len={arguments.max_len}"]
    atheris.Setup(flags, TARGETS[arguments.target])
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
