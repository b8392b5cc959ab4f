"""Crash anywhere, lose nothing, digest part: a real `likewise digest run` mailing through a
real SMTP server is SIGKILLed at 20 seeded random moments and rerun each time; every
subscriber must get each digest exactly once (counted at the server), the store intact.

The reduced form: fewer subscribers than bench/crash_digest.py (500, more kills).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from digest_crash import KillPoint, crash_digests, summary

SUBSCRIBERS = 100
KILLS = 20


@pytest.mark.slow
def test_a_digest_run_killed_anywhere_mails_everyone_exactly_once_after_a_rerun(
    tmp_path: Path, database_url: str
) -> None:
    _, points = crash_digests(
        tmp_path / "home", database_url, subscribers=SUBSCRIBERS, kills=KILLS, seed=16
    )
    print("\n" + "\n".join([KillPoint.header(), *(p.line() for p in points), summary(points)]))
    assert len(points) == KILLS
    assert [p.duplicates for p in points] == [0] * KILLS
    # The one loss a kill can cause -- between marking a message sent and the end of DATA --
    # is never silent: the rerun reports it as not confirmed.
    assert [p.missing - p.unconfirmed for p in points] == [0] * KILLS
    assert [p.problems for p in points] == [[]] * KILLS
    assert [p.after for p in points] == [SUBSCRIBERS - p.missing for p in points]
    # The kills landed mid-run, while composing and while sending (else this proves little).
    assert {"composing", "sending"} <= {p.phase for p in points}
