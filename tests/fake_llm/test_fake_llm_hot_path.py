"""The memoised hot path's shortcuts give exactly what the general code gives: ledger rows and
their JSON lines, ids, rate-limit buckets and the dice."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
from fake_llm_helpers import SONNET, TOOLS
from hypothesis import given
from hypothesis import strategies as st

from harness.fake_llm import FakeLLMServer
from harness.fake_llm.behaviour import HEALTHY, BehaviourState
from harness.fake_llm.ids import IdSource
from harness.fake_llm.ledger import ROW_FIELDS, Ledger, RowTemplate
from harness.fake_llm.ratelimit import RateLimiter

ROW = {
    "ts": 1.0,
    "request_id": "req_01x",
    "correlation_id": None,
    "trace_id": None,
    "tenant": None,
    "model": SONNET,
    "region": "eu",
    "stream": False,
    "status": 200,
    "error_type": None,
    "input_tokens": 120,
    "output_tokens": 31,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "cost_usd": 0.000705,
    "latency_ms": 0.5,
    "stop_reason": "tool_use",
    "tool_calls": 1,
    "upstream": False,
}
FINITE = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.none() | st.text()


@given(ts=FINITE, request_id=st.text(), corr=TEXT, trace=TEXT, tenant=TEXT, latency=FINITE)
def test_template_row_and_line_equal_the_general_encoding(
    ts: float,
    request_id: str,
    corr: str | None,
    trace: str | None,
    tenant: str | None,
    latency: float,
) -> None:
    template = RowTemplate(ROW)
    row = template.row(ts, request_id, corr, trace, tenant, latency)
    expected = {**ROW, "ts": ts, "request_id": request_id, "correlation_id": corr}
    expected.update(trace_id=trace, tenant=tenant, latency_ms=latency)
    assert row == expected and tuple(row) == ROW_FIELDS
    assert template.line(row) == json.dumps(row) + "\n"


def test_ledger_file_has_one_canonical_line_per_row(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "calls.jsonl"
    ledger = Ledger(path)
    ledger.append(ROW)
    ledger.append_templated(RowTemplate(ROW), 2.5, "req_01y", 'c"1', "ab" * 16, "t\u00e9", 1.25)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)  # before close: flushed
    ledger.close()
    assert lines == [json.dumps(row) + "\n" for row in ledger.rows()]
    assert ledger.rows()[1]["correlation_id"] == 'c"1'


def test_memoised_calls_ledger_like_the_first(tmp_path: Path) -> None:
    ask = {
        "model": SONNET,
        "max_tokens": 200,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "Where is ORD-1002?"}],
    }
    path = tmp_path / "calls.jsonl"
    with (
        FakeLLMServer(seed=2, region="eu", ledger_path=str(path)) as llm,
        anthropic.Anthropic(base_url=llm.url, api_key="k", max_retries=0) as client,
    ):
        headers = {"x-correlation-id": "run-1", "x-tenant-id": "acme"}
        replies = [
            client.messages.with_raw_response.create(**ask, extra_headers=headers)  # type: ignore[call-overload]
            for _ in range(3)
        ]
        rows = llm.ledger()
    assert [r.headers["request-id"] for r in replies] == [row["request_id"] for row in rows]
    per_call = {"ts", "request_id", "latency_ms"}
    first = {k: v for k, v in rows[0].items() if k not in per_call}
    assert all({k: v for k, v in row.items() if k not in per_call} == first for row in rows)
    assert first["correlation_id"] == "run-1" and first["tenant"] == "acme"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines == [json.dumps(row) + "\n" for row in rows]
    messages = [r.parse() for r in replies]
    assert len({m.id for m in messages}) == 3 and len({m.content[0].id for m in messages}) == 3


def test_ids_bytes_and_str_share_one_counter() -> None:
    ids, twin = IdSource(5), IdSource(5)
    got = [ids.message_bytes().decode(), ids.tool_use_bytes().decode(), ids.request()]
    assert got == [twin.message(), twin.tool_use(), twin.request()]
    assert got[0].startswith("msg_01") and got[1].startswith("toolu_01") and len(got[0]) == 30


def test_output_estimate_is_taken_at_admission_and_settled_at_the_end() -> None:
    now = [0.0]
    limiter = RateLimiter(requests=10, tokens=1000, clock=lambda: now[0], output_tokens=100)
    assert limiter.admit(10, 80) == 0  # 80 of 100 output tokens reserved for max_tokens
    assert limiter.admit(10, 30) > 0 and limiter.exceeded == "output tokens"
    limiter.settle(80, 20)  # the call produced 20: 60 come back
    assert limiter.admit(10, 30) == 0
    assert limiter.admit(2000, 0) > 0 and limiter.exceeded == "input tokens"
    levels = dict((k.decode(), v.decode()) for k, v in limiter.headers())
    assert levels["anthropic-ratelimit-output-tokens-remaining"] == "50"
    assert levels["anthropic-ratelimit-input-tokens-remaining"] == "980"


def test_calm_behaviour_skips_the_dice_but_faults_still_apply() -> None:
    state = BehaviourState(seed=1)
    assert state.decide(stream=False, tools=True) is HEALTHY
    state.update({"error_first_n": 2, "error_status": 500})
    assert [state.decide(stream=False, tools=False).error_status for _ in range(3)] == [
        500,
        500,
        None,
    ]
    state.update({"malformed_tool_probability": 1.0})
    assert state.decide(stream=False, tools=True).malformed_tool
    assert state.decide(stream=False, tools=False) is HEALTHY
    state.reset()
    assert state.decide(stream=True, tools=True) is HEALTHY
