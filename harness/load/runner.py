"""Run Locust headless with the harness's locustfile, in subprocesses the harness owns.

Single process by default; with `workers=N` a master (bound to loopback) plus N worker
processes, each writing its own `requests.w<i>.jsonl`. We start the workers ourselves rather
than use `--processes`: forked children would not carry the parent-death signal, and separate
`Popen`s let us reap every one of them.

Every process runs in one process group, with a parent-death signal (harness.proc), so none
outlives the harness. The death signal follows the *thread* that called `start()`: call it
from a thread that lives as long as the run (the main thread, normally).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from harness import proc as _proc
from harness.load.config import CONFIG_ENV, WORKER_ENV, LoadConfig
from harness.netutil import LOOPBACK, free_port

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


class LoadRunner:
    """Locust in subprocesses: `start()`, `wait(timeout)`, `stop()`, or use it as a context
    manager (leaving the block stops it)."""

    def __init__(
        self,
        config: LoadConfig,
        log_path: str | Path,
        *,
        workers: int = 0,
        csv: bool = True,
        locustfile: str | Path = LOCUSTFILE,
        expect_workers_max_wait_s: float = 30.0,
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        self.config = config
        self.log_path = Path(log_path)
        self.workers = workers
        self.csv = csv
        self.locustfile = Path(locustfile)
        self.expect_workers_max_wait_s = expect_workers_max_wait_s
        self.config_path = Path(config.records_dir) / "load_config.json"
        self._master: subprocess.Popen[bytes] | None = None
        self._workers: list[subprocess.Popen[bytes]] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._master is not None:
            raise RuntimeError("LoadRunner already started")
        records = Path(self.config.records_dir)
        records.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.config.write(self.config_path)
        env = {**os.environ, CONFIG_ENV: str(self.config_path), "PYTHONUNBUFFERED": "1"}
        env.pop(WORKER_ENV, None)
        (records / ".user_index").unlink(missing_ok=True)  # workers' shared user counter
        port = free_port() if self.workers else 0
        with self.log_path.open("ab") as log:
            self._master = _proc.spawn(self.master_argv(port), env=env, stdout=log.fileno())
        try:
            for index in range(self.workers):
                worker_env = {**env, WORKER_ENV: str(index)}
                with self.worker_log(index).open("ab") as log:
                    self._workers.append(
                        _proc.spawn(
                            self.worker_argv(port),
                            env=worker_env,
                            stdout=log.fileno(),
                            process_group=self._master.pid,
                        )
                    )
        except BaseException:
            self.stop(grace_s=0)
            raise

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the run to end; its exit code, or None if still running after `timeout`."""
        if self._master is None:
            raise RuntimeError("LoadRunner not started")
        try:
            code = self._master.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for worker in self._workers:  # the master tells them to quit; give them a moment
            try:
                worker.wait(5.0)
            except subprocess.TimeoutExpired:
                self._escalate([worker], grace_s=0)
        return code

    def stop(self, grace_s: float = 10.0) -> int | None:
        """End the run: SIGINT (Locust writes its summary), then SIGTERM, then SIGKILL, to the
        whole process group; always reaps every process. Returns the master's exit code."""
        if self._master is None:
            return None
        procs = [self._master, *self._workers]
        if any(p.poll() is None for p in procs):
            _proc.signal_group(self._master.pid, signal.SIGINT)
            self._escalate(procs, grace_s)
        # Members that left the group (none should) or exited late: reap them all.
        for proc in procs:
            proc.wait()
        return self._master.returncode

    def _escalate(self, procs: list[subprocess.Popen[bytes]], grace_s: float) -> None:
        assert self._master is not None
        pgid = self._master.pid
        for sig, wait_s in ((None, grace_s), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if sig is not None:
                _proc.signal_group(pgid, sig)
                for proc in procs:  # a process outside the group still gets the signal
                    if proc.poll() is None:
                        proc.send_signal(sig)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and any(p.poll() is None for p in procs):
                time.sleep(0.05)
            if all(p.poll() is not None for p in procs):
                return

    def __enter__(self) -> LoadRunner:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- introspection -----------------------------------------------------------------------

    def _procs(self) -> list[subprocess.Popen[bytes]]:
        return ([self._master] if self._master else []) + self._workers

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs()]

    @property
    def running(self) -> bool:
        return any(p.poll() is None for p in self._procs())

    def worker_log(self, index: int) -> Path:
        return self.log_path.with_name(f"{self.log_path.stem}.w{index}{self.log_path.suffix}")

    def record_paths(self) -> list[Path]:
        """The request-record files this run writes (some may not exist yet)."""
        records = Path(self.config.records_dir)
        if not self.workers:
            return [records / "requests.jsonl"]
        return [records / f"requests.w{i}.jsonl" for i in range(self.workers)]

    # -- command lines -----------------------------------------------------------------------

    def _base_argv(self) -> list[str]:
        return [sys.executable, "-m", "locust", "-f", str(self.locustfile)]

    def master_argv(self, port: int = 0) -> list[str]:
        c = self.config
        argv = [
            *self._base_argv(),
            "--headless",
            "-u", str(c.users),
            "-r", f"{c.spawn_rate:g}",
            "-t", f"{max(1, math.ceil(c.run_time_s))}s",
            "--host", c.target_url,
            "--exit-code-on-error", "0",
            "--only-summary",
        ]  # fmt: skip
        if self.csv:
            argv += ["--csv", str(Path(c.records_dir) / "locust")]
        if self.workers:
            argv += [
                "--master",
                "--master-bind-host", LOOPBACK,
                "--master-bind-port", str(port),
                "--expect-workers", str(self.workers),
                "--expect-workers-max-wait", str(max(1, math.ceil(self.expect_workers_max_wait_s))),
            ]  # fmt: skip
        return argv

    def worker_argv(self, port: int) -> list[str]:
        return [
            *self._base_argv(),
            "--worker",
            "--master-host", LOOPBACK,
            "--master-port", str(port),
        ]  # fmt: skip
