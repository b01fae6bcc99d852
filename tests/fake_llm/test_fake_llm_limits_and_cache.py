"""Rate limits as the API counts them, automatic caching, cache writes at response start, and
images tokenised from their size, through the real SDK."""

from __future__ import annotations

import asyncio
import base64
import io

import anthropic
import pytest
from fake_llm_helpers import SONNET
from PIL import Image

from harness.fake_llm import FakeLLMServer
from harness.fake_llm.media import scaled_image_tokens

ASK = [{"role": "user", "content": "hello there"}]
LONG_SYSTEM = "Our policy text. " * 600  # ~2,550 tokens: above Sonnet 5.5's 1,024 minimum


def _limits(raw: anthropic.APIResponse[object]) -> dict[str, int]:
    return {
        kind: int(raw.headers[f"anthropic-ratelimit-{kind}-remaining"])
        for kind in ("requests", "input-tokens", "output-tokens")
    }


def test_limits_are_per_model() -> None:
    with (
        FakeLLMServer(rate_limit_requests=2) as llm,
        anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
    ):
        for _ in range(2):
            client.messages.create(model=SONNET, max_tokens=10, messages=ASK)
        with pytest.raises(anthropic.RateLimitError) as info:
            client.messages.create(model=SONNET, max_tokens=10, messages=ASK)
        message = info.value.body["error"]["message"]
        assert "rate limit of 2 requests per minute (model: claude-sonnet-5-5)" in message
        assert int(info.value.response.headers["retry-after"]) >= 1
        # Another model has its own buckets.
        assert client.messages.create(model="claude-haiku-5-5", max_tokens=10, messages=ASK)


def test_output_tokens_estimated_from_max_tokens_then_settled() -> None:
    with (
        FakeLLMServer(rate_limit_output_tokens=1000) as llm,
        anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
    ):
        with client.messages.with_streaming_response.create(
            model=SONNET, max_tokens=900, messages=ASK, stream=True
        ) as streamed:
            # The headers go out as the stream starts: max_tokens is still taken.
            assert int(streamed.headers["anthropic-ratelimit-output-tokens-remaining"]) <= 100
            events = [line for line in streamed.iter_lines() if line.startswith("data:")]
        assert events
        used = llm.ledger()[-1]["output_tokens"]
        # Settled at the end: the next call sees only the real output gone.
        after = client.messages.with_raw_response.create(model=SONNET, max_tokens=5, messages=ASK)
        assert (
            _limits(after)["output-tokens"] >= 1000 - used - after.parse().usage.output_tokens - 5
        )
        with pytest.raises(anthropic.RateLimitError) as info:  # more than the bucket holds
            client.messages.create(model=SONNET, max_tokens=1001, messages=ASK)
        assert "output tokens per minute" in info.value.body["error"]["message"]


def test_cache_reads_do_not_count_towards_input_tokens() -> None:
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    with (
        FakeLLMServer(rate_limit_tokens=10_000) as llm,
        anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
    ):
        first = client.messages.with_raw_response.create(
            model=SONNET, max_tokens=10, system=system, messages=ASK
        )
        usage = first.parse().usage
        spent = 10_000 - _limits(first)["input-tokens"]
        assert spent >= usage.cache_creation_input_tokens + usage.input_tokens - 5
        second = client.messages.with_raw_response.create(
            model=SONNET, max_tokens=10, system=system, messages=ASK
        )
        assert second.parse().usage.cache_read_input_tokens == usage.cache_creation_input_tokens
        spent_again = _limits(first)["input-tokens"] - _limits(second)["input-tokens"]
        assert spent_again <= second.parse().usage.input_tokens + 5  # refill may add a little


def test_top_level_cache_control_caches_the_whole_prompt(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": LONG_SYSTEM}]
    first = client.messages.create(
        model=SONNET, max_tokens=10, messages=messages, cache_control={"type": "ephemeral"}
    )
    total = client.messages.count_tokens(model=SONNET, messages=messages).input_tokens
    assert first.usage.cache_creation_input_tokens == total and first.usage.input_tokens == 0
    second = client.messages.create(
        model=SONNET, max_tokens=10, messages=messages, cache_control={"type": "ephemeral"}
    )
    assert second.usage.cache_read_input_tokens == total


def test_cache_is_written_when_the_response_begins_not_at_admission(llm: FakeLLMServer) -> None:
    """Two calls sent together both miss: neither response had begun when the other was
    admitted. A third call, after them, reads the prefix."""
    llm.set_behaviour(ttft_ms=400)
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]

    async def run() -> list[anthropic.types.Usage]:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k") as client:

            async def one() -> anthropic.types.Usage:
                reply = await client.messages.create(
                    model=SONNET, max_tokens=10, system=system, messages=ASK
                )
                return reply.usage

            both = await asyncio.gather(one(), one())
            return [*both, await one()]

    first, second, third = asyncio.run(run())
    assert first.cache_creation_input_tokens and second.cache_creation_input_tokens
    assert not first.cache_read_input_tokens and not second.cache_read_input_tokens
    assert third.cache_read_input_tokens == first.cache_creation_input_tokens


def _png(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize(("size", "expected"), [((200, 150), 40), ((4000, 3000), 1534)])
def test_images_count_by_their_size(
    client: anthropic.Anthropic, size: tuple[int, int], expected: int
) -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": _png(*size)},
    }
    with_image = [{"role": "user", "content": [image, {"type": "text", "text": "what?"}]}]
    without = [{"role": "user", "content": [{"type": "text", "text": "what?"}]}]
    count = client.messages.count_tokens
    delta = (
        count(model=SONNET, messages=with_image).input_tokens
        - count(model=SONNET, messages=without).input_tokens
    )
    assert delta == scaled_image_tokens(*size) and abs(delta - expected) <= 2


def test_pdf_documents_count_per_page(client: anthropic.Anthropic) -> None:
    pages = b"".join(b"<< /Type /Page /Parent 2 0 R >>\n" for _ in range(3))
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 3 >>\n" + pages + b"%%EOF"
    document = {
        "type": "document",
        "source": {
            "type": "base64",
            "media_type": "application/pdf",
            "data": base64.b64encode(pdf).decode(),
        },
    }
    one = [{"role": "user", "content": [document, {"type": "text", "text": "summarise"}]}]
    none = [{"role": "user", "content": [{"type": "text", "text": "summarise"}]}]
    count = client.messages.count_tokens
    delta = (
        count(model=SONNET, messages=one).input_tokens
        - count(model=SONNET, messages=none).input_tokens
    )
    assert delta == 2 + 3 * (1500 + 1534)  # block framing + 3 pages of text and image
