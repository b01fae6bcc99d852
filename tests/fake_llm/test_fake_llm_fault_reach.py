"""Each fault as an SDK agent meets it: through `messages.stream()` (sync) and the async
client, asserting what the agent sees (exception, final message, stop reason, usage)."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import httpx2
import jsonschema
import pytest
from fake_llm_helpers import ORDER_TOOL, SONNET

from harness.fake_llm import FakeLLMServer

LONG = [{"role": "user", "content": "Tell me about the history of container shipping, from 1950."}]
ORDER = [{"role": "user", "content": "Where is ORD-1001?"}]
ARGS: dict[str, Any] = {"model": SONNET, "max_tokens": 300}


def _sync(llm: FakeLLMServer, **kwargs: Any) -> anthropic.types.Message:
    with (
        anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
        client.messages.stream(**{**ARGS, **kwargs}) as stream,
    ):
        return stream.get_final_message()


def _async(llm: FakeLLMServer, **kwargs: Any) -> anthropic.types.Message:
    async def run() -> anthropic.types.Message:
        async with (
            anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
            client.messages.stream(**{**ARGS, **kwargs}) as stream,
        ):
            return await stream.get_final_message()

    return asyncio.run(run())


STREAMS = [pytest.param(_sync, id="sync-stream"), pytest.param(_async, id="async-stream")]


@pytest.mark.parametrize("drive", STREAMS)
@pytest.mark.parametrize("kind", ["overloaded_error", "api_error", "rate_limit_error"])
def test_mid_stream_error_of_any_type(llm: FakeLLMServer, drive: Any, kind: str) -> None:
    llm.set_behaviour(stream_error_probability=1.0, stream_error_type=kind)
    with pytest.raises(anthropic.APIStatusError) as info:
        drive(llm, messages=LONG)
    assert info.value.type == kind and info.value.status_code == 200
    row = llm.ledger()[-1]
    assert (row["status"], row["error_type"], row["stop_reason"]) == (200, kind, None)
    assert row["output_tokens"] > 0  # some text was sent before the error


@pytest.mark.parametrize("drive", STREAMS)
def test_stream_cut(llm: FakeLLMServer, drive: Any) -> None:
    llm.set_behaviour(stream_cut_probability=1.0)
    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        drive(llm, messages=LONG)
    assert llm.ledger()[-1]["error_type"] == "stream_cut"


@pytest.mark.parametrize("drive", STREAMS)
def test_truncated_tool_call_uses_up_max_tokens(llm: FakeLLMServer, drive: Any) -> None:
    llm.set_behaviour(truncated_tool_json_probability=1.0)
    final = drive(llm, tools=[ORDER_TOOL], messages=ORDER, max_tokens=120)
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 120
    assert final.content[0].type == "tool_use" and "order_id" not in final.content[0].input
    assert llm.ledger()[-1]["output_tokens"] == 120


@pytest.mark.parametrize("drive", STREAMS)
def test_schema_invalid_tool_input_reaches_the_agent(llm: FakeLLMServer, drive: Any) -> None:
    llm.set_behaviour(malformed_tool_probability=1.0)  # malformed_tool_mode "schema"
    final = drive(llm, tools=[ORDER_TOOL], messages=ORDER)
    call = final.content[0]
    assert call.type == "tool_use" and final.stop_reason == "tool_use"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(call.input, ORDER_TOOL["input_schema"])


@pytest.mark.parametrize("drive", STREAMS)
def test_invalid_json_tool_input_breaks_the_sdk_stream(llm: FakeLLMServer, drive: Any) -> None:
    llm.set_behaviour(malformed_tool_probability=1.0, malformed_tool_mode="invalid_json")
    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        drive(llm, tools=[ORDER_TOOL], messages=ORDER)


def test_invalid_json_tool_input_without_streaming(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    llm.set_behaviour(malformed_tool_probability=1.0, malformed_tool_mode="invalid_json")
    msg = client.messages.create(**ARGS, tools=[ORDER_TOOL], messages=ORDER)
    call = msg.content[0]
    assert call.type == "tool_use" and set(call.input) == {"INVALID_JSON"}
    assert "ORD-1001" in call.input["INVALID_JSON"]


@pytest.mark.parametrize("drive", STREAMS)
@pytest.mark.parametrize("stop", ["refusal", "pause_turn", "model_context_window_exceeded"])
def test_forced_stop_reasons(llm: FakeLLMServer, drive: Any, stop: str) -> None:
    llm.set_behaviour(stop_override=stop)
    final = drive(llm, messages=LONG)
    assert final.stop_reason == stop
    assert all(block.type == "text" for block in final.content)
    if stop == "refusal":
        assert final.stop_details is not None and final.stop_details.type == "refusal"
    else:
        assert final.stop_details is None
    row = llm.ledger()[-1]
    assert row["stop_reason"] == stop and row["output_tokens"] == final.usage.output_tokens


def test_forced_stop_without_streaming_and_with_tools(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    llm.set_behaviour(stop_override="refusal")
    msg = client.messages.create(**ARGS, tools=[ORDER_TOOL], messages=ORDER)
    assert msg.stop_reason == "refusal" and not [b for b in msg.content if b.type == "tool_use"]
    assert msg.stop_details is not None and msg.stop_details.category is None


def test_forced_stop_probability_is_seeded() -> None:
    def outcomes() -> list[str | None]:
        with (
            FakeLLMServer(seed=3) as llm,
            anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
        ):
            llm.set_behaviour(stop_override="pause_turn", stop_override_probability=0.5)
            return [client.messages.create(**ARGS, messages=LONG).stop_reason for _ in range(10)]

    first = outcomes()
    assert first == outcomes() and {"pause_turn", "end_turn"} <= set(first)
