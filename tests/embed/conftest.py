"""One folder for the built int8 graph, shared by every embedder test of the session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def embedder_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LIKEWISE_HOME whose models/ folder caches the graph built by the first test."""
    return tmp_path_factory.mktemp("embedder-home")
