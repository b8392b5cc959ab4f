"""TeX-to-MathML on the real `$...$` spans of the arXiv sample: the hand-written renderer this
project used until commit 3ad27d6, bare latex2mathml, and web/texmath.py (latex2mathml behind
the sanitiser). Prints spans rendered / left raw / unsafe for each, and time per span as a
ratio against the hand-written one, all measured in this process.

"left raw": the span is shown as its source, or some of its MathML text is a TeX command
(a backslash and a character: `\\weird`, `\\%`, `\\!`). "unsafe": output that is not
well-formed XML, or has an element or attribute outside web/texmath.py's whitelist (`href`,
`style`, `mathcolor`, `<img>`...).
The old renderer is read with `git show 3ad27d6:...` at run time, so run this from a git
checkout of the project (its code is not in the package any more):

    nice -n 10 python bench/texmath.py [--repeat 3] [--papers N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import ParseError, fromstring

from latex2mathml.converter import convert

from likewise.web import texmath

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
OLD_COMMIT = "3ad27d6"
_COMMAND_SHOWN = re.compile(r"\\\S")  # a lone backslash is `\backslash` rendered

Renderer = Callable[[str, bool], str]


def old_renderer() -> Renderer:
    """The hand-written renderer as it was at OLD_COMMIT, loaded from git into a scratch module."""

    def source(name: str) -> str:
        path = f"{OLD_COMMIT}:src/likewise/web/{name}.py"
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", path], check=True, capture_output=True, text=True
        ).stdout

    symbols = types.ModuleType("old_texmath_symbols")
    exec(compile(source("texmath_symbols"), "old_texmath_symbols", "exec"), symbols.__dict__)
    module = types.ModuleType("old_texmath")
    module.__dict__["symbols"] = symbols
    code = source("texmath").replace("from likewise.web import texmath_symbols as symbols", "")
    exec(compile(code, "old_texmath", "exec"), module.__dict__)
    render: Callable[[str, bool], object] = module.tex_to_mathml
    return lambda tex, display: str(render(tex, display))


def bare_latex2mathml(tex: str, display: bool) -> str:
    try:
        return convert(tex, display="block" if display else "inline")
    except Exception:  # what a caller without a wrapper would do: show the source
        return tex


def wrapped(tex: str, display: bool) -> str:
    return str(texmath.tex_to_mathml.__wrapped__(tex, display))  # uncached: time the work


def verdict(output: str) -> str:
    if not output.startswith("<math"):
        return "raw"
    try:
        root = fromstring(output)
    except ParseError:
        return "unsafe"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        # The old renderer's `class` came from its own table of font classes, never the input.
        allowed = texmath.ATTRIBUTES | {"class"}
        if tag not in texmath.ELEMENTS or not set(element.attrib) <= allowed:
            return "unsafe"
    if any(_COMMAND_SHOWN.search(element.text or "") for element in root.iter()):
        return "raw"
    return "rendered"


def spans(limit: int | None) -> list[tuple[str, bool]]:
    found = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                break
            paper = json.loads(line)
            for field in ("title", "abstract"):
                for _, _, tex, display in texmath.math_spans(paper.get(field) or ""):
                    found.append((tex, display))
    return found


def seconds_per_span(render: Renderer, work: list[tuple[str, bool]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for tex, display in work:
            render(tex, display)
        best = min(best, time.perf_counter() - start)
    return best / len(work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the best counts")
    parser.add_argument("--papers", type=int, default=None, help="only the first N papers")
    args = parser.parse_args()
    work = spans(args.papers)
    renderers = {
        f"hand-written ({OLD_COMMIT})": old_renderer(),
        "latex2mathml, bare": bare_latex2mathml,
        "web/texmath.py (wrapped)": wrapped,
    }
    print(f"{len(work)} math spans from {CORPUS.name} ({args.papers or 'all'} papers)")
    columns = ("rendered", "left raw", "unsafe", "us/span", "ratio")
    print(f"{'renderer':28} " + " ".join(f"{column:>9}" for column in columns))
    baseline = None
    for name, render in renderers.items():
        counts = {"rendered": 0, "raw": 0, "unsafe": 0}
        for tex, display in work:
            counts[verdict(render(tex, display))] += 1
        per_span = seconds_per_span(render, work, args.repeat)
        baseline = baseline or per_span
        print(
            f"{name:28} {counts['rendered']:9d} {counts['raw']:9d} {counts['unsafe']:9d} "
            f"{per_span * 1e6:9.1f} {per_span / baseline:8.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
