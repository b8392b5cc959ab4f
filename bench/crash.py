"""Crash injection on the real daily file: SIGKILL `likewise` at seeded random moments of a
full-file ingest, `likewise embed`, `migrate-store` to PostgreSQL and the lexical publish,
rerun the same command after each kill, check everything, and print one table per scenario.

The CI form (tests/reliability/test_crash_catalog.py) runs the same scenarios on slices.
Run from the repository root (a full-file run takes about an hour on two busy cores):

    nice -n 19 python bench/crash.py [--lines N] [--points 20] [--seed 16]
        [--scenario ingest embed migrate lexical] [--batch N] [--new N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from crash_harness import ScenarioReport, Zygote, home_env, write_slice
from crash_scenarios import (
    embed_scenario,
    ingest_scenario,
    lexical_scenario,
    migrate_scenario,
    run_kills,
)

DAILY = Path(__file__).resolve().parents[1].parent / "shared/data/arxiv-daily-cs/papers.jsonl.gz"
SCENARIOS = ("ingest", "embed", "migrate", "lexical")


def _postgres(folder: Path) -> tuple[Any, Callable[[], str]]:
    """A throwaway pgserver (PostgreSQL + pgvector) and a maker of empty databases on it."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="likewise-runtime-"))
    import pgserver
    from sqlalchemy.engine import make_url

    server = pgserver.get_server(folder, cleanup_mode="stop")
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    numbers = iter(range(1, 1_000_000))

    def new_database() -> str:
        name = f"likewise_crash_bench_{next(numbers)}"
        server.psql(f"CREATE DATABASE {name};")
        url = make_url(server.get_uri()).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    return server, new_database


def _prepared(zygote: Zygote, folder: Path, papers: Path, batch: int | None, embed: bool) -> Path:
    home = folder / "home"
    env = home_env(home)
    run = zygote.run(["ingest", "file", str(papers)], env, ingest_batch_size=batch)
    if run.code != 0:
        raise SystemExit(f"preparing {folder.name} failed: {run.output[-2000:]}")
    if embed and zygote.run(["embed"], env).code != 0:
        raise SystemExit(f"embedding for {folder.name} failed")
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DAILY)
    parser.add_argument("--lines", type=int, default=None, help="first N lines (default all)")
    parser.add_argument("--points", type=int, default=20, help="kills per scenario")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--batch", type=int, default=None, help="ingest batch size override")
    parser.add_argument("--new", type=int, default=200, help="new papers of the lexical run")
    parser.add_argument("--work", type=Path, default=None, help="folder for the catalogs")
    arguments = parser.parse_args()
    base = Path(arguments.work or tempfile.mkdtemp(prefix="likewise-crash-"))
    base.mkdir(parents=True, exist_ok=True)
    lines = arguments.lines if arguments.lines is not None else 10**9
    papers = write_slice(arguments.path, base / "papers.jsonl", 0, lines)
    count = sum(1 for _ in papers.open())
    print(f"{count:,} papers from {arguments.path}, {arguments.points} kills per scenario")
    zygote = Zygote(base)
    server: Any = None
    reports: list[ScenarioReport] = []
    batch = arguments.batch
    options = {"ingest_batch_size": batch} if batch else {}
    try:
        for name in arguments.scenario:
            started = time.perf_counter()
            folder = base / name
            if name == "ingest":
                begin = ingest_scenario(papers)
                title = f"ingest file ({count:,} papers)"
                scenario_options: dict[str, Any] = options
            elif name == "embed":
                prepared = _prepared(zygote, folder / "prepared", papers, batch, embed=False)
                begin, scenario_options = embed_scenario(prepared, 20_000), {}
                title = f"embed ({count:,} papers, fake embedder)"
            elif name == "migrate":
                prepared = _prepared(zygote, folder / "prepared", papers, batch, embed=True)
                server, new_database = _postgres(base / "postgres")
                begin, scenario_options = migrate_scenario(prepared, new_database), {}
                title = f"migrate-store SQLite -> PostgreSQL ({count:,} papers with vectors)"
            else:
                first = write_slice(papers, base / "first.jsonl", 0, count - arguments.new)
                new = write_slice(papers, base / "new.jsonl", count - arguments.new, arguments.new)
                prepared = _prepared(zygote, folder / "prepared", first, batch, embed=False)
                begin = lexical_scenario(prepared, new, arguments.new)
                scenario_options = {}
                title = f"lexical publish ({arguments.new} new papers into {count:,})"
            report = run_kills(
                zygote,
                title,
                begin,
                folder,
                points=arguments.points,
                seed=arguments.seed,
                options=scenario_options,
            )
            reports.append(report)
            print(f"\n{report.table()}\n({time.perf_counter() - started:.0f} s)", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        zygote.close()
        if server is not None:
            server.cleanup()
        if arguments.work is None:
            shutil.rmtree(base, ignore_errors=True)
    print("\nscenario                                        kills  with problems")
    for report in reports:
        print(f"{report.name[:46]:46}  {report.kills:>5}  {len(report.failures):>13}")
    if any(report.failures for report in reports):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
