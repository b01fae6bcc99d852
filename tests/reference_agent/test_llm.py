"""LLM gateway logic against a respx-mocked Messages API (httpcore2 mocker, no sleeping)."""

import json

import httpcore2
import httpx
import pytest
import respx

from reference_agent.chat import Chat, current_chat
from reference_agent.config import build_config
from reference_agent.llm import LLMGateway, LLMUnavailable
from reference_agent.metrics import AgentMetrics
from reference_agent.patterns.budget import RequestBudget
from reference_agent.patterns.retry import Backoff

pytestmark = pytest.mark.anyio

US, EU = "http://us.llm.test", "http://eu.llm.test"


def ok_body(model="claude-sonnet-5-5"):
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0},
    }


def overloaded(headers=None):
    return httpx.Response(
        529, json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        headers=headers or {})


def make(profile="hardened", **overrides):
    cfg = build_config(profile, {"stream": False, **overrides})
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    gw = LLMGateway(cfg, AgentMetrics(), US, EU, "k", sleep=fake_sleep,
                    backoff=Backoff(cfg.backoff_base_ms, cfg.backoff_max_ms, rng=lambda: 1.0))
    return gw, sleeps


def chat(region="us", tenant="acme"):
    c = Chat(request_id="req-1", tenant=tenant, region=region, budget=RequestBudget(None))
    current_chat.set(c)
    return c


async def create(gw, c, model="claude-sonnet-5-5"):
    return await gw.create(c, model, max_tokens=10, messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def mock():
    with respx.mock(using="httpcore2", assert_all_called=False) as m:
        yield m


async def test_hardened_retries_with_backoff_and_headers(mock):
    route = mock.post(f"{US}/v1/messages").mock(
        side_effect=[overloaded(), overloaded({"retry-after": "2"}),
                     httpx.Response(200, json=ok_body())])
    gw, sleeps = make()
    c = chat()
    msg = await create(gw, c)
    assert msg.content[0].text == "hello"
    assert route.call_count == 3 and c.llm_calls == 3
    assert sleeps == [0.2, 2.0]  # full-jitter ceiling at rng=1, then the server's retry-after
    sent = route.calls[-1].request
    assert sent.headers["x-correlation-id"] == "req-1" and sent.headers["x-tenant-id"] == "acme"
    assert c.cost_usd > 0 and c.tokens == 15
    await gw.aclose()


async def test_naive_uses_sdk_retries_two_then_fails(mock, monkeypatch):
    monkeypatch.setattr("anthropic._base_client.AsyncAPIClient._calculate_retry_timeout",
                        lambda *a, **k: 0.0)
    route = mock.post(f"{US}/v1/messages").mock(return_value=overloaded())
    gw, _ = make("naive")
    c = chat()
    with pytest.raises(LLMUnavailable) as info:
        await create(gw, c, "claude-opus-5-5")
    assert info.value.kind == "overloaded"
    assert route.call_count == 3 and c.llm_calls == 3  # 1 + the SDK default of 2 retries
    await gw.aclose()


async def test_fallback_model_after_primary_exhausted(mock):
    def answer(request):
        model = json.loads(request.content)["model"]
        return overloaded() if model == "claude-sonnet-5-5" else httpx.Response(
            200, json=ok_body(model))

    mock.post(f"{US}/v1/messages").mock(side_effect=answer)
    gw, _ = make(max_retries=1, circuit_breaker=False)
    c = chat()
    msg = await create(gw, c)
    assert msg.model == "claude-haiku-5-5" and c.llm_calls == 3
    await gw.aclose()


async def test_breaker_opens_and_fails_fast(mock):
    route = mock.post(f"{US}/v1/messages").mock(return_value=overloaded())
    gw, _ = make(max_retries=2, breaker_threshold=3, fallback_model=False)
    with pytest.raises(LLMUnavailable):
        await create(gw, chat())
    assert route.call_count == 3
    with pytest.raises(LLMUnavailable) as info:
        await create(gw, chat())
    assert info.value.kind == "circuit_open" and route.call_count == 3  # no new call
    assert gw.breakers["us"].state.name == "OPEN"
    await gw.aclose()


async def test_region_pinning_never_calls_us_for_eu_tenant(mock):
    eu = mock.post(f"{EU}/v1/messages").mock(return_value=httpx.Response(500, json={
        "type": "error", "error": {"type": "api_error", "message": "down"}}))
    us = mock.post(f"{US}/v1/messages").mock(return_value=httpx.Response(200, json=ok_body()))
    gw, _ = make(max_retries=1)
    with pytest.raises(LLMUnavailable):
        await create(gw, chat("eu", "initech"))
    assert eu.call_count > 0 and us.call_count == 0
    await gw.aclose()


async def test_naive_eu_tenant_falls_over_to_us(mock, monkeypatch):
    monkeypatch.setattr("anthropic._base_client.AsyncAPIClient._calculate_retry_timeout",
                        lambda *a, **k: 0.0)
    mock.post(f"{EU}/v1/messages").mock(side_effect=httpcore2.ConnectError("refused"))
    us = mock.post(f"{US}/v1/messages").mock(return_value=httpx.Response(200, json=ok_body()))
    gw, _ = make("naive")
    c = chat("eu", "initech")
    msg = await create(gw, c, "claude-opus-5-5")
    assert msg.content[0].text == "hello" and us.call_count == 1
    assert c.endpoints_used == ["eu", "us"]
    await gw.aclose()
