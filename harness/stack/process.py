"""One supervised child process: spawn, wait for its `listening on` line, health-check, stop.

Every child runs in its own process group (so a stop reaches its children too) and gets
SIGKILL from the kernel if the harness dies (PR_SET_PDEATHSIG), so no orphan outlives us.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from harness.errors import StackError

_LISTENING = re.compile(r"listening on (http://\S+)")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGKILL this child when its parent thread exits."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass  # not Linux: process-group teardown still applies


class ManagedProcess:
    """A child server process whose stdout+stderr go to `log_path`.

    `start()` returns once the child printed `listening on URL` and `health` answers 200.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        health: str | None = None,
        url: str | None = None,
        start_timeout_s: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.health = health
        self.url = url  # known in advance when the port is fixed (e.g. restarts)
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._tail: deque[str] = deque(maxlen=40)
        self._url_seen = threading.Event()
        self._reader: threading.Thread | None = None
        self.expected_exit = False
        self._spawned_at = 0.0

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Spawn the child and wait until it is healthy; returns its base URL."""
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """Fork the child (call this on a long-lived thread: see PR_SET_PDEATHSIG)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._url_seen.clear()
        self.expected_exit = False
        env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            raise StackError(self.name, f"cannot start {self.argv[0]!r}: {exc}") from exc
        self._reader = threading.Thread(target=self._pump, name=f"log-{self.name}", daemon=True)
        self._reader.start()
        self._spawned_at = time.monotonic()

    def wait_ready(self) -> str:
        """Wait for the `listening on` line and a healthy answer; returns the base URL."""
        deadline = self._spawned_at + self.start_timeout_s
        self._wait_for_url(deadline)
        self._wait_healthy(deadline)
        assert self.url is not None
        return self.url

    def _pump(self) -> None:
        """Copy the child's output to its log, remembering the tail and the listening line."""
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            for raw in self.proc.stdout:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                self._tail.append(line)
                if not self._url_seen.is_set():
                    match = _LISTENING.search(line)
                    if match:
                        self.url = match.group(1)
                        self._url_seen.set()

    def _wait_for_url(self, deadline: float) -> None:
        while not self._url_seen.wait(0.05):
            self._check_alive("exited before it was listening")
            if time.monotonic() > deadline:
                self.stop()
                raise StackError(
                    self.name, f"no 'listening on' line within {self.start_timeout_s:.0f}s",
                    self.log_tail(),
                )

    def _wait_healthy(self, deadline: float) -> None:
        if not self.health:
            return
        url = f"{self.url}{self.health}"
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                self._check_alive("exited during its health check")
                try:
                    response = client.get(url)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                time.sleep(0.05)
        self.stop()
        raise StackError(self.name, f"{url} not healthy ({last})", self.log_tail())

    def _check_alive(self, what: str) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            if self._reader is not None:
                self._reader.join(timeout=1.0)
            raise StackError(
                self.name, f"{what} (exit code {self.proc.returncode})", self.log_tail()
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(list(self._tail)[-lines:])

    # -- faults -------------------------------------------------------------------------------

    def signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group, as a crash would (the supervisor restarts it)."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def freeze(self) -> None:
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    # -- teardown -----------------------------------------------------------------------------

    def terminate(self) -> None:
        """Ask the child to exit (SIGTERM to its group) without waiting; see `stop`."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        self.expected_exit = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGCONT)  # a frozen child cannot act on SIGTERM
            os.killpg(proc.pid, signal.SIGTERM)

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM the group, then SIGKILL after `grace_s`; always reaps. Idempotent."""
        proc = self.proc
        if proc is None:
            return
        self.expected_exit = True
        if proc.poll() is None:
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace_s)
        # Whatever is left in the group (the child or its own children) is killed.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2.0)
