"""Each agent of the suite, a real process on the real fake LLM, calls its own tools."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from harness.netutil import free_port
from tests.agents.conftest import AGENTS, REPO, FakeLLM, StartAgent, stop, suite_env, wait_healthy

pytestmark = pytest.mark.integration

TRIP = "Find me a flight from Boston to Lisbon on 2026-12-20 and what is the weather in Lisbon?"
DEFAULT_CONTRACT = ["plain_sdk", "async_parallel", "thinking", "pydantic_ai_agent",
                    "langgraph_agent"]


def chat(url: str, message: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat", json={"message": message, "session_id": "s-1"},
                      headers={"x-api-key": "k-alpha"}, timeout=60)


def assert_round_trip(ledger: list[dict[str, Any]]) -> None:
    """A turn that asked for tools, then (after their results) a turn that answered."""
    stops = [row["stop_reason"] for row in ledger if row["status"] == 200]
    assert "tool_use" in stops, ledger
    assert "end_turn" in stops[stops.index("tool_use") + 1:], stops


@pytest.mark.parametrize("name", DEFAULT_CONTRACT)
def test_agent_calls_its_tools(name: str, start_agent: StartAgent, fake_llm: FakeLLM) -> None:
    url = start_agent(name)
    response = chat(url, TRIP)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"search_flights", "get_weather"} <= set(body["tools"]), body
    assert body["reply"], body
    ledger = fake_llm.ledger()
    assert_round_trip(ledger)
    if name == "async_parallel":  # both tools asked for in one turn, run together
        assert ledger[0]["tool_calls"] == 2, ledger[0]
    if name == "thinking":  # one thinking block per turn, passed back on the tool turn
        assert body["thinking_blocks"] >= 2, body
    if name == "pydantic_ai_agent":  # the structured output, validated by pydantic-ai
        assert body["advice"]["destination"] == "Lisbon", body
    else:  # the tools' results reach the model and its answer
        assert "Lisbon" in body["reply"] and "TA" in body["reply"], body


def test_agent_without_retries_fails_where_retries_ride_it_out(
        start_agent: StartAgent, fake_llm: FakeLLM) -> None:
    patient, impatient = start_agent("plain_sdk", "--retries", "3"), start_agent(
        "plain_sdk", "--retries", "0")
    fake_llm.set_behaviour(error_first_n=2, error_status=529)
    assert chat(patient, TRIP).status_code == 200
    fake_llm.set_behaviour(error_first_n=1, error_status=529)
    failed = chat(impatient, TRIP)
    assert failed.status_code == 503 and "overloaded" in failed.text.lower(), failed.text
    assert sum(row["status"] == 529 for row in fake_llm.ledger()) == 3
    keyless = httpx.post(f"{patient}/v1/chat", json={"message": TRIP}, timeout=30)
    assert keyless.status_code == 401, keyless.text  # the default contract wants x-api-key


def sse_texts(body: str) -> tuple[list[str], bool]:
    texts, done = [], False
    for line in body.splitlines():
        if not line.startswith("data: "):
            continue
        data = line.removeprefix("data: ")
        if data == "[DONE]":
            done = True
            continue
        texts.append(json.loads(data)["choices"][0]["delta"].get("content") or "")
    return texts, done


def test_openai_style_endpoint_streams_and_answers_whole(
        start_agent: StartAgent, fake_llm: FakeLLM) -> None:
    url = start_agent("openai_sse")
    request = {"model": "agent", "messages": [{"role": "user", "content": TRIP}]}
    headers = {"Authorization": "Bearer k-alpha"}
    whole = httpx.post(f"{url}/v1/chat/completions", json=request, headers=headers, timeout=60)
    assert whole.status_code == 200, whole.text
    text = whole.json()["choices"][0]["message"]["content"]
    streamed = httpx.post(f"{url}/v1/chat/completions", json={**request, "stream": True},
                          headers=headers, timeout=60)
    assert streamed.status_code == 200, streamed.text
    assert streamed.headers["content-type"].startswith("text/event-stream")
    texts, done = sse_texts(streamed.text)
    assert done and len([t for t in texts if t]) > 1, streamed.text[:500]
    assert "".join(texts) == text and "Lisbon" in text and "TA" in text
    assert_round_trip(fake_llm.ledger())
    assert httpx.post(f"{url}/v1/chat/completions", json=request,
                      timeout=30).status_code == 401


def test_http_dependency_calls_its_crm_and_fails_when_it_is_gone(
        start_agent: StartAgent, fake_llm: FakeLLM, tmp_path: Any) -> None:
    port = free_port()
    crm_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "crm.log"
    with log.open("wb") as out:
        crm = subprocess.Popen([sys.executable, str(AGENTS / "crm_server.py"), "--port",
                                str(port)], stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                               env=suite_env())
    try:
        wait_healthy(crm_url, crm, log)
        url = start_agent("http_dependency", "--retries", "0", HARNESS_UPSTREAM_CRM_URL=crm_url)
        response = chat(url, "Search the customers in Lisbon")
        assert response.status_code == 200, response.text
        assert response.json()["tools"] == ["search_customers"]
        assert "C-1001" in response.json()["reply"]  # the CRM's answer reached the reply
        assert_round_trip(fake_llm.ledger())
    finally:
        stop(crm)
    gone = chat(url, "Search the customers in Lisbon")
    assert gone.status_code == 503 and "CRMUnavailable" in gone.text, gone.text
