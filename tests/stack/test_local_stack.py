"""The embedded local stack on loopback: start, wire, supervise, tear down."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psutil
import pytest

from harness.errors import StackError
from harness.stack.base import StackConfig
from harness.stack.local import LocalStack
from harness.stack.process import ManagedProcess
from harness.targets.own import CommandTarget
from harness.targets.reference import ReferenceTarget

pytestmark = pytest.mark.integration


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_stack_serves_a_chat_through_the_agent_proxy_and_leaves_nothing(tmp_path: Path) -> None:
    before = _descendants()
    stack = LocalStack(StackConfig(run_dir=tmp_path, target=ReferenceTarget("hardened")))
    with stack:
        assert set(stack.proxy_urls) == {"agent", "llm", "llm_eu", "tools"}
        children = _descendants() - before
        assert len(children) >= 5  # two fake LLMs, tools, toxiproxy, agent
        response = httpx.post(f"{stack.agent_url}/v1/chat", headers={"x-api-key": "key-acme"},
                              json={"message": "Hello there"}, timeout=30)
        assert response.status_code == 200, response.text
        assert int(response.headers["x-llm-calls"]) >= 1
        proxies = httpx.get(f"{stack.urls['toxiproxy']}/proxies", timeout=5).json()
        assert proxies["agent"]["enabled"] is True
    assert not (_descendants() & children), "a child process outlived the stack"
    ledger = (tmp_path / "llm_calls.us.jsonl").read_text().splitlines()
    assert ledger, "the fake LLM wrote no ledger row"
    for name in ("agent", "llm", "llm_eu", "tools", "toxiproxy"):
        assert (tmp_path / "logs" / f"{name}.log").exists()


def test_supervisor_restarts_a_crashed_agent_on_the_same_port(tmp_path: Path) -> None:
    with LocalStack(StackConfig(run_dir=tmp_path, target=ReferenceTarget("naive"),
                                restart_delay_s=0.1)) as stack:
        old_pid = stack.processes["agent"].proc.pid  # type: ignore[union-attr]
        stack.kill("agent")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            e["event"] == "restarted" for e in stack.hub.events
        ):
            time.sleep(0.1)
        assert [e["event"] for e in stack.hub.events][:3] == ["killed", "exited", "restarted"]
        assert stack.processes["agent"].proc.pid != old_pid  # type: ignore[union-attr]
        response = httpx.get(f"{stack.agent_url}/healthz", timeout=10)
        assert response.status_code == 200


def test_planned_restart_applies_flag_overrides(tmp_path: Path) -> None:
    with LocalStack(StackConfig(run_dir=tmp_path, target=ReferenceTarget("hardened"))) as stack:
        stack.restart("agent", {"fail_rate": 1.0})
        response = httpx.post(f"{stack.agent_url}/v1/chat", headers={"x-api-key": "key-acme"},
                              json={"message": "Hello"}, timeout=30)
        assert response.status_code == 500
        assert not any(e["event"] == "exited" for e in stack.hub.events)  # planned, not a crash


def test_a_process_that_dies_at_start_names_itself_and_shows_its_log(tmp_path: Path) -> None:
    proc = ManagedProcess("broken", ["python3", "-c", "import sys; print('boom'); sys.exit(3)"],
                          tmp_path / "broken.log", start_timeout_s=10)
    with pytest.raises(StackError) as excinfo:
        proc.start()
    assert excinfo.value.process == "broken"
    assert "exit code 3" in str(excinfo.value)
    assert "boom" in excinfo.value.log_tail
    assert excinfo.value.exit_code == 3


def test_an_agent_command_that_fails_is_a_stack_error_and_nothing_is_left(
    tmp_path: Path,
) -> None:
    before = _descendants()
    agent = CommandTarget(command="python3 -c 'raise SystemExit(1)' {port}", known_tenants={},
                          start_timeout_s=20)
    with pytest.raises(StackError) as excinfo, LocalStack(
        StackConfig(run_dir=tmp_path, target=agent)
    ):
        pass
    assert excinfo.value.process == "agent"
    deadline = time.monotonic() + 10  # reaped children may take a moment to leave the table
    while not _descendants() <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descendants() <= before


QUIET_AGENT = """
import http.server, json, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        self.send_response(200 if self.path == '/healthz' else 404)
        self.end_headers()
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
"""


def test_an_agent_that_prints_nothing_starts_on_the_port_we_chose(tmp_path: Path) -> None:
    script = tmp_path / "quiet_agent.py"
    script.write_text(QUIET_AGENT, encoding="utf-8")
    agent = CommandTarget(command=f"python3 {script} {{host}} {{port}}", known_tenants={},
                          start_timeout_s=30)
    with LocalStack(StackConfig(run_dir=tmp_path, target=agent)) as stack:
        assert httpx.get(f"{stack.agent_url}/healthz", timeout=10).status_code == 200
        assert (tmp_path / "logs" / "agent.log").read_text() == ""


def test_a_failing_event_listener_never_stops_supervision(tmp_path: Path) -> None:
    def broken_writer(event: dict) -> None:
        raise OSError("disk full")

    with LocalStack(StackConfig(run_dir=tmp_path, target=ReferenceTarget("naive"),
                                restart_delay_s=0.1)) as stack:
        stack.hub.add_listener(broken_writer)
        stack.kill("agent")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            e["event"] == "restarted" for e in stack.hub.events
        ):
            time.sleep(0.1)
        assert [e["event"] for e in stack.hub.events][:3] == ["killed", "exited", "restarted"]
        assert stack.hub.listener_failures >= 3
        assert httpx.get(f"{stack.agent_url}/healthz", timeout=10).status_code == 200
