"""GET /v1/models and /v1/models/{id} through the SDK's models.list / models.retrieve."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import anthropic
import pytest
from anthropic._data import DEPRECATED_MODELS

from harness.fake_llm import FakeLLMServer
from harness.fake_llm.pricing import MODELS, resolve

TODAY = dt.datetime.now(dt.UTC)


def _end_of_life(text: str) -> dt.datetime:
    """`January 22nd, 2027` -> a datetime."""
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)", r"\1", text)
    return dt.datetime.strptime(cleaned, "%B %d, %Y").replace(tzinfo=dt.UTC)


def test_list_pages_through_every_served_model(client: anthropic.Anthropic) -> None:
    everything = [m.id for m in client.models.list()]
    paged = [m.id for m in client.models.list(limit=3)]  # the SDK follows after_id
    assert paged == everything and len(set(everything)) == len(everything)
    first = client.models.list(limit=3)
    assert first.has_more and first.first_id == everything[0] and first.last_id == everything[2]
    for model_id in everything:  # every listed model is served and priced
        assert resolve(model_id) is not None
    assert "claude-haiku-4-5-20251001" in everything and "claude-sonnet-5-5" in everything


def test_deprecated_models_are_served_until_their_end_of_life(
    client: anthropic.Anthropic,
) -> None:
    listed = {m.id: m for m in client.models.list(limit=1000)}
    for model_id, eol in DEPRECATED_MODELS.items():
        alive = _end_of_life(eol) > TODAY
        info = MODELS.get(model_id)
        if alive:
            assert info is not None and info.lifecycle == "deprecated", model_id
            assert info.input > 0 and info.output > 0  # priced
            shown = listed[info.dated_id or info.id]
            assert shown.lifecycle == "deprecated" and shown.retires_at is not None
            reply = client.messages.create(
                model=model_id, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
            assert reply.content
        else:
            assert info is None, model_id
            with pytest.raises(anthropic.NotFoundError):
                client.messages.create(
                    model=model_id, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
                )


def test_retired_models_only_on_request(client: anthropic.Anthropic) -> None:
    default = {m.id for m in client.models.list()}
    retired = [m for m in client.models.list(lifecycle=["retired"])]
    assert retired and all(m.lifecycle == "retired" for m in retired)
    assert not default & {m.id for m in retired}


def test_before_id_pages_backwards(client: anthropic.Anthropic) -> None:
    everything = [m.id for m in client.models.list(limit=1000)]
    page = client.models.list(before_id=everything[5], limit=2)
    assert [m.id for m in page.data] == everything[3:5] and page.has_more


def test_retrieve(client: anthropic.Anthropic) -> None:
    model = client.models.retrieve("claude-haiku-4-5")  # the alias resolves to the snapshot
    assert model.id == "claude-haiku-4-5-20251001" and model.display_name == "Claude Haiku 4.5"
    assert (model.max_input_tokens, model.max_tokens) == (200_000, 64_000)
    assert model.type == "model" and model.lifecycle == "active"
    with pytest.raises(anthropic.NotFoundError) as info:
        client.models.retrieve("claude-nonexistent-1")
    assert info.value.body["error"]["type"] == "not_found_error"


def test_bad_limit_is_400(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.models.list(limit=1001)
    assert (
        info.value.body["error"]["message"] == "limit: Input should be less than or equal to 1000"
    )


def test_async_list(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    async def run() -> list[str]:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k") as ac:
            return [m.id async for m in ac.models.list(limit=4)]

    assert asyncio.run(run()) == [m.id for m in client.models.list()]
