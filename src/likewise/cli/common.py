"""What every CLI command shares: settings from the environment and an open Library."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from likewise.library import Library
from likewise.settings import Settings, SettingsError, load_settings


def settings_from(arguments: argparse.Namespace) -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))
        raise  # unreachable: fail() exits


def open_library(arguments: argparse.Namespace) -> Library:
    return Library.open(settings_from(arguments))


def fail(message: str, code: int = 2) -> None:
    """Print a clear error (no stack trace) and exit non-zero."""
    print(f"likewise: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))
