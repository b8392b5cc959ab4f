"""Crash injection for digest runs, the long form: SIGKILL a real `likewise digest run` that
mails N subscribers through aiosmtpd on loopback at K seeded random moments, rerun it after
each kill, and print the table (messages per recipient and Message-ID counted at the server).

The harness is tests/reliability/digest_crash.py (the CI test runs a reduced form of it).

    nice -n 10 python bench/crash_digest.py [--subscribers 500] [--kills 50] [--seed 16]
        [--database-url postgresql+psycopg://...]   (default: SQLite in a temporary folder)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from digest_crash import KillPoint, crash_digests, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    arguments = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="likewise-crash-digest-") as folder:
        home = Path(folder) / "home"
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'likewise.db'}"
        print(
            f"{arguments.subscribers} subscribers, {arguments.kills} kills, seed "
            f"{arguments.seed}, {url.split(':')[0]}",
            flush=True,
        )
        _, points = crash_digests(
            home,
            url,
            subscribers=arguments.subscribers,
            kills=arguments.kills,
            seed=arguments.seed,
            echo=True,
        )
    print(summary(points))
    print(f"total {time.monotonic() - started:.0f} s")
    bad = [p for p in points if p.duplicates or p.missing > p.unconfirmed or p.problems]
    return 1 if bad else 0


if __name__ == "__main__":
    KillPoint.header()  # the table's columns are documented there
    sys.exit(main())
