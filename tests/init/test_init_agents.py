"""`harness init` against real tiny agents (FastAPI + the anthropic SDK) on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness import cli
from harness.errors import EXIT_STACK
from harness.fake_llm import FakeLLMServer
from harness.netutil import free_port
from harness.scenario import load_scenario
from tests.init.conftest import harness, left_running

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = sys.executable


def test_contract_agent_gets_a_starter_that_validates_and_runs(tmp_path: Path,
                                                               agent_script) -> None:
    script = agent_script("contract_agent.py")
    out = tmp_path / "chaos" / "contract.yaml"
    init = harness("init", "--command", f"{PY} {script} --port {{port}}", "--out", str(out),
                   "--start-timeout", "180s", cwd=tmp_path)
    assert init.code == 0, init.output
    assert "health: /healthz answered 200" in init.output
    assert "preset harness answered HTTP 200 with reply text, not streamed" in init.output
    assert f"try:  harness run {out} --time-scale 0.25" in init.output
    assert left_running(tmp_path) == []

    scenario = load_scenario(out)
    assert scenario.agent.command == f"{PY} {script} --port {{port}}"
    assert scenario.agent.health == "/healthz"
    assert (scenario.agent.api.preset, scenario.agent.api.stream) == ("harness", "none")
    assert [f.kind for f in scenario.faults] == ["http_error", "latency", "loop"]
    assert {"availability", "latency_p95", "cost_per_request"} <= set(scenario.slos)
    assert not any(name.startswith("ttft") for name in scenario.slos)  # it does not stream
    assert scenario.expect == {"own": "pass"}
    assert cli.main(["validate", str(out)]) == 0

    # What init printed, at a short time scale: it runs and reaches a verdict (0 or 1).
    reports = tmp_path / "reports"
    run = harness("run", str(out), "--time-scale", "0.1", "--out", str(reports), "--quiet",
                  "--no-prometheus", "--no-report", cwd=tmp_path)
    assert run.code in (0, 1), run.output
    (run_dir,) = reports.iterdir()
    records = [json.loads(line) for line in
               (run_dir / "requests.jsonl").read_text().splitlines()]
    assert any(r["ok"] for r in records), records[:3]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    assert left_running(tmp_path) == []


def test_openai_style_agent_streaming_sse_is_found(tmp_path: Path, agent_script) -> None:
    script = agent_script("openai_sse_agent.py")
    out = tmp_path / "openai.yaml"
    init = harness("init", "--command", f"{PY} {script} --port {{port}}", "--out", str(out),
                   "--start-timeout", "180s", cwd=tmp_path)
    assert init.code == 0, init.output
    assert "preset openai-chat answered HTTP 200 with reply text, streamed (sse" in init.output
    assert left_running(tmp_path) == []
    scenario = load_scenario(out)
    assert scenario.agent.health == "/health"  # it has no /healthz
    assert (scenario.agent.api.preset, scenario.agent.api.stream) == ("openai-chat", "sse")
    assert "ttft_p95[during=baseline]" in scenario.slos
    assert cli.main(["validate", str(out)]) == 0


def test_an_agent_that_never_becomes_healthy_exits_3_and_leaves_nothing(
        tmp_path: Path, agent_script) -> None:
    script = agent_script("unhealthy_agent.py")
    out = tmp_path / "never.yaml"
    init = harness("init", "--command", f"{PY} {script} --port {{port}}", "--out", str(out),
                   "--start-timeout", "8s", cwd=tmp_path)
    assert init.code == EXIT_STACK, init.output
    # The command, every health URL tried with its last answer, and the agent's log tail.
    assert "agent: not healthy within 8s" in init.output
    assert f"command: {PY} {script} --port " in init.output
    assert "/healthz -> HTTP 503: 'warming up forever'" in init.output
    assert "/livez -> HTTP 503" in init.output
    assert "--health PATH" in init.output
    assert "loading a model that never finishes loading" in init.output  # its log
    assert not out.exists()
    assert left_running(tmp_path) == []


def test_an_agent_already_running_is_probed_by_url(tmp_path: Path, agent_script) -> None:
    script = agent_script("contract_agent.py")
    port = free_port()
    with FakeLLMServer(region="us", seed=1) as llm:
        env = {**os.environ, "ANTHROPIC_BASE_URL": llm.url, "ANTHROPIC_API_KEY": "sk-test"}
        agent = subprocess.Popen([PY, str(script), "--port", str(port)], env=env)
        try:
            _wait_up(f"http://127.0.0.1:{port}/healthz")
            out = tmp_path / "running.yaml"
            init = harness("init", "--url", f"http://127.0.0.1:{port}", "--out", str(out),
                           cwd=tmp_path)
        finally:
            agent.terminate()
            agent.wait(timeout=30)
    assert init.code == 0, init.output
    scenario = load_scenario(out)
    assert scenario.agent.url == f"http://127.0.0.1:{port}"
    # Only faults that reach an agent the harness did not start, and no ledger-based SLO.
    assert [(f.kind, f.target) for f in scenario.faults] == [("latency", "agent")]
    assert "cost_per_request" not in scenario.slos


def _wait_up(url: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200")
