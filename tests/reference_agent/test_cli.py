"""`python -m reference_agent` as a real subprocess: the process contract of docs/contracts.md."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import psutil
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_agent_announces_serves_and_exits_zero_on_signal(sig: signal.Signals) -> None:
    # No --tools-url: the agent starts its own tool server and must stop it on exit.
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_agent", "--profile", "hardened", "--port", "0",
         "--set", "tenant_quotas=globex=5/10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.removeprefix("listening on ")
        assert httpx.get(f"{url}/healthz", timeout=30).json() == {
            "status": "ok", "profile": "hardened"}
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the agent started no tool server"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
        _, alive = psutil.wait_procs(children, timeout=15)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(("flag", "needle"), [
    ("tenant_quotas=globex=5", "agent flag tenant_quotas: got 'globex=5'"),
    ("no_such_flag=1", "unknown agent flag 'no_such_flag'"),
])
def test_a_bad_flag_exits_2_naming_it_before_listening(flag: str, needle: str) -> None:
    done = subprocess.run([sys.executable, "-m", "reference_agent", "--set", flag],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert needle in done.stderr and "listening" not in done.stdout


def test_a_non_loopback_host_exits_2() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_agent", "--host", "0.0.0.0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a loopback address" in done.stderr
