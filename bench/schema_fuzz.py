"""The long run of tests/web/test_schema_fuzz.py: schemathesis over /openapi.json.

Builds the app in-process (ASGI) over a slice of ../shared/data/arxiv-daily-cs (fake
embedder, temporary SQLite), signs a visitor up, and sends every operation of the published
schema --examples valid and as many invalid generated requests with the session's CSRF token.
Prints, per operation, the cases sent and the distinct failures (5xx, undocumented status or
media type, body not matching the schema, valid input refused, invalid input accepted).

    nice -n 19 python bench/schema_fuzz.py [--examples 200] [--papers 500] [--seed 16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "web")]

from attack_helpers import SchemaFuzz, operation_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="valid cases per operation")
    parser.add_argument("--papers", type=int, default=500, help="catalog slice size")
    parser.add_argument("--seed", type=int, default=16)
    arguments = parser.parse_args()
    started = time.perf_counter()
    total = failed = 0
    with (
        tempfile.TemporaryDirectory(prefix="likewise-schema-fuzz-") as folder,
        SchemaFuzz.over_slice(Path(folder), arguments.papers) as fuzz,
    ):
        labels = operation_labels()
        print(f"{len(labels)} operations, up to {2 * arguments.examples} cases each\n")
        for label in labels:
            tried, failures = fuzz.run(label, arguments.examples, arguments.seed)
            total += tried
            failed += len(failures)
            print(f"{label:55} {tried:6d} cases  {len(failures)} failures")
            for failure in failures:
                print("    " + failure.replace("\n", "\n    ")[:2000])
    minutes = (time.perf_counter() - started) / 60
    print(
        f"\n{total:,} cases over {len(labels)} operations, {failed} distinct failures, "
        f"{minutes:.1f} min"
    )
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
