"""Runs `likewise digest run` for the digest crash test: imports likewise once, then forks one
child per request that runs the CLI's `main` as the `likewise` command would, and SIGKILLs it
after the requested delay. A fresh interpreter spends seconds on imports (scipy...) per run,
which would decide how many kill points CI can afford.

Requests are JSON lines on stdin: {"argv", "env", "cwd", "output", "kill_after" (or null)};
each answer a JSON line on stdout: {"code", "seconds"}. The child is reaped only here, after
the kill, so its pid cannot be reused by another process before the signal. `Zygote` is the
test's side: it starts this file and sends it requests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import likewise
from likewise.cli.main import main

POLL = 0.001


def _child(request: dict[str, Any]) -> None:
    """Become `likewise ARGV` with the request's environment and folder; never returns."""
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        code = main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run(request: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request)
    kill_after = request["kill_after"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if kill_after is not None and time.monotonic() - started >= kill_after:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(POLL)
    return {"code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - started}


class Zygote:
    """digest_zygote.py as a subprocess: one `likewise` run per request, forked preloaded."""

    def __init__(self) -> None:
        source = str(Path(likewise.__file__).resolve().parents[1])
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]),
            },
        )

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the zygote ended ({self.process.wait()})")
        found: dict[str, Any] = json.loads(answer)
        return found

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def zygote() -> Iterator[Zygote]:
    started = Zygote()
    try:
        yield started
    finally:
        started.close()


if __name__ == "__main__":
    for line in sys.stdin:
        print(json.dumps(_run(json.loads(line))), flush=True)
