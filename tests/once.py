"""A costly result computed once per test session, however many xdist workers ask for it.

With `--dist worksteal` the tests of one module can land on several workers, and each worker
would compute a module fixture again (the release gate's A/B runs took 35 s a time). The first
worker to ask computes it under a file lock in the session's shared temporary directory; the
others wait for the lock and read the result.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.atomic import write_atomic


def once_per_session(factory: pytest.TempPathFactory, worker_id: str, name: str,
                     compute: Callable[[Path], Any]) -> Any:
    """`compute(work_dir)` -> a JSON-able result, run at most once per session."""
    if worker_id == "master":  # no xdist: nothing to share
        return compute(factory.mktemp(name))
    shared = factory.getbasetemp().parent / f"once-{name}"  # the session's, not the worker's
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "result.json"
        if done.exists():
            return json.loads(done.read_text(encoding="utf-8"))
        work = shared / "work"
        shutil.rmtree(work, ignore_errors=True)  # a failed attempt of another worker
        work.mkdir()
        result = compute(work)
        write_atomic(done, json.dumps(result))
        return result
