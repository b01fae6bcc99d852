"""Requests the real API rejects are rejected here too, with its 400 and message, through the
real SDK (sync, async and streaming)."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest
from fake_llm_helpers import ORDER_TOOL, SONNET

from harness.fake_llm import FakeLLMServer

OLD = {"anthropic-version": "2023-06-01"}
ASK = [{"role": "user", "content": "Where is ORD-1001?"}]
CALL = {"type": "tool_use", "id": "toolu_01A", "name": "order_lookup", "input": {"order_id": "1"}}
RESULT = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "shipped"}


def _rejected(client: anthropic.Anthropic, **kwargs: Any) -> str:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(**{"model": SONNET, "max_tokens": 50, "messages": ASK, **kwargs})
    assert info.value.status_code == 400
    body = info.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "invalid_request_error"
    assert info.value.request_id and info.value.request_id.startswith("req_")
    return str(body["error"]["message"])


def test_unknown_top_level_field(client: anthropic.Anthropic) -> None:
    message = _rejected(client, extra_body={"reasoning_effort": "high"})
    assert message == "reasoning_effort: Extra inputs are not permitted"


@pytest.mark.parametrize("name", ["temperature", "top_p", "top_k"])
def test_sampling_parameters_are_gone_from_2026_10_21(
    client: anthropic.Anthropic, name: str
) -> None:
    # Even at the default value, and on a model that took them under 2023-06-01.
    value = 1 if name != "top_k" else 5
    message = _rejected(client, model="claude-sonnet-4-6", extra_body={name: value})
    assert message == f"{name}: Extra inputs are not permitted"


def test_sampling_under_2023_06_01(client: anthropic.Anthropic) -> None:
    old = "claude-sonnet-4-6"
    ok = client.messages.create(
        model=old, max_tokens=20, messages=ASK, extra_body={"temperature": 0.2}, extra_headers=OLD
    )
    assert ok.stop_reason in ("end_turn", "max_tokens")
    assert (
        _rejected(client, model=old, extra_body={"temperature": 1.5}, extra_headers=OLD)
        == "temperature: Input should be less than or equal to 1"
    )
    assert (
        _rejected(client, model=old, extra_body={"top_k": -1}, extra_headers=OLD)
        == "top_k: Input should be greater than or equal to 0"
    )
    both = _rejected(
        client, model=old, extra_body={"temperature": 0.5, "top_p": 0.9}, extra_headers=OLD
    )
    assert both.startswith("`temperature` and `top_p` cannot both be specified")
    # Opus 4.7 and later no longer take them under any version.
    assert (
        _rejected(client, model="claude-opus-4-7", extra_body={"top_p": 0.5}, extra_headers=OLD)
        == "`top_p` is deprecated for this model."
    )


def test_version_and_beta_headers(client: anthropic.Anthropic) -> None:
    bad_version = _rejected(client, extra_headers={"anthropic-version": "2024-01-01"})
    assert bad_version == "anthropic-version: invalid version '2024-01-01'"
    known = client.messages.create(
        model=SONNET,
        max_tokens=20,
        messages=ASK,
        extra_headers={"anthropic-beta": "context-1m-2025-08-07,extended-cache-ttl-2025-04-11"},
    )
    assert known.content
    unknown = _rejected(
        client, extra_headers={"anthropic-beta": "context-1m-2025-08-07,no-such-beta"}
    )
    assert unknown.startswith("Unexpected value(s) `no-such-beta` for the `anthropic-beta` header")


def test_max_tokens_above_the_model_maximum(client: anthropic.Anthropic) -> None:
    # The SDK insists on streaming for so many tokens.
    with (
        pytest.raises(anthropic.BadRequestError) as info,
        client.messages.stream(model="claude-haiku-4-5", max_tokens=64_001, messages=ASK) as s,
    ):
        s.get_final_message()
    assert info.value.body["error"]["message"] == (
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens"
        " for claude-haiku-4-5"
    )


def test_unanswered_tool_use(client: anthropic.Anthropic) -> None:
    messages = [*ASK, {"role": "assistant", "content": [CALL]}, {"role": "user", "content": "and?"}]
    message = _rejected(client, tools=[ORDER_TOOL], messages=messages)
    assert message.startswith(
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after:"
        " toolu_01A."
    )


def test_orphan_tool_result(client: anthropic.Anthropic) -> None:
    messages = [
        *ASK,
        {"role": "assistant", "content": "Let me check."},
        {"role": "user", "content": [RESULT]},
    ]
    message = _rejected(client, tools=[ORDER_TOOL], messages=messages)
    assert message.startswith(
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01A."
    )


def test_answered_tool_use_is_accepted(client: anthropic.Anthropic) -> None:
    messages = [
        *ASK,
        {"role": "assistant", "content": [CALL]},
        {"role": "user", "content": [RESULT]},
    ]
    reply = client.messages.create(
        model=SONNET, max_tokens=100, tools=[ORDER_TOOL], messages=messages
    )
    assert reply.stop_reason == "end_turn"


def test_prompt_too_long_for_the_context_window(client: anthropic.Anthropic) -> None:
    text = "word " * 250_000  # ~312K tokens at 4 characters a token: over Haiku 4.5's 200K
    message = _rejected(
        client, model="claude-haiku-4-5", messages=[{"role": "user", "content": text}]
    )
    assert message.startswith("prompt is too long: ") and message.endswith(" > 200000 maximum")
    tokens = int(message.split()[4])
    assert (
        tokens
        == client.messages.count_tokens(
            model=SONNET, messages=[{"role": "user", "content": text}]
        ).input_tokens
    )


def test_at_most_four_cache_breakpoints(client: anthropic.Anthropic) -> None:
    cc = {"type": "ephemeral"}
    system = [{"type": "text", "text": f"part {i}", "cache_control": cc} for i in range(4)]
    assert client.messages.create(model=SONNET, max_tokens=10, system=system, messages=ASK)
    message = _rejected(client, system=system, cache_control=cc)  # top-level uses a 5th
    assert message == "A maximum of 4 blocks with cache_control may be provided. Found 5."


def test_max_tokens_zero_warms_the_cache(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "policy " * 2000, "cache_control": {"type": "ephemeral"}}]
    warm = client.messages.create(model=SONNET, max_tokens=0, system=system, messages=ASK)
    assert warm.content == [] and warm.stop_reason == "max_tokens"
    assert warm.usage.output_tokens == 0 and warm.usage.cache_creation_input_tokens
    hit = client.messages.create(model=SONNET, max_tokens=50, system=system, messages=ASK)
    assert hit.usage.cache_read_input_tokens == warm.usage.cache_creation_input_tokens
    assert llm.ledger()[0]["output_tokens"] == 0


def test_rejections_through_the_stream_and_async_clients(llm: FakeLLMServer) -> None:
    client = anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0)
    with (
        pytest.raises(anthropic.BadRequestError) as info,
        client.messages.stream(
            model=SONNET, max_tokens=50, messages=ASK, extra_body={"temperature": 0.5}
        ) as stream,
    ):
        stream.get_final_message()
    assert info.value.body["error"]["message"] == "temperature: Extra inputs are not permitted"

    async def run() -> str:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0) as ac:
            try:
                await ac.messages.create(
                    model=SONNET,
                    max_tokens=50,
                    messages=[*ASK, {"role": "assistant", "content": [CALL]}],
                )
            except anthropic.BadRequestError as exc:
                return str(exc.body["error"]["message"])
        return "accepted"

    assert asyncio.run(run()).startswith("messages.1: `tool_use` ids were found without")


def test_count_tokens_is_validated_too(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.count_tokens(model=SONNET, messages=ASK, extra_body={"max_tokens": 5})
    assert info.value.body["error"]["message"] == "max_tokens: Extra inputs are not permitted"


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    ("headers", "trace", "correlation"),
    [
        ({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}, TRACE, TRACE),
        ({"traceparent": f"00-{TRACE.upper()}-00f067aa0ba902b7-01"}, TRACE, TRACE),
        (
            {"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01", "x-correlation-id": "rid-7"},
            TRACE,
            "rid-7",
        ),
        ({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}, None, None),
        ({"traceparent": "garbage"}, None, None),
        ({}, None, None),
    ],
)
def test_ledger_records_the_traceparent(
    llm: FakeLLMServer,
    client: anthropic.Anthropic,
    headers: dict[str, str],
    trace: str | None,
    correlation: str | None,
) -> None:
    client.messages.create(model=SONNET, max_tokens=20, messages=ASK, extra_headers=headers)
    client.messages.create(model=SONNET, max_tokens=20, messages=ASK, extra_headers=headers)
    for row in llm.ledger():  # the second call is memoised: its row comes from a template
        assert (row["trace_id"], row["correlation_id"]) == (trace, correlation)


def test_the_snapshotted_request_vocabulary_is_the_installed_sdks() -> None:
    # The fake reads sdk_fields.json instead of importing the SDK; when a new SDK changes the
    # vocabulary, run `python harness/fake_llm/sdk_snapshot.py`. A release that only bumps
    # the version (2.15.0 -> 2.16.0 did) changes nothing the fake reads.
    from harness.fake_llm import sdk_snapshot

    taken, installed = dict(sdk_snapshot.snapshot()), sdk_snapshot.from_sdk()
    taken_from, version = taken.pop("sdk_version"), installed.pop("sdk_version")
    assert taken == installed, f"sdk_fields.json is from SDK {taken_from}, installed {version}"
