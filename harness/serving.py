"""uvicorn as the harness's servers need it: a clean stop on SIGINT/SIGTERM is exit status 0."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn


class ExitZeroServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful shutdown, so the process would die by the
    signal; our contract (docs/contracts.md) wants exit status 0 after a clean stop. Off the
    main thread (in-process servers in tests) it installs no handlers at all."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
