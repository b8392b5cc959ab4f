"""Runs `likewise digest run` for the digest crash test: imports likewise once, then forks one
child per request that runs the CLI's `main` as the `likewise` command would, and SIGKILLs it
after the requested delay. A fresh interpreter spends seconds on imports (scipy...) per run,
which would decide how many kill points CI can afford.

Requests are JSON lines on stdin: {"argv", "env", "cwd", "output", "kill_after" (or null)};
each answer a JSON line on stdout: {"code", "seconds"}. The child is reaped only here, after
the kill, so its pid cannot be reused by another process before the signal.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from typing import Any

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


if __name__ == "__main__":
    for line in sys.stdin:
        print(json.dumps(_run(json.loads(line))), flush=True)
