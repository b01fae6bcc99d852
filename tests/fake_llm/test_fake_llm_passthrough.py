"""Passthrough: a front fake forwarding to an upstream fake, faults applied in front."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest
from fake_llm_helpers import SONNET, TOOLS

from harness.fake_llm import FakeLLMServer

USER = [{"role": "user", "content": "Where is my order ORD-1001? It should have arrived."}]


@pytest.fixture
def pair() -> Iterator[tuple[FakeLLMServer, FakeLLMServer]]:
    upstream = FakeLLMServer(region="us", seed=5, api_key="real-key")
    upstream.start()
    front = FakeLLMServer(region="us", seed=5, upstream=upstream.url)
    try:
        front.start()
        yield front, upstream
    finally:
        front.stop()
        upstream.stop()


def _client(front: FakeLLMServer, key: str = "real-key") -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=front.url,
        api_key=key,
        max_retries=0,
        default_headers={"x-correlation-id": "c-9", "x-tenant-id": "acme"},
    )


def _same_usage(front_row: dict, upstream_row: dict) -> None:
    for key in (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost_usd",
        "stop_reason",
        "tool_calls",
        "model",
    ):
        assert front_row[key] == upstream_row[key], key


def test_forwards_with_the_callers_key_and_ledgers_real_usage(pair) -> None:
    front, upstream = pair
    with _client(front) as c:
        msg = c.messages.create(model=SONNET, max_tokens=100, tools=TOOLS, messages=USER)
        assert msg.stop_reason == "tool_use"
        with c.messages.stream(model=SONNET, max_tokens=100, messages=USER) as stream:
            text = "".join(stream.text_stream)
        assert text
        assert c.messages.count_tokens(model=SONNET, messages=USER).input_tokens > 0
    front_rows, upstream_rows = front.ledger(), upstream.ledger()
    assert len(front_rows) == len(upstream_rows) == 2
    for f, u in zip(front_rows, upstream_rows, strict=True):
        assert f["upstream"] is True and u["upstream"] is False
        assert f["request_id"] == u["request_id"]  # the upstream's id is kept
        assert (f["correlation_id"], f["tenant"]) == ("c-9", "acme")
        _same_usage(f, u)
    assert front_rows[1]["stream"] is True


def test_upstream_errors_are_relayed(pair) -> None:
    front, _upstream = pair
    with _client(front, key="wrong") as c, pytest.raises(anthropic.AuthenticationError):
        c.messages.create(model=SONNET, max_tokens=10, messages=USER)
    assert front.ledger()[-1]["status"] == 401
    assert front.ledger()[-1]["error_type"] == "authentication_error"


def test_faults_apply_in_front_of_the_upstream(pair) -> None:
    front, upstream = pair
    front.set_behaviour(error_first_n=1, error_status=529)
    with _client(front) as c:
        with pytest.raises(anthropic.OverloadedError):
            c.messages.create(model=SONNET, max_tokens=10, messages=USER)
        assert upstream.ledger() == []  # the failed call never reached the upstream
        front.set_behaviour(stream_error_probability=1.0)
        with (
            pytest.raises(anthropic.APIStatusError) as info,
            c.messages.stream(model=SONNET, max_tokens=200, messages=USER) as stream,
        ):
            for _ in stream.text_stream:
                pass
    assert info.value.type == "overloaded_error"
    assert front.ledger()[-1]["error_type"] == "overloaded_error"
    assert len(upstream.ledger()) == 1
