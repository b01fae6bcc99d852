"""Exact attribution with the real anthropic SDK (sync and async) against the real fake LLM:
an agent process using harness.agentkit, or OpenTelemetry's ASGI + httpx instrumentation,
gets every LLM call of a user request into the ledger under that request's id. An agent that
forwards nothing gets none (the join can fail)."""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.fake_llm import FakeLLMServer
from harness.netutil import free_port
from harness.stack.process import ManagedProcess

pytestmark = pytest.mark.integration
AGENT = Path(__file__).with_name("correlated_agent.py")


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(region="us", seed=1) as server:
        yield server


def _agent(tmp_path: Path, llm: FakeLLMServer, *args: str) -> ManagedProcess:
    port = free_port()
    return ManagedProcess("agent", [sys.executable, str(AGENT), "--port", str(port), *args],
                          tmp_path / "agent.log", env={"ANTHROPIC_BASE_URL": llm.url,
                                                       "ANTHROPIC_API_KEY": "test-key"},
                          health="/healthz", url=f"http://127.0.0.1:{port}",
                          start_timeout_s=120)


def _send(url: str, n: int) -> list[tuple[str, httpx.Response]]:
    """What the harness's load sends: x-request-id and a traceparent of the same trace id."""
    sent = []
    for _ in range(n):
        request_id = uuid.uuid4().hex
        response = httpx.post(f"{url}/v1/chat", json={"message": "hello", "session_id": "s"},
                              headers={"x-api-key": "k-alpha", "x-request-id": request_id,
                                       "traceparent": f"00-{request_id}-{request_id[:16]}-01"},
                              timeout=60)
        assert response.status_code == 200, response.text
        sent.append((request_id, response))
    return sent


@pytest.mark.parametrize(("mode", "client", "calls"), [
    ("agentkit", "sync", 1), ("agentkit", "async", 2), ("otel", "sync", 1), ("otel", "async", 2),
    ("otel-httpx", "sync", 1), ("otel-httpx", "async", 2),
])
def test_every_llm_call_of_a_request_carries_its_id(
    tmp_path: Path, llm: FakeLLMServer, mode: str, client: str, calls: int,
) -> None:
    agent = _agent(tmp_path, llm, "--mode", mode, "--client", client)
    agent.start()
    try:
        sent = _send(agent.url or "", 3)
    finally:
        agent.stop()
    rows = llm.ledger()
    ids = [request_id for request_id, _ in sent]
    assert Counter(row["correlation_id"] for row in rows) == {i: calls for i in ids}
    if mode != "agentkit":  # the trace id is the join key itself
        assert sorted({row["trace_id"] for row in rows}) == sorted(ids)
    if mode == "agentkit":  # the reply names the id its LLM calls carried
        assert [r.headers["x-request-id"] for _, r in sent] == ids


@pytest.mark.parametrize("mode", ["none", "otel-httpx-sdk"])
def test_an_agent_that_forwards_nothing_leaves_the_ledger_unjoinable(
    tmp_path: Path, llm: FakeLLMServer, mode: str,
) -> None:
    """`otel-httpx-sdk`: opentelemetry-instrumentation-httpx patches `httpx`, and SDK 2.x runs
    on `httpx2`, so with the SDK's own propagation off nothing reaches the ledger."""
    agent = _agent(tmp_path, llm, "--mode", mode, "--client", "async")
    agent.start()
    try:
        _send(agent.url or "", 2)
    finally:
        agent.stop()
    rows = llm.ledger()
    assert len(rows) == 4 and {row["correlation_id"] for row in rows} == {None}
