"""Stream faults as the SDK sees them, and malformed or truncated tool calls."""

from __future__ import annotations

import anthropic
import httpx2
import pytest
from fake_llm_helpers import API_HEADERS, ORDER_TOOL, SONNET

from harness.fake_llm import FakeLLMServer

LONG = [
    {
        "role": "user",
        "content": "Tell me about the history of container shipping in detail, from the 1950s on.",
    }
]
ORDER = [{"role": "user", "content": "Where is ORD-1001?"}]


def test_stream_error_event_raises_overloaded(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    llm.set_behaviour(stream_error_probability=1.0)
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        client.messages.stream(model=SONNET, max_tokens=300, messages=LONG) as stream,
    ):
        for _ in stream.text_stream:
            pass
    assert info.value.type == "overloaded_error"
    row = llm.ledger()[-1]
    assert (row["status"], row["error_type"], row["stop_reason"]) == (200, "overloaded_error", None)


def test_stream_cut_drops_the_connection(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    llm.set_behaviour(stream_cut_probability=1.0)
    received: list[str] = []
    with (
        pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)),
        client.messages.stream(model=SONNET, max_tokens=300, messages=LONG) as stream,
    ):
        for text in stream.text_stream:
            received.append(text)
    assert received  # some text arrived before the cut
    row = llm.ledger()[-1]
    assert row["error_type"] == "stream_cut" and row["stop_reason"] is None


def test_truncated_tool_json_stops_with_max_tokens(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    llm.set_behaviour(truncated_tool_json_probability=1.0)
    with client.messages.stream(
        model=SONNET, max_tokens=300, tools=[ORDER_TOOL], messages=ORDER
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "max_tokens"
    call = final.content[0]
    assert call.type == "tool_use" and "order_id" not in call.input  # the JSON stopped early


def test_malformed_tool_call_breaks_the_schema(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    llm.set_behaviour(malformed_tool_probability=1.0)
    msg = client.messages.create(model=SONNET, max_tokens=300, tools=[ORDER_TOOL], messages=ORDER)
    call = msg.content[0]
    assert call.type == "tool_use" and "order_id" not in call.input


def test_malformed_streamed_tool_json_is_invalid(llm: FakeLLMServer) -> None:
    llm.set_behaviour(malformed_tool_probability=1.0, malformed_tool_mode="invalid_json")
    body = {
        "model": SONNET,
        "max_tokens": 300,
        "stream": True,
        "tools": [ORDER_TOOL],
        "messages": ORDER,
    }
    import json

    text = httpx2.post(f"{llm.url}/v1/messages", json=body, timeout=10, headers=API_HEADERS).text
    partial = "".join(
        json.loads(line[6:])["delta"]["partial_json"]
        for line in text.splitlines()
        if line.startswith("data: ") and "input_json_delta" in line
    )
    with pytest.raises(ValueError):
        json.loads(partial)


def test_delays_do_not_block_other_requests(llm: FakeLLMServer) -> None:
    import threading
    import time

    llm.set_behaviour(ttft_ms=1500)
    done: list[float] = []

    def slow() -> None:
        httpx2.post(
            f"{llm.url}/v1/messages",
            json={"model": SONNET, "max_tokens": 10, "messages": LONG},
            timeout=10,
            headers=API_HEADERS,
        )
        done.append(time.monotonic())

    worker = threading.Thread(target=slow)
    worker.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        assert httpx2.get(f"{llm.url}/_control/health", timeout=10).status_code == 200
        health_done = time.monotonic()
    finally:
        worker.join(timeout=10)
    assert done and health_done < done[0]  # health answered while the slow call was waiting
    assert health_done - started < 1.0
