"""`python -m reference_agent.tools` as a real subprocess: listening line, serving, clean exit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_announces_serves_and_exits_zero_on_signal(tmp_path, mcp_for, sig):
    log = tmp_path / "calls.jsonl"
    args = ["--port", "0", "--seed", "3", "--db", str(tmp_path / "t.db"), "--log", str(log)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_agent.tools", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.removeprefix("listening on ")
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}

        class Server:  # what the MCP client helper needs of a server
            mcp_url = f"{url}/mcp"

        order = mcp_for(Server).data("order_lookup", {"order_id": "ORD-3000"})
        assert order["tenant"] == "initech"
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
        assert json.loads(log.read_text())["tool"] == "order_lookup"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_cli_refuses_a_postgres_store_with_exit_2(capsys):
    from reference_agent.tools.__main__ import main

    assert main(["--store", "postgresql://x/y"]) == 2
    out, err = capsys.readouterr()
    assert "PostgreSQL" in err and "listening" not in out
