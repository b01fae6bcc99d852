"""`harness run` of every agent of the suite under its scenario: the fault reaches it, the
agent with retries passes, the same agent with `--retries 0` fails (the verdict has teeth).

The agent with retries runs at --time-scale 0.5 (12 s of load: its backoffs fit in the fault
window), the one without at 0.25 (its first four LLM calls in the window fail at once), one
after the other: side by side they would double the peak load of a 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.scenario import load_scenario
from tests.agents.conftest import REPO, suite_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCENARIOS = REPO / "agents" / "scenarios"
TIME_SCALE = "0.5"
HASTY_TIME_SCALE = "0.25"
RUN_TIMEOUT_S = 600

CASES = [
    pytest.param("plain_sdk", "llm", id="plain_sdk"),
    pytest.param("async_parallel", "llm", id="async_parallel"),
    pytest.param("thinking", "llm", id="thinking"),
    pytest.param("pydantic_ai_agent", "llm", id="pydantic_ai_agent"),
    pytest.param("langgraph_agent", "llm", id="langgraph_agent"),
    pytest.param("openai_sse", "llm", id="openai_sse"),  # agent.api: openai-chat, SSE
    pytest.param("http_dependency", "crm", id="http_dependency"),  # agent.upstreams
]


def without_retries(path: Path, out: Path) -> Path:
    text = path.read_text(encoding="utf-8")
    agent_command = f'agents/{path.stem}.py --port {{port}}"'  # not an upstream's command
    assert text.count(agent_command) == 1, f"{path}: one agent command expected"
    copy = out / path.name
    copy.write_text(text.replace(agent_command, agent_command[:-1] + ' --retries 0"'),
                    encoding="utf-8")
    return copy


def start_run(scenario: Path, out: Path, time_scale: str = TIME_SCALE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(scenario), "--time-scale", time_scale,
         "--out", str(out), "--quiet", "--no-prometheus", "--no-report"],
        cwd=REPO, env=suite_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.terminate()
        output, _ = proc.communicate(timeout=60)
    return proc.returncode, output


def run_dir(out: Path) -> Path:
    (found,) = out.iterdir()
    return found


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def slo(run: Path, name: str) -> dict[str, Any]:
    results = json.loads((run / "slo.json").read_text(encoding="utf-8"))["slos"]
    return next(r for r in results if r["name"] == name)


@pytest.mark.parametrize(("agent", "fault_target"), CASES)
def test_agent_with_retries_passes_and_without_fails(
        agent: str, fault_target: str, tmp_path: Path) -> None:
    scenario = SCENARIOS / f"{agent}.yaml"
    load_scenario(scenario)  # a bad scenario fails here, with its file:line
    (tmp_path / "scenario").mkdir()
    impatient = without_retries(scenario, tmp_path / "scenario")
    code, output = finish(start_run(scenario, tmp_path / "retries"))
    code_none, output_none = finish(start_run(impatient, tmp_path / "none", HASTY_TIME_SCALE))
    assert code == 0, output
    assert code_none == 1, output_none  # the verdict differs from `expect: {own: pass}`

    patient, hasty = run_dir(tmp_path / "retries"), run_dir(tmp_path / "none")
    for run in (patient, hasty):  # the fault was applied to what the scenario names
        applied = [e for e in jsonl(run / "faults.jsonl") if e["event"] == "applied"]
        assert [e["target"] for e in applied] == [fault_target], applied
    ledger = jsonl(patient / "llm_calls.us.jsonl")
    assert any(row["stop_reason"] == "tool_use" and row["tool_calls"] for row in ledger)
    if fault_target == "llm":  # the burst of 529s reached the agent, which retried it
        assert sum(row["status"] == 529 for row in ledger) == 4
    assert slo(patient, "availability")["verdict"] == "pass"
    missed = slo(hasty, "availability")
    assert missed["verdict"] == "fail" and missed["value"] < 0.99, missed
