"""time_to_detect over alert episodes (alerts.jsonl rows), without a Prometheus."""

from __future__ import annotations

import pytest

from harness.errors import SLOError
from harness.measure import RunData
from harness.slo import evaluate, parse_slo

T0 = 1_000.0
REQUESTS = [{"ts_start": T0 + i, "ts_end": T0 + i + 0.1, "latency_ms": 100, "status": 200,
             "ok": True, "request_id": f"r{i}"} for i in range(60)]
FAULTS = [{"ts": T0 + 10, "event": "applied", "index": 0, "kind": "deploy", "target": "agent"},
          {"ts": T0 + 40, "event": "reverted", "index": 0, "kind": "deploy", "target": "agent"}]


def _alert(name: str, ts: float) -> dict:
    return {"alert": name, "severity": "page", "labels": {}, "ts": ts, "ts_end": ts + 5,
            "step_s": 1.0}


def _one(objective: str, alerts: list[dict] | None, name: str = "time_to_detect[alert=Page]"):
    data = RunData.from_records(REQUESTS, faults=FAULTS, alerts=alerts)
    return evaluate({name: objective}, data).slos[0]


def test_seconds_from_the_fault_to_the_first_firing_after_it() -> None:
    result = _one("<= 10s", [_alert("Page", T0 + 2), _alert("Other", T0 + 12),
                             _alert("Page", T0 + 17), _alert("Page", T0 + 30)])
    assert result.value == pytest.approx(7.0) and result.verdict == "pass"
    assert result.detail["firing_before_fault"] == 1
    assert _one("<= 5s", [_alert("Page", T0 + 17)]).verdict == "fail"


def test_without_a_name_any_alert_counts() -> None:
    result = _one("<= 5s", [_alert("Other", T0 + 12)], name="time_to_detect")
    assert result.value == pytest.approx(2.0) and result.detail["fired"] == "Other"


def test_never_fired_fails_and_no_prometheus_is_inconclusive() -> None:
    never = _one("<= 30s", [_alert("Other", T0 + 12)])
    assert never.verdict == "fail" and never.detail["detected"] is False
    assert _one("<= 30s", None).verdict == "inconclusive"


def test_only_the_alert_selector_is_allowed() -> None:
    with pytest.raises(SLOError, match="alert=<name>"):
        parse_slo("time_to_detect[tenant=acme]", "<= 5s")
    assert parse_slo("time_to_detect[alert=X]", "<= 5s").selector == {"alert": "X"}
