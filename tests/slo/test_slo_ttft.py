"""ttft_p50/p95/p99: time to the first text of streamed replies, with a bootstrap interval like
the latency percentiles; a run without first-token times is inconclusive, saying why."""

from __future__ import annotations

import numpy as np
import pytest
from slo_run import make_faults, make_ledger, make_requests, make_tool_calls

from harness.measure import RunData
from harness.slo import MEASURES, evaluate

RUN = {"started": 1000.0, "ended": 1100.0, "duration_s": 100.0}


def streamed_run(ttft: dict[int, float]) -> RunData:
    """The hand-made run of slo_run.py with `ttft_ms` on the requests named in `ttft`."""
    rows = make_requests()
    for i, ms in ttft.items():
        rows[i]["ttft_ms"] = ms
        rows[i]["ttfb_ms"] = ms / 2
    return RunData.from_records(rows, make_ledger(), make_tool_calls(), make_faults(), RUN)


def one(data: RunData, name: str, objective: str = "<= 1s"):  # type: ignore[no-untyped-def]
    return evaluate({name: objective}, data).slos[0]


ALL = {i: 10.0 * (i + 1) for i in range(20)}  # 10 .. 200 ms


@pytest.mark.parametrize(("name", "expected"), [
    ("ttft_p50", 0.105),  # numpy linear interpolation of 0.01 .. 0.2 s at (n - 1) * q
    ("ttft_p95", 0.1905),
    ("ttft_p50[during=faults]", 0.115),  # r8..r13: 0.09 .. 0.14 s
])
def test_percentiles_of_the_first_token_times(name: str, expected: float) -> None:
    r = one(streamed_run(ALL), name)
    assert r.value == pytest.approx(expected)
    assert r.ci_low is not None and r.ci_high is not None
    assert r.ci_low <= r.value <= r.ci_high
    assert r.verdict == ("pass" if r.n >= 10 else "inconclusive")  # 6 during faults
    assert MEASURES[name.split("[")[0]].unit == "seconds"


def test_objective_missed_fails() -> None:
    assert one(streamed_run(ALL), "ttft_p95", "<= 100ms").verdict == "fail"


def test_requests_without_a_first_token_are_left_out_and_counted() -> None:
    some = {i: ms for i, ms in ALL.items() if i not in (3, 8, 9, 10, 14)}  # the failed ones
    r = one(streamed_run(some), "ttft_p50")
    assert r.n == 15
    assert r.value == pytest.approx(float(np.quantile([ALL[i] / 1000 for i in some], 0.5)))
    assert r.detail["requests_without_ttft"] == 5


def test_no_first_token_times_is_inconclusive_with_the_reason() -> None:
    r = one(streamed_run({}), "ttft_p95")
    assert r.verdict == "inconclusive" and r.value is None
    assert "ttft_ms" in r.detail["reason"] and "stream" in r.detail["reason"]


def test_a_small_sample_is_inconclusive() -> None:
    few = {i: ALL[i] for i in range(5)}
    assert one(streamed_run(few), "ttft_p95").verdict == "inconclusive"  # min 20
    assert one(streamed_run(ALL), "ttft_p99").verdict == "inconclusive"  # min 100
