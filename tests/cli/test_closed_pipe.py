"""`likewise show ID | head -2`: a reader that goes away ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings


def test_a_closed_stdout_ends_the_command_without_a_message(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=database_url, embedder="fake")
    with Library.open(settings) as library:
        library.store.upsert_papers(
            [Paper(arxiv_id="2501.00001", title="A title", abstract="Words. " * 2000)],
            source="test",
        )
    env = {
        **os.environ,
        "LIKEWISE_HOME": str(settings.home),
        "LIKEWISE_DATABASE_URL": database_url,
        "LIKEWISE_EMBEDDER": "fake",
    }
    command = [sys.executable, "-m", "likewise.cli.main", "show", "2501.00001"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader is gone before the first line is written, like `head`
    with child.stderr:
        errors = child.stderr.read().decode()
    code = child.wait(timeout=60)
    assert errors == ""
    assert code == 141
