"""Time of a wrong-password sign-in for a known and for an unknown user name (median of N, in
ms, on a throwaway SQLite catalog), printed with their ratio: near 1.0 means the answer's
timing does not tell whether a name exists. Each try comes from its own address, so the
sign-in limits never cut in.

    nice -n 10 python bench/sign_in_timing.py [--tries 20]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from likewise.library import Library
from likewise.services.errors import SignInError
from likewise.settings import Settings


def _timed(library: Library, name: str, address: str) -> float:
    start = time.perf_counter()
    with contextlib.suppress(SignInError):
        library.accounts.sign_in(name, "not the password", address)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=20)
    tries = parser.parse_args().tries
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(home=Path(folder), embedder="fake")
        library = Library.open(settings)
        try:
            library.accounts.sign_up("known-user", "violet staple orbit")
            known, unknown = [], []
            for attempt in range(tries):
                known.append(_timed(library, "known-user", f"192.0.2.{attempt}"))
                unknown.append(_timed(library, "nobody-by-this-name", f"198.51.100.{attempt}"))
        finally:
            library.close()
    known_ms, unknown_ms = statistics.median(known), statistics.median(unknown)
    print(f"wrong password, known name:   {known_ms:7.1f} ms (median of {tries})")
    print(f"wrong password, unknown name: {unknown_ms:7.1f} ms (median of {tries})")
    print(f"unknown / known: {unknown_ms / known_ms:.2f}")


if __name__ == "__main__":
    main()
