"""Crash anywhere, lose nothing: real `likewise` runs SIGKILLed at 20 seeded moments each (a
full-file ingest, `embed`, `migrate-store` to PostgreSQL, the lexical publish after an
ingest), each followed by a rerun of the same command and every check against a clean run:
exact paper count and content, no orphan or duplicate rows, integrity_check, the index files
load and match the catalog, searches find their papers. Small slices of the real daily file
keep this within CI; bench/crash.py runs the full file."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crash_harness import ScenarioReport, Zygote, home_env, write_slice
from crash_scenarios import (
    embed_scenario,
    ingest_scenario,
    lexical_scenario,
    migrate_scenario,
    run_kills,
)

from likewise.cli.main import main
from likewise.index.inverted_files import load_index
from likewise.library import Library
from likewise.settings import Settings

POINTS = 20
SEED = 16
PAPERS = 400  # 20 commits of 20 papers
BATCH = 20
FEW = 100  # migrate-store is slower per paper (PostgreSQL inserts and the pgvector graph)
DAILY = "arxiv-daily-cs/papers.jsonl.gz"
_DATABASE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def crash_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash")


@pytest.fixture(scope="module")
def zygote(crash_folder: Path) -> Iterator[Zygote]:
    forks = Zygote(crash_folder)
    yield forks
    forks.close()


@pytest.fixture(scope="module")
def papers_file(shared_data: Path, crash_folder: Path) -> Path:
    return write_slice(shared_data / DAILY, crash_folder / "papers.jsonl", 0, PAPERS)


def database_maker(server: Any) -> Callable[[], str]:
    """New empty databases on the test server, as URLs."""
    from sqlalchemy.engine import make_url

    def new_database() -> str:
        name = f"likewise_crash_{os.getpid()}_{next(_DATABASE_NUMBERS)}"
        server.psql(f"CREATE DATABASE {name};")
        url = make_url(server.get_uri()).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    return new_database


def ingested_home(zygote: Zygote, folder: Path, papers: Path, *, embed: bool = False) -> Path:
    home = folder / "home"
    env = home_env(home)
    assert zygote.run(["ingest", "file", str(papers)], env, ingest_batch_size=BATCH).code == 0
    if embed:
        assert zygote.run(["embed"], env).code == 0
    return home


def assert_lost_nothing(report: ScenarioReport, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report.table()}")
    assert report.kills >= POINTS, f"only {report.kills} of the runs were killed"
    assert not report.failures, report.table()


@pytest.mark.slow
def test_killing_a_full_file_ingest_anywhere_loses_nothing(
    zygote: Zygote, papers_file: Path, crash_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_kills(
        zygote,
        f"ingest file ({PAPERS} papers, batches of {BATCH})",
        ingest_scenario(papers_file),
        crash_folder / "ingest",
        points=POINTS,
        seed=SEED,
        options={"ingest_batch_size": BATCH},
    )
    assert_lost_nothing(report, capsys)


@pytest.mark.slow
def test_killing_likewise_embed_anywhere_loses_nothing(
    zygote: Zygote, papers_file: Path, crash_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared = ingested_home(zygote, crash_folder / "embed-prepared", papers_file)
    # Half the papers cross the ANN threshold, so the usearch file is written, and killed.
    report = run_kills(
        zygote,
        f"embed ({PAPERS} papers, chunks of {BATCH}, usearch above {PAPERS // 2})",
        embed_scenario(prepared, ann_threshold=PAPERS // 2),
        crash_folder / "embed",
        points=POINTS,
        seed=SEED,
        options={"embed_chunk": BATCH},
    )
    assert_lost_nothing(report, capsys)


@pytest.mark.slow
def test_killing_migrate_store_anywhere_leaves_postgres_empty_or_complete(
    zygote: Zygote,
    crash_folder: Path,
    papers_file: Path,
    postgres_server: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    papers = write_slice(crash_folder / "papers.jsonl", crash_folder / "few.jsonl", 0, FEW)
    source = ingested_home(zygote, crash_folder / "migrate-source", papers, embed=True)
    report = run_kills(
        zygote,
        f"migrate-store SQLite -> PostgreSQL ({FEW} papers with vectors)",
        migrate_scenario(source, database_maker(postgres_server)),
        crash_folder / "migrate",
        points=POINTS,
        seed=SEED,
    )
    assert_lost_nothing(report, capsys)


@pytest.mark.slow
def test_killing_the_lexical_publish_after_an_ingest_is_repaired_by_the_rerun(
    zygote: Zygote, shared_data: Path, crash_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_slice(shared_data / DAILY, crash_folder / "first.jsonl", 0, PAPERS)
    new = write_slice(shared_data / DAILY, crash_folder / "new.jsonl", PAPERS, BATCH)
    prepared = ingested_home(zygote, crash_folder / "lexical-prepared", first)
    report = run_kills(
        zygote,
        f"lexical publish ({BATCH} new papers into {PAPERS})",
        lexical_scenario(prepared, new, BATCH),
        crash_folder / "lexical",
        points=POINTS,
        seed=SEED,
    )
    assert_lost_nothing(report, capsys)


_KILLED_BEFORE_PUBLISHING = """
import sys, time
from pathlib import Path
from likewise.cli.main import main
from likewise.services.lexical import LexicalIndexService

def update_lexical_index(self):
    Path(sys.argv[2]).write_text("stored every batch, about to publish")
    time.sleep(600)  # the test kills us here, between the last commit and the publish

LexicalIndexService.update_lexical_index = update_lexical_index
main(["ingest", "file", sys.argv[1]])
"""


def test_a_rerun_publishes_the_lexical_index_that_a_killed_ingest_left_unpublished(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = write_slice(shared_data / DAILY, tmp_path / "papers.jsonl", 0, 300)
    home = tmp_path / "home"
    signal_file = tmp_path / "signal"
    script = tmp_path / "killed_before_publishing.py"
    script.write_text(_KILLED_BEFORE_PUBLISHING)
    environment = dict(os.environ) | home_env(home)
    process = subprocess.Popen(
        [sys.executable, str(script), str(papers), str(signal_file)], env=environment
    )
    try:
        while not signal_file.exists():
            assert process.poll() is None, "the ingest ended before it could be killed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
    assert load_index(home) is None  # every paper stored, no index published
    for key, value in home_env(home).items():
        monkeypatch.setenv(key, value)
    assert main(["ingest", "file", str(papers)]) == 0  # nothing new to store
    opened = load_index(home)
    assert opened is not None, "the rerun did not publish the lexical index"
    with Library.open(Settings(home=home, embedder="fake")) as library:
        keys, fingerprints = library.store.paper_text_fingerprints()
    assert len(keys) == 300
    assert opened[0].differences(keys, fingerprints, complete=True) == ([], [])


def test_rerunning_migrate_store_after_a_kill_past_its_commit_verifies_the_copy(
    tmp_path: Path,
    shared_data: Path,
    postgres_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    papers = write_slice(shared_data / DAILY, tmp_path / "papers.jsonl", 0, 40)
    home = tmp_path / "home"
    for key, value in home_env(home).items():
        monkeypatch.setenv(key, value)
    assert main(["ingest", "file", str(papers)]) == 0
    target = database_maker(postgres_server)()
    assert main(["migrate-store", "--to", target]) == 0
    capsys.readouterr()
    # What a run killed after its commit leaves: the rerun verifies instead of refusing.
    assert main(["migrate-store", "--to", target]) == 0
    assert "by an earlier run; every table verified again" in capsys.readouterr().out
    # A target that holds anything else is still refused.
    more = write_slice(shared_data / DAILY, tmp_path / "more.jsonl", 40, 1)
    assert main(["ingest", "file", str(more)]) == 0
    with pytest.raises(SystemExit) as refused:
        main(["migrate-store", "--to", target])
    assert refused.value.code == 2
    assert "already holds" in capsys.readouterr().err


def test_a_publish_removes_the_half_written_segment_of_a_writer_killed_while_saving(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = write_slice(shared_data / DAILY, tmp_path / "papers.jsonl", 0, 50)
    more = write_slice(shared_data / DAILY, tmp_path / "more.jsonl", 50, 5)
    home = tmp_path / "home"
    for key, value in home_env(home).items():
        monkeypatch.setenv(key, value)
    assert main(["ingest", "file", str(papers)]) == 0
    # What a kill in the middle of writing a segment leaves behind.
    half_written = home / "lexical" / ".writing-killed"
    half_written.mkdir()
    (half_written / "rows.npy").write_bytes(b"\x93NUMPY")
    assert main(["ingest", "file", str(more)]) == 0
    assert not half_written.exists()
    assert load_index(home) is not None
