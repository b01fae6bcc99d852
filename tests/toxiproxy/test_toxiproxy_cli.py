"""`harness serve toxiproxy` as a real process: announce line, --config, clean signal exit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from toxiproxy_helpers import TcpServer, connect


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_announces_populates_and_exits_cleanly(
    tmp_path: Path, echo_server: TcpServer, sig: signal.Signals
) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "echo", "upstream": echo_server.address}]))
    cmd = [sys.executable, "-m", "harness", "serve", "toxiproxy", "--port", "0",
           "--config", str(config), "--seed", "3"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.removeprefix("listening on ")
        assert httpx.get(f"{url}/version").status_code == 200
        listen = httpx.get(f"{url}/proxies/echo").json()["listen"]
        with connect(listen) as sock:
            sock.sendall(b"ping")
            assert sock.recv(10) == b"ping"
        proc.send_signal(sig)
        assert proc.wait(10) == 0, proc.stderr.read() if proc.stderr else ""
        with pytest.raises(ConnectionRefusedError):
            connect(listen).close()  # every proxy listener closed with the process
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.integration
def test_serve_refuses_non_loopback_host() -> None:
    cmd = [sys.executable, "-m", "harness", "serve", "toxiproxy", "--host", "0.0.0.0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "loopback" in done.stderr


@pytest.mark.integration
def test_serve_rejects_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "x"}]))
    cmd = [sys.executable, "-m", "harness", "serve", "toxiproxy", "--port", "0",
           "--config", str(config)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "missing required field: upstream" in done.stderr
