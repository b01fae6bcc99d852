"""One supervised child process: spawn, wait until it is ready, health-check, stop.

Ready means: the child announced its URL with a `listening on URL` line (the harness's own
servers, started on port 0), or, when the URL is known up front (an agent on the port the
harness chose, Prometheus), its health path answers 200, and an optional `ready` regex has
appeared in its output. Children are forked by harness.proc (own process group, parent-death
signal), so no orphan outlives the harness.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from harness import proc as procs
from harness.errors import StackError

_LISTENING = re.compile(r"listening on (http://\S+)")


class ManagedProcess:
    """A child server process whose stdout+stderr go to `log_path`.

    `url` None: wait for its `listening on URL` line. `url` given: wait for `health` only.
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
        ready: str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.health = health
        self.url = url
        self._announces = url is None  # learns its URL from its `listening on` line
        self.start_timeout_s = start_timeout_s
        self.ready = re.compile(ready) if ready else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._tail: deque[str] = deque(maxlen=40)
        self._url_seen = threading.Event()
        self._ready_seen = threading.Event()
        self._reader: threading.Thread | None = None
        self.expected_exit = False
        self._spawned_at = 0.0

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Spawn the child and wait until it is healthy; returns its base URL."""
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """Fork the child (call this on a long-lived thread: see harness.proc)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._url_seen.clear()
        self._ready_seen.clear()
        self.expected_exit = False
        env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
        try:
            self.proc = procs.spawn(self.argv, env=env, stdout=subprocess.PIPE)
        except OSError as exc:
            raise StackError(self.name, f"cannot start {shlex.join(self.argv)}: {exc}") from exc
        self._reader = threading.Thread(target=self._pump, name=f"log-{self.name}", daemon=True)
        self._reader.start()
        self._spawned_at = time.monotonic()

    def wait_ready(self) -> str:
        """Wait for the URL (announced or known), the `ready` line and a healthy answer."""
        deadline = self._spawned_at + self.start_timeout_s
        if self._announces:
            self._wait_for(self._url_seen, deadline, "no 'listening on' line")
        if self.ready is not None:
            self._wait_for(self._ready_seen, deadline,
                           f"no line matching ready={self.ready.pattern!r} in its output")
        self._wait_healthy(deadline)
        assert self.url is not None
        return self.url

    def _pump(self) -> None:
        """Copy the child's output to its log, remembering the tail and the lines we wait for."""
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            for raw in self.proc.stdout:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                self._tail.append(line)
                if self._announces and not self._url_seen.is_set():
                    match = _LISTENING.search(line)
                    if match:
                        self.url = match.group(1)
                        self._url_seen.set()
                if self.ready is not None and not self._ready_seen.is_set() \
                        and self.ready.search(line):
                    self._ready_seen.set()

    def _wait_for(self, event: threading.Event, deadline: float, missing: str) -> None:
        while not event.wait(0.05):
            self._check_alive("exited during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise StackError(self.name, f"{missing} within {self.start_timeout_s:g}s "
                                            f"(command: {shlex.join(self.argv)})",
                                 self.log_tail())

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
                    last = f"HTTP {response.status_code}: {response.text[:200]!r}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                time.sleep(0.05)
        self.stop()
        raise StackError(self.name, f"{url} not healthy within {self.start_timeout_s:g}s "
                                    f"(last answer: {last}; command: {shlex.join(self.argv)})",
                         self.log_tail())

    def _check_alive(self, what: str) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            if self._reader is not None:
                self._reader.join(timeout=1.0)
            raise StackError(
                self.name, f"{what} (exit code {self.proc.returncode}; command: "
                           f"{shlex.join(self.argv)})", self.log_tail())

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self, timeout_s: float = 5.0) -> bool:
        """One health probe (True when it has no health path but runs)."""
        if not self.alive():
            return False
        if not self.health or not self.url:
            return True
        try:
            return httpx.get(f"{self.url}{self.health}", timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(list(self._tail)[-lines:])

    # -- faults -------------------------------------------------------------------------------

    def signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            procs.signal_group(self.proc.pid, sig)

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
        procs.signal_group(proc.pid, signal.SIGCONT)  # a frozen child cannot act on SIGTERM
        procs.signal_group(proc.pid, signal.SIGTERM)

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
        procs.signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2.0)
