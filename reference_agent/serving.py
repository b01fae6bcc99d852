"""uvicorn with the process contract the agent promises: SIGINT or SIGTERM is a clean exit 0."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn


class CleanExitServer(uvicorn.Server):
    """uvicorn re-raises the signal it stopped on once shutdown is done, so the process would
    die by SIGTERM; this server handles the signal and returns instead. Started off the main
    thread (an in-process server in a test) it leaves signal handling to the host."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
