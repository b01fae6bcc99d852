"""The control API's behaviours, seen through the real MCP client; `Faults` draws unit-tested."""

from __future__ import annotations

import asyncio
import json
import time

import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client

from reference_agent.tools import ToolServer
from reference_agent.tools.behaviour import MALFORMED_ANSWERS, BehaviourError, Faults

ORDER = ("order_lookup", {"order_id": "ORD-1002", "tenant": "acme"})


def test_faults_draws_are_seeded_and_reset_restarts_them():
    def pattern(faults: Faults) -> list[bool]:
        faults.update({"error_probability": 0.5})
        return [faults.draw_error() for _ in range(40)]

    faults = Faults(seed=3)
    first = pattern(faults)
    faults.reset()
    assert pattern(faults) == first == pattern(Faults(seed=3))
    assert any(first) and not all(first)
    assert pattern(Faults(seed=4)) != first


def test_faults_update_is_partial_and_validated():
    faults = Faults()
    faults.update({"delay_ms": 5})
    faults.update({"schema_drift": True})
    assert faults.behaviour.delay_ms == 5 and faults.behaviour.schema_drift
    with pytest.raises(BehaviourError, match="error_probability"):
        faults.update({"error_probabilty": 1})
    with pytest.raises(BehaviourError, match="malformed_probability"):
        faults.update({"malformed_probability": 2})
    assert faults.behaviour.malformed_probability == 0


@pytest.mark.integration
def test_behaviour_endpoint_get_put_delete(mcp):
    assert mcp.control("GET", "behaviour").json() == {
        "error_probability": 0.0,
        "delay_ms": 0.0,
        "malformed_probability": 0.0,
        "schema_drift": False,
    }
    assert mcp.control("PUT", "behaviour", {"delay_ms": 10}).json()["delay_ms"] == 10
    after = mcp.control("PUT", "behaviour", {"schema_drift": True}).json()
    assert after["delay_ms"] == 10 and after["schema_drift"] is True
    unknown = mcp.control("PUT", "behaviour", {"latency": 1})
    assert unknown.status_code == 400
    assert all(name in unknown.text for name in ("error_probability", "delay_ms", "schema_drift"))
    assert mcp.control("PUT", "behaviour", {"error_probability": -1}).status_code == 400
    assert mcp.control("PUT", "behaviour", [1]).status_code == 400
    assert mcp.control("DELETE", "behaviour").json()["schema_drift"] is False


@pytest.mark.integration
def test_error_probability_one_fails_every_call(mcp):
    mcp.control("PUT", "behaviour", {"error_probability": 1})
    results = mcp.call_many([ORDER] * 3)
    assert all(r.is_error for r in results)
    logged = mcp.calls()
    assert [c["fault"] for c in logged] == ["error"] * 3
    assert {c["status"] for c in logged} == {"error"}
    assert all(c["authorized"] for c in logged)


@pytest.mark.integration
def test_malformed_probability_one_breaks_the_content(mcp):
    mcp.control("PUT", "behaviour", {"malformed_probability": 1})
    results = mcp.call_many([ORDER] * 4)
    for result in results:
        assert not result.is_error
        body = result.content[0].text
        assert body in MALFORMED_ANSWERS
        assert result.structured_content is None
    assert {c["fault"] for c in mcp.calls()} == {"malformed"}


@pytest.mark.integration
def test_schema_drift_renames_fields(mcp):
    mcp.control("PUT", "behaviour", {"schema_drift": True})
    order = mcp.data(*ORDER)
    assert order["id"] == "ORD-1002" and "state" in order and "amount" in order
    assert "order_id" not in order and "status" not in order
    kb = mcp.data("kb_search", {"query": "refund", "tenant": "acme"})
    assert "results" not in kb and kb["items"][0]["headline"] == "Refund policy"
    assert mcp.calls()[-1]["fault"] == "schema_drift"


@pytest.mark.integration
def test_delay_is_applied_without_blocking_other_calls(mcp):
    delay_s, n = 1.0, 4
    mcp.control("PUT", "behaviour", {"delay_ms": delay_s * 1000})

    async def concurrent() -> float:
        async with httpx2.AsyncClient(timeout=30) as http:

            async def one() -> None:
                async with Client(
                    streamable_http_client(mcp.server.mcp_url, http_client=http)
                ) as c:
                    assert not (await c.call_tool(*ORDER)).is_error

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return time.perf_counter() - started

    elapsed = asyncio.run(concurrent())
    # The event loop's timer may wake a hair early: allow 5%.
    assert all(c["latency_ms"] >= delay_s * 950 for c in mcp.calls()), mcp.calls()
    # Serialised sleeps would take n * delay; concurrent ones about one delay.
    assert elapsed < (n - 0.5) * delay_s


@pytest.mark.integration
def test_log_file_gets_each_call_as_it_happens(tmp_path, mcp_for):
    log = tmp_path / "tool_calls.jsonl"
    with ToolServer(seed=1, log=log) as server:
        client = mcp_for(server)
        client.call_many([ORDER, ("kb_search", {"query": "refund"})], {"x-correlation-id": "c9"})
        # Read while the server still runs: lines are flushed as they are written.
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert [c["tool"] for c in lines] == ["order_lookup", "kb_search"]
        assert lines == client.calls()
        assert {c["correlation_id"] for c in lines} == {"c9"}


def test_a_crashing_or_cancelled_call_is_still_logged():
    from types import SimpleNamespace

    from reference_agent.tools.calls import CallLog
    from reference_agent.tools.server import ToolService
    from reference_agent.tools.store import SQLiteStore

    store = SQLiteStore()
    service = ToolService(store=store, faults=Faults(), calls=CallLog())
    ctx = SimpleNamespace(headers={"x-correlation-id": "c1"})

    async def crash(scope):
        raise RuntimeError("disk on fire")

    async def hang(scope):
        await asyncio.sleep(30)

    async def scenario():
        with pytest.raises(RuntimeError):
            await service.call("order_lookup", ctx, "acme", crash)
        task = asyncio.create_task(service.call("kb_search", ctx, None, hang))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(scenario())
    finally:
        store.close()
    crashed, cancelled = service.calls.snapshot()
    assert crashed["status"] == "error" and crashed["error"].startswith("internal")
    assert cancelled["error"].startswith("cancelled") and cancelled["correlation_id"] == "c1"
