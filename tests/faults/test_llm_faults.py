"""LLM faults against the real fake LLM's control API."""

import httpx
import pytest
from fault_helpers import spec

from harness.errors import FaultError
from harness.faults import FaultContext, build_fault

pytestmark = pytest.mark.integration


def behaviour(url: str) -> dict:
    return httpx.get(f"{url}/_control/behaviour").json()


@pytest.mark.parametrize(("entry", "fields"), [
    ({"kind": "http_error", "status": 529, "probability": 0.3},
     {"error_status": 529, "error_probability": 0.3}),
    ({"kind": "http_error", "status": 429, "first_n": 2},
     {"error_status": 429, "error_first_n": 2}),
    ({"kind": "slow_ttft", "ttft_ms": 800}, {"ttft_ms": 800}),
    ({"kind": "slow_tokens", "token_ms": 30}, {"token_ms": 30}),
    ({"kind": "stream_cut", "probability": 0.5}, {"stream_cut_probability": 0.5}),
    ({"kind": "stream_error"}, {"stream_error_probability": 1.0}),
    ({"kind": "stream_error", "error_type": "api_error"},
     {"stream_error_probability": 1.0, "stream_error_type": "api_error"}),
    ({"kind": "truncated_tool_json", "probability": 0.2}, {"truncated_tool_json_probability": 0.2}),
    ({"kind": "malformed_tool_call"}, {"malformed_tool_probability": 1.0}),
    ({"kind": "malformed_tool_call", "mode": "invalid_json", "probability": 0.5},
     {"malformed_tool_probability": 0.5, "malformed_tool_mode": "invalid_json"}),
    ({"kind": "stop_reason", "stop_reason": "pause_turn"},
     {"stop_override": "pause_turn", "stop_override_probability": 1.0}),
    ({"kind": "loop"}, {"loop": True}),
    ({"kind": "token_flood", "output_tokens": 4000}, {"output_tokens": 4000}),
    ({"kind": "susceptible"}, {"susceptible": True}),
])
def test_each_kind_sets_its_fields_and_reverts_to_defaults(fake_llm, entry, fields):
    baseline = behaviour(fake_llm.url)
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", llm_control={"llm": fake_llm.url})
    fault = build_fault(0, spec(target="llm", **entry))
    fault.apply(ctx)
    now = behaviour(fake_llm.url)
    for key, value in fields.items():
        assert now[key] == value
    assert {k: v for k, v in now.items() if k not in fields} == {
        k: v for k, v in baseline.items() if k not in fields}
    fault.revert(ctx)
    assert behaviour(fake_llm.url) == baseline


def test_overlapping_faults_do_not_undo_each_other(fake_llm):
    baseline = behaviour(fake_llm.url)
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", llm_control={"llm": fake_llm.url})
    errors = build_fault(0, spec(target="llm", kind="http_error", status=529, probability=0.3))
    slow = build_fault(1, spec(target="llm", kind="slow_ttft", ttft_ms=500))
    worse = build_fault(2, spec(target="llm", kind="http_error", status=500, probability=0.9))
    errors.apply(ctx)
    slow.apply(ctx)
    worse.apply(ctx)
    errors.revert(ctx)  # the later http_error still holds the error fields
    now = behaviour(fake_llm.url)
    assert (now["error_status"], now["error_probability"], now["ttft_ms"]) == (500, 0.9, 500)
    worse.revert(ctx)
    now = behaviour(fake_llm.url)
    assert now["error_status"] == baseline["error_status"]
    assert now["error_probability"] == baseline["error_probability"]
    assert now["ttft_ms"] == 500
    slow.revert(ctx)
    assert behaviour(fake_llm.url) == baseline


def test_faults_on_two_regions_stay_apart(fake_llm, fake_llm_eu):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9",
                       llm_control={"llm": fake_llm.url, "llm_eu": fake_llm_eu.url})
    fault = build_fault(0, spec(target="llm_eu", kind="loop"))
    fault.apply(ctx)
    assert behaviour(fake_llm_eu.url)["loop"] is True
    assert behaviour(fake_llm.url)["loop"] is False
    fault.revert(ctx)
    assert behaviour(fake_llm_eu.url)["loop"] is False


def test_http_error_really_fails_calls(fake_llm):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", llm_control={"llm": fake_llm.url})
    fault = build_fault(0, spec(target="llm", kind="http_error", status=529))
    body = {"model": "claude-sonnet-5", "max_tokens": 50,
            "messages": [{"role": "user", "content": "hello"}]}
    headers = {"x-api-key": "test", "anthropic-version": "2023-06-01"}
    fault.apply(ctx)
    try:
        reply = httpx.post(f"{fake_llm.url}/v1/messages", json=body, headers=headers, timeout=10)
        assert reply.status_code == 529
        assert reply.json()["error"]["type"] == "overloaded_error"
    finally:
        fault.revert(ctx)
    reply = httpx.post(f"{fake_llm.url}/v1/messages", json=body, headers=headers, timeout=10)
    assert reply.status_code == 200


def test_missing_control_url_is_a_fault_error():
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", llm_control={})
    with pytest.raises(FaultError, match="no fake LLM control URL for target 'llm'"):
        build_fault(0, spec(target="llm", kind="loop")).apply(ctx)


def test_a_failed_update_is_undone_without_undoing_others(fake_llm):
    """The scheduler reverts a fault whose apply failed: its layer must come off cleanly."""
    from harness.faults.control import BehaviourLayers

    baseline = behaviour(fake_llm.url)
    layers = BehaviourLayers(fake_llm.url, 10.0)
    with pytest.raises(FaultError, match="HTTP 400"):
        layers.push("f0_slow_ttft", {"ttft_ms": -5})  # the server refuses it
    layers.push("f1_slow_ttft", {"ttft_ms": 500})
    layers.pop("f0_slow_ttft")  # restores the field to the layer still active
    assert behaviour(fake_llm.url)["ttft_ms"] == 500
    layers.pop("f1_slow_ttft")
    assert behaviour(fake_llm.url) == baseline


def test_a_stop_reason_fault_reaches_an_sdk_agent(fake_llm):
    anthropic = pytest.importorskip("anthropic")
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", llm_control={"llm": fake_llm.url})
    fault = build_fault(0, spec(target="llm", kind="stop_reason", stop_reason="refusal"))
    client = anthropic.Anthropic(base_url=fake_llm.url, api_key="k", max_retries=0)
    ask = {"model": "claude-sonnet-5-5", "max_tokens": 200,
           "messages": [{"role": "user", "content": "Tell me about your refund policy."}]}
    assert client.messages.create(**ask).stop_reason == "end_turn"
    fault.apply(ctx)
    assert client.messages.create(**ask).stop_reason == "refusal"
    fault.revert(ctx)
    assert client.messages.create(**ask).stop_reason == "end_turn"
