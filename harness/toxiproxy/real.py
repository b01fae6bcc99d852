"""Shopify's real `toxiproxy-server` as a loopback subprocess: the reference the embedded one
is tested and benchmarked against.

Found at $HARNESS_TOXIPROXY_SERVER, else `<repo>/../shared/toxiproxy/toxiproxy-server` (the
layout of CI and of these machines), else `toxiproxy-server` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from harness.netutil import LOOPBACK, free_port, require_loopback

ENV_VAR = "HARNESS_TOXIPROXY_SERVER"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "toxiproxy" / "toxiproxy-server"


def find_real_server() -> Path | None:
    """The real server's path, or None when it is nowhere to be found.

    A set but wrong $HARNESS_TOXIPROXY_SERVER is an error, not a silent fallback.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise FileNotFoundError(f"${ENV_VAR}={configured} is not an executable file")
        return path
    if SHARED.is_file() and os.access(SHARED, os.X_OK):
        return SHARED
    found = shutil.which("toxiproxy-server")
    return Path(found) if found else None


class RealToxiproxy:
    """`toxiproxy-server -host 127.0.0.1 -port N -proxy-metrics`, started and stopped.

    Same surface as `ToxiproxyServer` (`.url`, `.host`, `.port`, context manager).
    """

    def __init__(self, binary: Path, host: str = LOOPBACK, *, seed: int | None = None) -> None:
        require_loopback(host)
        self.binary = binary
        self.host = host
        self.port = 0
        self.seed = seed
        self._proc: subprocess.Popen[bytes] | None = None
        # Its log goes to a file: a pipe nobody reads would fill and block the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as self)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 10.0) -> RealToxiproxy:
        # The binary cannot announce a port it picked, so choose one; a lost race (another
        # process took it first) shows as an early exit and is retried on a new port.
        for _ in range(3):
            self.port = free_port(self.host)
            cmd = [str(self.binary), "-host", self.host, "-port", str(self.port), "-proxy-metrics"]
            if self.seed is not None:
                cmd += ["-seed", str(self.seed)]
            self._log.seek(0)
            self._log.truncate()
            self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log)
            if self._wait_ready(timeout):
                return self
            if self._proc.poll() is None:
                self.stop()
                raise RuntimeError(f"{self.binary} did not answer /version within {timeout} s")
        self._log.seek(0)
        stderr = self._log.read().decode(errors="replace").strip()
        raise RuntimeError(f"{self.binary} exited at start: {stderr[-500:]}")

    def _wait_ready(self, timeout: float) -> bool:
        """True once /version answers; False when the process exited first."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    return False
                try:
                    if client.get("/version").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.02)  # polling for readiness, bounded by the deadline
        return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def __enter__(self) -> RealToxiproxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
