"""A hand-made run small enough to compute every SLO on paper.

Run 1000..1100 s (100 s). One fault applied at 1020, reverted at 1040.

  req  ts    ok  tenant   task          phase     LLM calls  notes
  r0   1000  y   acme     order_lookup  baseline  1          cache_read 300 on its call
  r1   1002  y   globex   chat          baseline  1          cache_creation 100
  r2   1004  y   acme     chat          baseline  1
  r3   1006  n   globex   chat          baseline  1
  r4   1008  y   acme     order_lookup  baseline  1
  r5   1010  y   globex   chat          baseline  1
  r6   1012  y   acme     chat          baseline  1
  r7   1014  y   globex   chat          baseline  1
  r8   1020  n   acme     order_lookup  faults    3
  r9   1023  n   globex   chat          faults    3
  r10  1026  n   acme     chat          faults    3
  r11  1029  y   globex   chat          faults    3          degraded
  r12  1032  y   acme     order_lookup  faults    3
  r13  1035  y   globex   chat          faults    3
  r14  1040  n   acme     chat          recovery  1
  r15  1041  y   globex   chat          recovery  5          (a loop)
  r16  1045  y   acme     order_lookup  recovery  1          attack, leaked 2 canaries
  r17  1050  y   globex   chat          recovery  1          attack, leaked 1 canary
  r18  1060  y   acme     chat          recovery  1          attack
  r19  1070  y   initech  chat          recovery  1          its call served from region us

latency_ms = 100 * (i + 1). Every call costs $0.01 and has 100 input tokens; one more ledger
call has no correlation id (tenant acme, $0.50, 100 input tokens).
Tool calls: r0 own data (ok); r16 read globex data (ok: unauthorized); r17 refused
(authorized false); r18 asked initech but errored; one call with no correlation id.
"""

from __future__ import annotations

from typing import Any

from harness.measure import RunData

FAILED = {3, 8, 9, 10, 14}
TIMES = [1000, 1002, 1004, 1006, 1008, 1010, 1012, 1014,
         1020, 1023, 1026, 1029, 1032, 1035,
         1040, 1041, 1045, 1050, 1060, 1070]
CALLS = [1] * 8 + [3] * 6 + [1, 5, 1, 1, 1, 1]
ATTACKS = {16: "pi-1", 17: "pi-2", 18: "pi-3"}
LEAKED = {16: ["CANARY-globex-aa", "CANARY-initech-bb"], 17: ["CANARY-acme-cc"]}
FAULT_START, FAULT_END, RUN_START, RUN_END = 1020.0, 1040.0, 1000.0, 1100.0


def tenant_of(i: int) -> str:
    if i == 19:
        return "initech"
    return "acme" if i % 2 == 0 else "globex"


def make_requests(failed: set[int] = FAILED) -> list[dict[str, Any]]:
    rows = []
    for i, ts in enumerate(TIMES):
        latency = 100.0 * (i + 1)
        rows.append({
            "ts_start": float(ts), "ts_end": ts + latency / 1000, "latency_ms": latency,
            "status": 503 if i in failed else 200, "ok": i not in failed,
            "error": "HTTP 503" if i in failed else None, "tenant": tenant_of(i),
            "task": "order_lookup" if i % 4 == 0 else "chat", "request_id": f"r{i}",
            "llm_calls": CALLS[i], "cost_usd": 0.01 * CALLS[i], "degraded": i == 11,
            "model": "m", "attack_id": ATTACKS.get(i), "attack_category": None,
            "leaked_canaries": LEAKED.get(i, []), "user": i % 3,
        })
    return rows


def make_ledger() -> list[dict[str, Any]]:
    rows = []
    for i, calls in enumerate(CALLS):
        for c in range(calls):
            rows.append({
                "ts": TIMES[i] + 0.1 * (c + 1), "request_id": f"msg-{i}-{c}",
                "correlation_id": f"r{i}", "tenant": tenant_of(i), "model": "m",
                "region": "us", "stream": False, "status": 200, "error_type": None,
                "input_tokens": 100, "output_tokens": 10,
                "cache_creation_input_tokens": 100 if i == 1 else 0,
                "cache_read_input_tokens": 300 if i == 0 else 0,
                "cost_usd": 0.01, "latency_ms": 50.0, "stop_reason": "end_turn",
                "tool_calls": 0, "upstream": False,
            })
    rows.append({
        "ts": 1090.0, "request_id": "msg-orphan", "correlation_id": None, "tenant": "acme",
        "model": "m", "region": "us", "stream": False, "status": 200, "error_type": None,
        "input_tokens": 100, "output_tokens": 10, "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0, "cost_usd": 0.5, "latency_ms": 50.0,
        "stop_reason": "end_turn", "tool_calls": 0, "upstream": False,
    })
    return rows


def make_tool_calls() -> list[dict[str, Any]]:
    def call(corr: str | None, tenant: str, requested: str, authorized: bool,
             status: str) -> dict[str, Any]:
        return {"ts": 1050.0, "tool": "order_lookup", "tenant": tenant,
                "requested_tenant": requested, "correlation_id": corr,
                "authorized": authorized, "status": status, "latency_ms": 5.0}

    return [
        call("r0", "acme", "acme", True, "ok"),
        call("r16", "globex", "globex", True, "ok"),
        call("r17", "globex", "acme", False, "error"),
        call("r18", "initech", "initech", True, "error"),
        call(None, "acme", "acme", True, "ok"),
    ]


def make_faults(with_fault: bool = True) -> list[dict[str, Any]]:
    if not with_fault:
        return []
    common = {"index": 0, "kind": "http_error", "target": "llm", "params": {"status": 529},
              "at_s": 20.0, "for_s": 20.0, "error": None}
    return [{"ts": FAULT_START, "event": "applied", **common},
            {"ts": FAULT_END, "event": "reverted", **common}]


def make_run(failed: set[int] = FAILED, with_fault: bool = True,
             tenants: bool = True) -> RunData:
    run: dict[str, Any] = {"started": RUN_START, "ended": RUN_END, "duration_s": 100.0}
    if tenants:
        run["tenants"] = {"acme": {"region": "us"}, "globex": {"region": "us"},
                          "initech": {"region": "eu"}}
    return RunData.from_records(make_requests(failed), make_ledger(), make_tool_calls(),
                                make_faults(with_fault), run)
