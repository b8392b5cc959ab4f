"""The short form of bench/load.py: `likewise serve --workers 2` (a real subprocess) on the
backend under test, readers and writers at once for a few seconds, then the stored votes,
saves and subscribers compared with what the writers' acknowledged requests left.

The full form (50 readers, 10 writers, 60 s, both backends) is `python bench/load.py`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow
SECONDS = 8.0
PAPERS = 300


def _bench_load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_load", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("ingesting", [False, True], ids=["plain", "while-ingesting"])
def test_readers_and_writers_at_once_lose_and_double_nothing(
    tmp_path: Path, database_url: str, ingesting: bool
) -> None:
    load = _bench_load()
    home = tmp_path / "home"
    catalog = load.prepare(home, database_url, PAPERS)
    during = load.write_slice(tmp_path / "during.jsonl", PAPERS, 200) if ingesting else None
    run = load.load_run(
        home, database_url, catalog, seconds=SECONDS, readers=12, writers=4, ingest=during
    )
    print(load.report(f"short load ({'while ingesting' if ingesting else 'plain'})", run))
    assert run.readers and run.writers and run.votes_sent > 0
    assert run.errors == []
    assert run.expected_votes, "some votes were acknowledged"
    assert (run.lost_votes, run.doubled_votes) == (0, 0)
    assert run.stored_votes == {key: n for key, n in run.expected_votes.items() if n}
    assert run.lost_saves == 0 and run.lost_subscribers == 0
    if ingesting:
        assert run.ingest["exit"] == 0, run.ingest["output"]
        assert run.ingest["papers"] == catalog["count"] + 200
