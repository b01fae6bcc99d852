"""Extended thinking through the real SDK: blocks, signatures, streaming, billing, 400s."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anthropic
import pytest

from harness.fake_llm import FakeLLMServer

SONNET_46 = "claude-sonnet-4-6"  # manual and adaptive thinking
HAIKU_45 = "claude-haiku-4-5"  # manual only
OPUS_5 = "claude-opus-5"  # adaptive only
WEATHER = {
    "name": "get_weather",
    "description": "Get the weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                     "required": ["city"]},
}
ASK = [{"role": "user", "content": "Explain briefly why the sky looks blue during the day."}]
OLD_VERSION = {"anthropic-version": "2023-06-01"}  # the version that still takes sampling


def _think(client: anthropic.Anthropic, **kw: Any) -> Any:
    args = {"model": SONNET_46, "max_tokens": 4096, "messages": ASK,
            "thinking": {"type": "enabled", "budget_tokens": 2048}, **kw}
    return client.messages.create(**args)


def test_thinking_comes_first_signed_and_billed_as_output(client: anthropic.Anthropic) -> None:
    reply = _think(client)
    assert [b.type for b in reply.content] == ["thinking", "text"]
    thinking = reply.content[0]
    assert thinking.thinking and thinking.signature
    plain = client.messages.create(model=SONNET_46, max_tokens=4096, messages=ASK)
    thought = -(-len(thinking.thinking) // 4)
    assert reply.usage.output_tokens == plain.usage.output_tokens + thought
    assert thought <= 2048


def test_thinking_tokens_knob_and_max_tokens(llm: FakeLLMServer,
                                             client: anthropic.Anthropic) -> None:
    llm.set_behaviour(thinking_tokens=1500)
    reply = _think(client)
    assert len(reply.content[0].thinking) == 1500 * 4
    cut = _think(client, max_tokens=1600, thinking={"type": "enabled", "budget_tokens": 1500})
    assert cut.stop_reason in ("end_turn", "max_tokens")
    assert cut.usage.output_tokens <= 1600


def test_a_signed_block_passed_back_is_accepted_and_a_tampered_one_is_a_400(
    client: anthropic.Anthropic,
) -> None:
    first = client.messages.create(
        model=SONNET_46, max_tokens=4096, tools=[WEATHER],
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "What is the weather in Lisbon?"}],
    )
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    use = first.content[1]
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                           "content": "21C and sunny"}]}
    kw: dict[str, Any] = {"model": SONNET_46, "max_tokens": 4096, "tools": [WEATHER],
                          "thinking": {"type": "enabled", "budget_tokens": 1024}}
    passed = [first.content[0].model_dump(), use.model_dump()]
    ok = client.messages.create(
        messages=[{"role": "user", "content": "What is the weather in Lisbon?"},
                  {"role": "assistant", "content": passed}, result], **kw)
    assert ok.content[-1].type == "text" and "21C" in ok.content[-1].text
    tampered = [{**passed[0], "thinking": passed[0]["thinking"] + " (edited)"}, passed[1]]
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(
            messages=[{"role": "user", "content": "What is the weather in Lisbon?"},
                      {"role": "assistant", "content": tampered}, result], **kw)
    assert "Invalid `signature` in `thinking` block" in bad.value.message
    assert bad.value.body["error"]["type"] == "invalid_request_error"
    missing = [{k: v for k, v in passed[0].items() if k != "signature"}, passed[1]]
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(
            messages=[{"role": "user", "content": "What is the weather in Lisbon?"},
                      {"role": "assistant", "content": missing}, result], **kw)
    assert "signature: Field required" in bad.value.message
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(
            messages=[{"role": "user", "content": "What is the weather in Lisbon?"},
                      {"role": "assistant", "content": [passed[1]]}, result], **kw)
    assert "Expected `thinking` or `redacted_thinking`, but found `tool_use`" in bad.value.message


@pytest.mark.parametrize(
    ("model", "thinking", "extra", "message"),
    [
        (SONNET_46, {"type": "enabled", "budget_tokens": 1000}, {},
         "greater than or equal to 1024"),
        (SONNET_46, {"type": "enabled", "budget_tokens": 4096}, {},
         "`max_tokens` must be greater than `thinking.budget_tokens`"),
        (SONNET_46, {"type": "enabled"}, {}, "budget_tokens: Field required"),
        (SONNET_46, {"type": "sometimes"}, {}, "does not match any of the expected tags"),
        (HAIKU_45, {"type": "adaptive"}, {}, "not supported for model"),
        (OPUS_5, {"type": "enabled", "budget_tokens": 2048}, {}, "not supported for model"),
        (SONNET_46, {"type": "enabled", "budget_tokens": 2048},
         {"extra_body": {"temperature": 0.5}, "extra_headers": OLD_VERSION},
         "`temperature` may only be set to 1"),
        (SONNET_46, {"type": "enabled", "budget_tokens": 2048},
         {"extra_body": {"top_k": 5}, "extra_headers": OLD_VERSION},
         "`top_k` must be unset"),
        # Under the SDK's own version the sampling fields are gone before thinking is read.
        (SONNET_46, {"type": "enabled", "budget_tokens": 2048},
         {"extra_body": {"temperature": 0.5}},
         "temperature: Extra inputs are not permitted"),
        (SONNET_46, {"type": "enabled", "budget_tokens": 2048},
         {"tools": [WEATHER], "tool_choice": {"type": "any"}},
         "Thinking may not be enabled when tool_choice forces tool use."),
    ],
)
# The SDK 2.15 no longer has sampling parameters; older clients still send them (extra_body)
# under the API version that allowed them.
def test_bad_thinking_is_a_400(client: anthropic.Anthropic, model: str, thinking: Any,
                               extra: dict[str, Any], message: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(model=model, max_tokens=4096, messages=ASK, thinking=thinking,
                               **extra)
    assert message in bad.value.message
    assert bad.value.body["error"]["type"] == "invalid_request_error"


def test_adaptive_thinking_follows_effort(client: anthropic.Anthropic) -> None:
    high = client.messages.create(model=OPUS_5, max_tokens=4096, messages=ASK,
                                  thinking={"type": "adaptive"})
    low = client.messages.create(model=OPUS_5, max_tokens=4096, messages=ASK,
                                 thinking={"type": "adaptive"},
                                 output_config={"effort": "low"})
    assert high.content[0].type == "thinking"
    assert low.content[0].type == "text"
    off = client.messages.create(model=OPUS_5, max_tokens=4096, messages=ASK,
                                 thinking={"type": "disabled"})
    assert [b.type for b in off.content] == ["text"]


def test_omitted_display_keeps_the_signature_and_the_bill(client: anthropic.Anthropic) -> None:
    shown = _think(client)
    hidden = _think(client, thinking={"type": "enabled", "budget_tokens": 2048,
                                      "display": "omitted"})
    assert hidden.content[0].thinking == "" and hidden.content[0].signature
    assert hidden.usage.output_tokens == shown.usage.output_tokens


def test_redacted_thinking_round_trips(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    llm.set_behaviour(redacted_thinking=True)
    reply = _think(client)
    block = reply.content[0]
    assert block.type == "redacted_thinking" and block.data
    history = [*ASK, {"role": "assistant", "content": [block.model_dump(), reply.content[1]]},
               {"role": "user", "content": "And at sunset?"}]
    again = _think(client, messages=history)
    assert again.content[-1].type == "text"
    forged = [*ASK, {"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": "Zm9yZ2Vk"}, reply.content[1]]},
        {"role": "user", "content": "And at sunset?"}]
    with pytest.raises(anthropic.BadRequestError) as bad:
        _think(client, messages=forged)
    assert "Invalid `data` in `redacted_thinking` block" in bad.value.message


def test_streaming_sends_thinking_and_signature_deltas(client: anthropic.Anthropic) -> None:
    kinds: list[str] = []
    with client.messages.stream(model=SONNET_46, max_tokens=4096, messages=ASK,
                                thinking={"type": "enabled", "budget_tokens": 2048}) as s:
        for ev in s:
            if ev.type == "content_block_delta":
                kinds.append(ev.delta.type)
        final = s.get_final_message()
    assert kinds[0] == "thinking_delta" and "signature_delta" in kinds
    assert kinds.index("signature_delta") < kinds.index("text_delta")
    whole = _think(client)
    assert final.content[0].thinking == whole.content[0].thinking
    assert final.content[0].signature == whole.content[0].signature


def test_async_streaming_thinking(llm: FakeLLMServer) -> None:
    async def run() -> Any:
        c = anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0)
        async with c, c.messages.stream(
            model=SONNET_46, max_tokens=4096, messages=ASK,
            thinking={"type": "enabled", "budget_tokens": 2048},
        ) as s:
            return await s.get_final_message()

    final = asyncio.run(run())
    assert final.content[0].type == "thinking" and final.content[0].signature


def test_thinking_takes_time_at_the_token_rate(llm: FakeLLMServer,
                                               client: anthropic.Anthropic) -> None:
    llm.set_behaviour(token_ms=5.0, thinking_tokens=2000)
    started = time.perf_counter()
    client.messages.create(model=SONNET_46, max_tokens=4096, messages=ASK)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    _think(client)
    thinking = time.perf_counter() - started
    # 2,000 thinking tokens are 8,000 characters: at least 300 deltas of 5 ms more.
    assert thinking - plain >= 1.0
