"""SIGINT, SIGTERM and SIGHUP unwind a run the same way, whatever the harness inherited.

A non-interactive shell starts background jobs with SIGINT ignored, and Python keeps that:
Ctrl-C or `kill -INT` would never reach a CI step's harness. So the harness installs its own
handlers. The first signal raises `Interrupted` (a KeyboardInterrupt) in the main thread, so
every `finally` runs: faults reverted, load stopped, stack down, evidence kept (exit 130).
Later signals during teardown are noted and ignored; a watchdog ends the process if teardown
takes longer than its bound (children die with it: harness.proc's parent-death signal).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

__all__ = ["HANDLED", "TEARDOWN_BOUND_S", "Interrupted", "unwind_on_signals"]

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TEARDOWN_BOUND_S = 90.0
EXIT_INTERRUPTED = 130

_active = threading.Event()


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop by a signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def _say(text: str) -> None:
    with suppress(OSError, ValueError):
        os.write(sys.stderr.fileno(), f"harness: {text}\n".encode())


def _watchdog(bound_s: float, done: threading.Event) -> None:
    if not done.wait(bound_s):
        _say(f"teardown still running after {bound_s:g}s: exiting now")
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def unwind_on_signals(bound_s: float = TEARDOWN_BOUND_S) -> Iterator[None]:
    """Handle HANDLED signals in this block (main thread only; nested use is a no-op)."""
    if _active.is_set() or threading.current_thread() is not threading.main_thread():
        yield
        return
    first: list[int] = []
    done = threading.Event()
    deadline: list[float] = []

    def handler(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if not first:
            first.append(signum)
            deadline.append(time.monotonic() + bound_s)
            threading.Thread(target=_watchdog, args=(bound_s, done), daemon=True,
                             name="teardown-watchdog").start()
            _say(f"{name}: stopping (faults reverted, load stopped, stack down)")
            raise Interrupted(signum)
        left = max(0.0, deadline[0] - time.monotonic())
        _say(f"{name} again during teardown: noted; teardown goes on (at most {left:.0f}s)")

    previous = {sig: signal.signal(sig, handler) for sig in HANDLED}
    _active.set()
    try:
        yield
    finally:
        done.set()
        _active.clear()
        for sig, old in previous.items():
            signal.signal(sig, old)
