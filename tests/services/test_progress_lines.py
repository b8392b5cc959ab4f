"""The embedding progress report when stderr is not a terminal: plain lines, throttled."""

from __future__ import annotations

import io

from likewise.services.progress import LINE_EVERY_SECONDS, ProgressBar


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_every_half_minute_with_rate_and_time_left() -> None:
    stream, clock = io.StringIO(), _Clock()
    bar = ProgressBar(True, 3000, stream=stream, clock=clock)
    clock.now += 10
    bar.advance(100)
    assert stream.getvalue() == ""  # within the interval: nothing yet
    clock.now += LINE_EVERY_SECONDS
    bar.advance(1100)  # 1,200 papers in 40 s: 30 papers/s, 1,800 left = 60 s
    assert (
        stream.getvalue() == "embedding: 1,200 of 3,000 papers, 30.0 papers/s, about 1 min left\n"
    )
    clock.now += 5
    bar.advance(300)
    assert stream.getvalue().count("\n") == 1
    bar.close()
    assert stream.getvalue().splitlines()[-1] == (
        "embedding: 1,500 of 3,000 papers, 33.3 papers/s, done in 45 s"
    )


def test_a_disabled_report_writes_nothing() -> None:
    stream, clock = io.StringIO(), _Clock()
    bar = ProgressBar(False, 10, stream=stream, clock=clock)
    clock.now += 100
    bar.advance(10)
    bar.close()
    assert stream.getvalue() == ""
