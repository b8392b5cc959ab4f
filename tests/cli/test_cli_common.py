"""What the CLI areas share: expected failures as one line and exit code 2, limits >= 1."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy.exc import OperationalError

from likewise.cli.common import Handler, guarded, positive_int


def _failing_with(error: Exception) -> Handler:
    def handler(arguments: argparse.Namespace) -> int:
        raise error

    return handler


def test_an_expected_failure_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = guarded(_failing_with(ValueError("no such file: x.jsonl")), (ValueError,))
    with pytest.raises(SystemExit) as stopped:
        run(argparse.Namespace())
    assert stopped.value.code == 2
    assert capsys.readouterr().err == "likewise: error: no such file: x.jsonl\n"


def test_a_database_failure_shows_the_drivers_first_line_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    driver = RuntimeError("database is locked\nmore detail")
    error = OperationalError("INSERT INTO papers ...", {}, driver)
    run = guarded(_failing_with(error), (ValueError, OperationalError))
    with pytest.raises(SystemExit):
        run(argparse.Namespace())
    assert capsys.readouterr().err == "likewise: error: database error: database is locked\n"


def test_an_unexpected_failure_is_not_hidden() -> None:
    run = guarded(_failing_with(KeyError("bug")), (ValueError,))
    with pytest.raises(KeyError):
        run(argparse.Namespace())


def test_a_limit_must_be_a_whole_number_of_at_least_one() -> None:
    assert positive_int("3") == 3
    for text in ("0", "-1", "two", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(text)
