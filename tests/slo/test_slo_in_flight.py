"""Requests still in flight when the load stopped: kept apart from the answered ones, and
counted by a latency objective only when their wait so far already breaks it."""

from __future__ import annotations

from typing import Any

from harness.measure import RunData
from harness.measure.run_data import IN_FLIGHT_ERROR
from harness.slo import evaluate


def _request(i: int, latency_ms: float, tenant: str, *, in_flight: bool = False) -> dict[str, Any]:
    return {
        "ts_start": 1000.0 + i, "ts_end": 1000.0 + i + latency_ms / 1000, "latency_ms": latency_ms,
        "status": 0 if in_flight else 200, "ok": not in_flight,
        "error": IN_FLIGHT_ERROR if in_flight else None, "tenant": tenant, "task": "chat",
        "request_id": f"r{i}", "llm_calls": None if in_flight else 1, "cost_usd": None,
        "degraded": False, "model": None, "attack_id": None, "attack_category": None,
        "leaked_canaries": [], "user": i,
    }  # fmt: skip


def _run(waits_ms: list[float]) -> RunData:
    """20 answered in 100 ms (acme and globex alternating); then in flight: acme, `waits_ms`."""
    answered = [_request(i, 100.0, ("acme", "globex")[i % 2]) for i in range(20)]
    pending = [_request(20 + i, w, "acme", in_flight=True) for i, w in enumerate(waits_ms)]
    return RunData.from_records(answered + pending, run={"started": 1000.0, "ended": 1060.0})


def test_in_flight_requests_are_kept_apart_from_the_answered_ones() -> None:
    data = _run([3000.0, 500.0])
    assert len(data.requests) == 20 and data.requests["ok"].all()
    assert list(data.in_flight["request_id"]) == ["r20", "r21"]
    report = evaluate({"availability": ">= 99%", "requests": ">= 0", "error_rate": "<= 1%"}, data)
    assert [(r.value, r.n) for r in report.slos] == [(1.0, 20), (20.0, 20), (0.0, 20)]


def test_a_wait_past_the_objective_counts_as_a_miss_and_a_shorter_one_nowhere() -> None:
    data = _run([3000.0] * 3 + [500.0] * 10)
    slos = {r.name: r for r in evaluate({
        "latency_p50": "<= 1s",
        "latency_p90": "<= 1s",
        "latency_p90[tenant=globex]": "<= 1s",
        "latency_p99": ">= 0.05s",  # a lower bound: no wait can settle it
    }, data).slos}  # fmt: skip
    p90 = slos["latency_p90"]
    # 20 answered at 0.1 s plus the 3 waits of 3 s; the ten 0.5 s waits are unknown
    assert p90.n == 23 and p90.detail == {"in_flight_past_objective": 3}
    assert p90.value is not None and p90.value > 1.0 and p90.verdict == "fail"
    assert slos["latency_p50"].value == 0.1 and slos["latency_p50"].verdict == "pass"
    assert slos["latency_p90[tenant=globex]"].n == 10  # the waits were acme's
    assert slos["latency_p99"].n == 20 and slos["latency_p99"].detail == {}


def test_a_hang_to_the_end_is_not_a_pass() -> None:
    hung = RunData.from_records(
        [_request(i, 29_000.0, "acme", in_flight=True) for i in range(25)],
        run={"started": 1000.0, "ended": 1030.0},
    )
    report = evaluate({"availability": ">= 99%", "latency_p95": "<= 5s"}, hung)
    availability, latency = report.slos
    assert availability.n == 0 and availability.verdict == "inconclusive"  # nothing answered
    assert latency.verdict == "fail" and latency.value == 29.0 and latency.n == 25
    assert report.verdict == "fail"
