"""Error statuses: real body shape, and each one raising the SDK's own exception class."""

from __future__ import annotations

import time

import anthropic
import httpx
import pytest
from fake_llm_helpers import API_HEADERS, SONNET

from harness.fake_llm import FakeLLMServer

USER = [{"role": "user", "content": "hello"}]


def _post(llm: FakeLLMServer, **kwargs: object) -> httpx.Response:
    kwargs.setdefault("headers", API_HEADERS)
    return httpx.post(f"{llm.url}/v1/messages", timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": SONNET, "messages": USER}, "max_tokens: Field required"),
        ({"max_tokens": 5, "messages": USER}, "model: Field required"),
        ({"model": SONNET, "max_tokens": 5}, "messages: Field required"),
        (
            {"model": SONNET, "max_tokens": 5, "messages": [{"role": "assistant", "content": "x"}]},
            'first message must use the "user" role',
        ),
        (
            {"model": SONNET, "max_tokens": 5, "messages": [{"role": "robot", "content": "x"}]},
            "messages.0.role",
        ),
    ],
)
def test_invalid_requests_are_400_with_the_real_body_shape(
    llm: FakeLLMServer, body: dict[str, object], fragment: str
) -> None:
    resp = _post(llm, json=body)
    assert resp.status_code == 400
    data = resp.json()
    assert data["type"] == "error"
    assert data["error"]["type"] == "invalid_request_error"
    assert fragment in data["error"]["message"]


def test_bad_json_is_400(llm: FakeLLMServer) -> None:
    resp = _post(llm, content=b'{"model": ', headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert llm.ledger()[-1]["status"] == 400
    assert llm.ledger()[-1]["error_type"] == "invalid_request_error"


def test_bad_role_raises_bad_request_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(
            model=SONNET, max_tokens=5, messages=[{"role": "assistant", "content": "x"}]
        )


def test_unknown_model_raises_not_found_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model="claude-nonexistent-9", max_tokens=5, messages=USER)
    assert info.value.type == "not_found_error"
    assert info.value.request_id and info.value.request_id.startswith("req_")


def test_wrong_api_key_raises_authentication_error() -> None:
    with FakeLLMServer(api_key="right") as llm:
        bad = anthropic.Anthropic(base_url=llm.url, api_key="wrong", max_retries=0)
        with bad, pytest.raises(anthropic.AuthenticationError):
            bad.messages.create(model=SONNET, max_tokens=5, messages=USER)
        with anthropic.Anthropic(base_url=llm.url, api_key="right", max_retries=0) as good:
            assert good.messages.create(model=SONNET, max_tokens=5, messages=USER).content


def test_too_large_body_raises_request_too_large() -> None:
    with FakeLLMServer(max_body_bytes=2_000) as llm:
        c = anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0)
        with c, pytest.raises(anthropic.RequestTooLargeError) as info:
            c.messages.create(
                model=SONNET, max_tokens=5, messages=[{"role": "user", "content": "x" * 5000}]
            )
        assert info.value.status_code == 413
        assert llm.ledger()[-1]["error_type"] == "request_too_large"


@pytest.mark.parametrize(
    ("status", "exc", "error_type"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_injected_errors_raise_sdk_classes(
    llm: FakeLLMServer,
    client: anthropic.Anthropic,
    status: int,
    exc: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    llm.set_behaviour(error_status=status, error_probability=1.0)
    with pytest.raises(exc) as info:
        client.messages.create(model=SONNET, max_tokens=5, messages=USER)
    assert info.value.status_code == status
    assert info.value.type == error_type
    if status == 429:
        assert info.value.response.headers["retry-after"] == "1"
    row = llm.ledger()[-1]
    assert (row["status"], row["error_type"], row["output_tokens"]) == (status, error_type, 0)


def test_sdk_retries_529_and_the_ledger_shows_every_attempt(llm: FakeLLMServer) -> None:
    llm.set_behaviour(error_first_n=2, error_status=529)
    with anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=2) as c:
        message = c.messages.create(model=SONNET, max_tokens=20, messages=USER)
    assert message.stop_reason == "end_turn"
    rows = llm.ledger()
    assert [r["status"] for r in rows] == [529, 529, 200]
    assert llm.app.behaviour.snapshot()["error_first_n"] == 0


def test_sdk_honours_retry_after_of_a_429(llm: FakeLLMServer) -> None:
    llm.set_behaviour(error_first_n=1, error_status=429)
    with anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=1) as c:
        started = time.monotonic()
        c.messages.create(model=SONNET, max_tokens=20, messages=USER)
        waited = time.monotonic() - started
    assert [r["status"] for r in llm.ledger()] == [429, 200]
    assert waited >= 0.9  # retry-after: 1 (the SDK's own backoff would start at ~0.5 s)


def test_real_rate_limit_produces_429_with_retry_after() -> None:
    with FakeLLMServer(rate_limit_requests=2) as llm:
        with anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as c:
            first = c.messages.with_raw_response.create(model=SONNET, max_tokens=5, messages=USER)
            assert first.headers["anthropic-ratelimit-requests-limit"] == "2"
            assert first.headers["anthropic-ratelimit-requests-remaining"] == "1"
            c.messages.create(model=SONNET, max_tokens=5, messages=USER)
            with pytest.raises(anthropic.RateLimitError) as info:
                c.messages.create(model=SONNET, max_tokens=5, messages=USER)
        assert int(info.value.response.headers["retry-after"]) >= 1
        assert [r["status"] for r in llm.ledger()] == [200, 200, 429]
