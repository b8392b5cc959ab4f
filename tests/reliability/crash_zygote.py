"""Runs `likewise` commands for the crash tests: imports likewise once, then forks one child
per request that runs the CLI's `main` as `likewise ARGS` would, and SIGKILLs it on request.

Each request is a JSON line on stdin (argv, env, cwd, output file, kill_after seconds or
null, optional ingest batch size and embed chunk); each answer a JSON line on stdout. The
child is the zygote's own, unreaped until it ends, so its pid cannot be reused by another
process before the kill: nothing else can be hit. Forking skips the 2-5 s of imports that a
fresh interpreter spends on every run (scipy, onnxruntime...), which would otherwise decide
how many kill points CI can afford.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

import likewise.services.vectors as vectors
from likewise.cli.main import main
from likewise.services.catalog import CatalogService


def _child(request: dict[str, Any]) -> None:
    """Become `likewise ARGS` with the request's environment; never returns."""
    code = 1
    try:
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        if request.get("ingest_batch_size"):
            # Smaller batches give a small CI file as many commit points as a large one.
            defaults = CatalogService.ingest.__kwdefaults__
            assert defaults is not None
            defaults["batch_size"] = int(request["ingest_batch_size"])
        if request.get("embed_chunk"):
            vectors.EMBED_CHUNK = int(request["embed_chunk"])
        code = main(request["argv"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve(request: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request)
    kill_after = request.get("kill_after")
    killed = False
    if kill_after is not None:
        watch = os.pidfd_open(pid)
        try:
            ready, _, _ = select.select([watch], [], [], max(float(kill_after), 0.0))
            if not ready:  # still running (and unreaped): this pid is our child
                os.kill(pid, signal.SIGKILL)
                killed = True
        finally:
            os.close(watch)
    _, status = os.waitpid(pid, 0)
    return {
        "pid": pid,
        "code": os.waitstatus_to_exitcode(status),
        "killed": killed,
        "seconds": time.monotonic() - started,
    }


def serve_forever() -> None:
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_serve(json.loads(line))), flush=True)


if __name__ == "__main__":
    serve_forever()
