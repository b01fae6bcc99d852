"""Prompt caching: breakpoints on system, tools and messages; TTLs; minimum prefix lengths."""

from __future__ import annotations

import anthropic
from fake_llm_helpers import SONNET, TOOLS

from harness.fake_llm import FakeLLMServer
from harness.fake_llm.pricing import MODELS, cost_usd
from harness.fake_llm.tokens import PromptCache, count_input_tokens, segments

LONG_SYSTEM = "You are a meticulous support agent. Follow the policy below.\n" + (
    "Policy clause: refunds are processed within five business days of approval. " * 90
)
QUESTION = [{"role": "user", "content": "What is the refund policy?"}]


def _system(ttl: str | None = None) -> list[dict[str, object]]:
    cache_control: dict[str, str] = {"type": "ephemeral"}
    if ttl:
        cache_control["ttl"] = ttl
    return [{"type": "text", "text": LONG_SYSTEM, "cache_control": cache_control}]


def test_second_call_reads_what_the_first_wrote(
    client: anthropic.Anthropic, llm: FakeLLMServer
) -> None:
    first = client.messages.create(
        model=SONNET,
        max_tokens=100,
        system=_system(),
        messages=QUESTION,  # type: ignore[arg-type]
    )
    second = client.messages.create(
        model=SONNET,
        max_tokens=100,
        system=_system(),
        messages=QUESTION,  # type: ignore[arg-type]
    )
    written = first.usage.cache_creation_input_tokens
    assert written and written >= MODELS[SONNET].min_cacheable
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == written
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.cache_read_input_tokens == written
    assert first.usage.input_tokens == second.usage.input_tokens  # the uncached remainder
    counted = client.messages.count_tokens(model=SONNET, system=_system(), messages=QUESTION)  # type: ignore[arg-type]
    assert counted.input_tokens == first.usage.input_tokens + written
    rows = llm.ledger()
    assert rows[0]["cache_creation_input_tokens"] == written
    assert rows[1]["cache_read_input_tokens"] == written
    assert rows[1]["cost_usd"] < rows[0]["cost_usd"]


def test_one_hour_ttl_is_reported_and_priced_at_2x(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model=SONNET,
        max_tokens=100,
        system=_system("1h"),
        messages=QUESTION,  # type: ignore[arg-type]
    )
    assert (
        msg.usage.cache_creation.ephemeral_1h_input_tokens == msg.usage.cache_creation_input_tokens
    )
    info = MODELS[SONNET]
    one_hour = cost_usd(info, input_tokens=0, output_tokens=0, cache_write_1h=1_000_000)
    five_min = cost_usd(info, input_tokens=0, output_tokens=0, cache_write_5m=1_000_000)
    assert (one_hour, five_min) == (2 * info.input, 1.25 * info.input)


def test_short_prefix_is_not_cached(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "Short prompt.", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        msg = client.messages.create(model=SONNET, max_tokens=50, system=system, messages=QUESTION)  # type: ignore[arg-type]
        assert msg.usage.cache_creation_input_tokens == 0
        assert msg.usage.cache_read_input_tokens == 0


def test_breakpoints_on_tools_and_messages_grow_the_prefix() -> None:
    tools = [dict(t) for t in TOOLS]
    tools[-1]["cache_control"] = {"type": "ephemeral"}
    body = {
        "model": SONNET,
        "max_tokens": 10,
        "tools": tools,
        "system": _system(),
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "first question " * 50}]},
            {"role": "assistant", "content": "an answer"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "follow-up", "cache_control": {"type": "ephemeral"}}
                ],
            },
        ],
    }
    clock = [0.0]
    cache = PromptCache(clock=lambda: clock[0])
    segs = segments(body)
    first = cache.apply(SONNET, segs, 1024)
    total = count_input_tokens(body)
    assert first.cache_read == 0 and first.cache_creation + first.input_tokens == total
    # Same prefix up to the system breakpoint, new last turn: a partial hit.
    body["messages"][-1]["content"][0]["text"] = "another follow-up"  # type: ignore[index]
    second = cache.apply(SONNET, segments(body), 1024)
    assert 0 < second.cache_read < first.cache_creation
    assert second.total == count_input_tokens(body) > total
    # After the TTL nothing is read.
    clock[0] += 301
    third = cache.apply(SONNET, segments(body), 1024)
    assert (
        third.cache_read == 0 and third.cache_creation == second.cache_read + second.cache_creation
    )


def test_cache_read_refreshes_the_ttl() -> None:
    body = {"model": SONNET, "max_tokens": 10, "system": _system(), "messages": QUESTION}
    clock = [0.0]
    cache = PromptCache(clock=lambda: clock[0])
    written = cache.apply(SONNET, segments(body), 1024).cache_creation
    for _ in range(3):
        clock[0] += 200  # each read within 5 minutes of the previous use
        assert cache.apply(SONNET, segments(body), 1024).cache_read == written
