"""The real anthropic SDK against the fake: sync, async, streaming helpers, tools, tokens."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
from fake_llm_helpers import API_HEADERS, HAIKU, ORDER_TOOL, SONNET, TOOLS

from harness.fake_llm import FakeLLMServer

LONG_QUESTION = "Can you tell me something about the weather patterns in northern Europe in winter?"


def test_sync_create_returns_a_message(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=SONNET, max_tokens=300, messages=[{"role": "user", "content": LONG_QUESTION}]
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_01")
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message.usage.cache_read_input_tokens == 0


def test_async_client_and_async_stream(llm: FakeLLMServer) -> None:
    async def run() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0) as c:
            created = await c.messages.create(
                model=HAIKU, max_tokens=300, messages=[{"role": "user", "content": LONG_QUESTION}]
            )
            async with c.messages.stream(
                model=HAIKU, max_tokens=300, messages=[{"role": "user", "content": LONG_QUESTION}]
            ) as stream:
                pieces = [text async for text in stream.text_stream]
                final = await stream.get_final_message()
            assert final.content[0].text == "".join(pieces)
            assert len(pieces) > 1
            return created.content[0].text, final.content[0].text

    created, streamed = asyncio.run(run())
    assert created == streamed  # same question, same seed: same answer


def test_sync_stream_helpers_accumulate_text_and_usage(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=SONNET, max_tokens=300, messages=[{"role": "user", "content": LONG_QUESTION}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.content[0].text == text
    assert final.stop_reason == "end_turn"
    plain = client.messages.create(
        model=SONNET, max_tokens=300, messages=[{"role": "user", "content": LONG_QUESTION}]
    )
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens


def test_raw_sse_event_sequence(llm: FakeLLMServer) -> None:
    body = {
        "model": SONNET,
        "max_tokens": 300,
        "stream": True,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "Where is ORD-1004?"}],
    }
    resp = httpx.post(f"{llm.url}/v1/messages", json=body, timeout=10, headers=API_HEADERS)
    assert resp.headers["content-type"].startswith("text/event-stream")
    names = [line[7:] for line in resp.text.splitlines() if line.startswith("event: ")]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names.count("content_block_delta") >= 2  # input_json_delta in several chunks
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


def test_tool_use_round_trip(client: anthropic.Anthropic) -> None:
    messages: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": "Where is my order ORD-1004?"}
    ]
    first = client.messages.create(
        model=SONNET, max_tokens=300, system="tenant: acme", tools=TOOLS, messages=messages
    )
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "order_lookup"
    assert call.input == {"order_id": "ORD-1004", "tenant": "acme"}
    messages += [
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": "ORD-1004: shipped"}
            ],
        },
    ]
    second = client.messages.create(model=SONNET, max_tokens=300, tools=TOOLS, messages=messages)
    assert second.stop_reason == "end_turn"
    assert "ORD-1004: shipped" in second.content[0].text


def test_streamed_tool_call_parses_in_sdk(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=HAIKU,
        max_tokens=300,
        tools=[ORDER_TOOL],
        messages=[{"role": "user", "content": "status of ORD-1010 please"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"order_id": "ORD-1010"}


def test_count_tokens_equals_usage_input_tokens(client: anthropic.Anthropic) -> None:
    kwargs = {
        "model": SONNET,
        "system": "You are a careful support agent for tenant: acme.",
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "Hello there, I have a question about refunds."},
            {"role": "assistant", "content": "Sure, what is it?"},
            {"role": "user", "content": "How long do refunds take?"},
        ],
    }
    counted = client.messages.count_tokens(**kwargs)  # type: ignore[arg-type]
    used = client.messages.create(max_tokens=200, **kwargs)  # type: ignore[arg-type]
    assert counted.input_tokens == used.usage.input_tokens > 0


def test_dated_alias_is_served_and_priced(client: anthropic.Anthropic, llm: FakeLLMServer) -> None:
    client.messages.create(
        model="claude-haiku-4-5-20251001",
        max_tokens=50,
        messages=[{"role": "user", "content": "hi"}],
    )
    row = llm.ledger()[-1]
    assert row["model"] == "claude-haiku-4-5-20251001" and row["cost_usd"] > 0


def test_every_response_has_request_id_and_rate_limit_headers(llm: FakeLLMServer) -> None:
    ok = httpx.post(
        f"{llm.url}/v1/messages",
        json={"model": SONNET, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
        headers=API_HEADERS,
    )
    bad = httpx.post(f"{llm.url}/v1/messages", content=b"{not json")
    for resp in (ok, bad):
        assert resp.headers["request-id"].startswith("req_")
        for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
            for part in ("limit", "remaining", "reset"):
                assert f"anthropic-ratelimit-{kind}-{part}" in resp.headers
