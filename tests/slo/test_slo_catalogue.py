"""Every measure and selector on the hand-made run of conftest.py, against answers on paper."""

from __future__ import annotations

import numpy as np
import pytest
from slo_run import make_run

from harness.measure import RunData
from harness.slo import MEASURES, SLOResult, catalogue, evaluate

ANY = {"ratio": ">= -1000", "seconds": ">= 0s", "usd": ">= 0", "count": ">= 0",
       "per_second": ">= 0", "number": ">= 0"}


def result(data: RunData, name: str, objective: str | None = None,
           extra: dict[str, str] | None = None) -> SLOResult:
    measure = name.split("[")[0]
    specs = dict(extra or {})
    specs[name] = objective or ANY[MEASURES[measure].unit]
    report = evaluate(specs, data)
    return next(r for r in report.slos if r.name == name)


def value(data: RunData, name: str, **kw: object) -> float | None:
    return result(data, name, **kw).value  # type: ignore[arg-type]


def test_catalogue_implements_exactly_the_measure_table() -> None:
    # Every public function of the catalogue is a declared measure, and every measure's
    # function documents its formula.
    public = {name for name, obj in vars(catalogue).items() if callable(obj)
              and getattr(obj, "__module__", None) == catalogue.__name__
              and not name.startswith("_") and not isinstance(obj, type)}
    assert public <= set(MEASURES)
    for name, info in MEASURES.items():
        assert info.fn.__name__ == name
        assert info.fn.__doc__, f"{name} must document its formula"


@pytest.mark.parametrize(("name", "expected", "n"), [
    ("requests", 20, 20),
    ("availability", 15 / 20, 20),
    ("error_rate", 5 / 20, 20),
    ("degraded_rate", 1 / 20, 20),
    ("availability[tenant=globex]", 7 / 9, 9),
    ("availability[tenant=acme]", 7 / 10, 10),
    ("availability[during=faults]", 3 / 6, 6),
    ("availability[during=baseline]", 7 / 8, 8),
    ("availability[during=recovery]", 5 / 6, 6),
    ("availability[tenant=acme,during=faults]", 1 / 3, 3),
    ("availability[task=order_lookup]", 4 / 5, 5),
    ("requests[attack=true]", 3, 3),
    ("requests[attack=false]", 17, 17),
    ("requests[region=eu]", 1, 1),
    ("requests[region=us]", 19, 19),
    ("error_rate[during=faults,tenant=globex]", 1 / 3, 3),
])
def test_request_ratios_and_selectors(run: RunData, name: str, expected: float,
                                      n: int) -> None:
    r = result(run, name)
    assert r.value == pytest.approx(expected)
    assert r.n == n


@pytest.mark.parametrize(("name", "expected"), [
    # latencies 0.1 .. 2.0 s; numpy linear interpolation at (n - 1) * q
    ("latency_p50", 1.05),
    ("latency_p90", 1.81),
    ("latency_p95", 1.905),
    ("latency_p99", 1.981),
    ("latency_p50[during=faults]", 1.15),  # r8..r13: 0.9 .. 1.4
    ("latency_p50[tenant=initech]", 2.0),
])
def test_latency_percentiles_include_failed_requests(run: RunData, name: str,
                                                     expected: float) -> None:
    r = result(run, name)
    assert r.value == pytest.approx(expected)
    assert r.ci_low is not None and r.ci_high is not None
    assert r.ci_low <= r.value <= r.ci_high


@pytest.mark.parametrize(("name", "expected"), [
    ("throughput", 20 / 100),
    ("throughput[during=faults]", 6 / 20),
    ("throughput[during=baseline]", 8 / 20),
    ("throughput[during=recovery]", 6 / 60),
    ("throughput[tenant=acme]", 10 / 100),
])
def test_throughput_over_the_selected_period(run: RunData, name: str, expected: float) -> None:
    r = result(run, name)
    assert r.value == pytest.approx(expected)
    assert r.ci_low < r.value < r.ci_high  # type: ignore[operator]


def test_cost_measures(run: RunData) -> None:
    total = 36 * 0.01 + 0.5  # joined calls plus the orphan call
    assert value(run, "cost_per_request") == pytest.approx(total / 20)
    assert value(run, "cost_per_1k_requests") == pytest.approx(total / 20 * 1000)
    assert value(run, "cost_per_hour") == pytest.approx(total / 100 * 3600)
    # acme: r0 r2 r4 r6 (1 call each), r8 r10 r12 (3 each), r14 r16 r18 (1 each) = 16 calls;
    # the orphan call is not attributed to a selection.
    assert value(run, "cost_per_request[tenant=acme]") == pytest.approx(0.16 / 10)
    assert value(run, "cost_per_hour[during=faults]") == pytest.approx(0.18 / 20 * 3600)


def test_cost_interval_brackets_value(run: RunData) -> None:
    r = result(run, "cost_per_request")
    assert r.ci_low <= r.value <= r.ci_high  # type: ignore[operator]
    assert r.ci_low < r.ci_high  # type: ignore[operator]


def test_cache_hit_ratio(run: RunData) -> None:
    # reads 300; all input = 36 * 100 + 300 (read) + 100 (creation) + 100 (orphan)
    assert value(run, "cache_hit_ratio") == pytest.approx(300 / 4100)
    assert value(run, "cache_hit_ratio[tenant=acme]") == pytest.approx(300 / (16 * 100 + 300))
    assert value(run, "cache_hit_ratio[tenant=globex]") == pytest.approx(0.0)


def test_llm_calls_per_request(run: RunData) -> None:
    assert value(run, "llm_calls_per_request") == pytest.approx(36 / 20)
    assert value(run, "llm_calls_per_request[during=faults]") == pytest.approx(3.0)
    r = result(run, "max_llm_calls_per_request")
    assert r.value == 5 and r.detail["request_id"] == "r15"
    assert value(run, "max_llm_calls_per_request[during=baseline]") == 1


def test_retry_amplification_from_the_ledger(run: RunData) -> None:
    # in faults: 18 calls / 6 requests = 3; outside: (8 + 10) calls / 14 requests
    r = result(run, "retry_amplification")
    assert r.value == pytest.approx(3 / (18 / 14))
    assert r.detail["requests_in_faults"] == 6 and r.detail["requests_outside"] == 14
    assert r.n == 6
    assert r.ci_low is not None and r.ci_high is not None and r.ci_low <= r.ci_high
    # globex: faults r9 r11 r13 (9 calls / 3); outside r1 r3 r5 r7 r15 r17 (4 + 5 + 1 = 10 / 6)
    assert value(run, "retry_amplification[tenant=globex]") == pytest.approx(3 / (10 / 6))


def test_retry_amplification_needs_both_sides() -> None:
    r = result(make_run(with_fault=False), "retry_amplification", "<= 3")
    assert r.value is None and r.verdict == "inconclusive"


def test_leaks_count_requests_and_report_canaries(run: RunData) -> None:
    r = result(run, "leaks", "== 0")
    assert r.value == 2 and r.detail["canaries"] == 3
    assert r.verdict == "fail"
    assert (r.ci_low, r.ci_high) == (2, 2)
    assert value(run, "leaks[attack=false]") == 0
    assert value(run, "leaks[tenant=globex]") == 1


def test_unauthorized_tool_calls_are_the_ground_truth(run: RunData) -> None:
    r = result(run, "unauthorized_tool_calls", "== 0")
    # r16 (acme) got globex data with status ok; r17 was refused; r18 errored.
    assert r.value == 1 and r.verdict == "fail"
    assert r.n == 4 and r.detail["unjoined"] == 1
    assert value(run, "unauthorized_tool_calls[tenant=globex]") == 0
    assert value(run, "unauthorized_tool_calls[attack=true]") == 1
    assert value(run, "unauthorized_tool_calls[during=baseline]") == 0


def test_blocked_tool_calls(run: RunData) -> None:
    assert value(run, "blocked_tool_calls") == 1
    assert value(run, "blocked_tool_calls[tenant=globex]") == 1
    assert value(run, "blocked_tool_calls[tenant=acme]") == 0


@pytest.mark.parametrize("tenants", [True, False])
def test_residency_violations(tenants: bool) -> None:
    # Without run["tenants"] nobody knows which tenant lives in the eu: no verdict.
    data = make_run(tenants=tenants)
    r = result(data, "residency_violations", "== 0")
    if not tenants:
        assert r.value is None and r.verdict == "inconclusive"
        return
    assert r.value == 1 and r.n == 1 and r.verdict == "fail"
    assert r.detail["regions"] == ["us"]
    assert value(data, "residency_violations[tenant=acme]") == 0
    assert value(data, "residency_violations[during=recovery]") == 1
    assert value(data, "residency_violations[during=faults]") == 0


def test_error_budget_remaining_targets() -> None:
    data = make_run()
    # default 99.9%: allowed 0.02 failures, 5 happened
    assert value(data, "error_budget_remaining") == pytest.approx(1 - 5 / (0.001 * 20))
    # target from the set's availability objective: allowed 5, 5 happened
    r = result(data, "error_budget_remaining", extra={"availability": ">= 75%"})
    assert r.value == pytest.approx(0.0) and r.detail["target"] == pytest.approx(0.75)
    assert value(data, "error_budget_remaining[target=50%]") == pytest.approx(0.5)


def test_burn_rate_windows(run: RunData) -> None:
    # window 10s, any size: [1020, 1030) holds r8 r9 r10 r11 with 3 failures -> 0.75 / 0.1
    r = result(run, "burn_rate[window=10s,target=90%,min_requests=1]")
    assert r.value == pytest.approx(7.5)
    assert r.detail["window_start"] == 1020 and r.detail["window_requests"] == 4
    # at least 5 requests: only [1000, 1010) qualifies, 1 failure in 5
    assert value(run, "burn_rate[window=10s,target=90%,min_requests=5]") == pytest.approx(2.0)
    # defaults (30s, >= 10 requests): [1012, 1042) holds r6..r15, failures r8 r9 r10 r14
    # (4 in 10); [1006, 1036) has 4 in 11, [1000, 1030) 4 in 12.
    r = result(run, "burn_rate[target=90%]")
    assert r.value == pytest.approx(4 / 10 / 0.1)
    assert r.detail["window_start"] == 1012
    assert r.detail["window_requests"] == 10 and r.detail["window_s"] == 30


def test_burn_rate_without_a_full_window_is_inconclusive(run: RunData) -> None:
    r = result(run, "burn_rate[tenant=initech]", "<= 1")
    assert r.value is None and r.verdict == "inconclusive"


def test_recovery_time(run: RunData) -> None:
    # [1040, 1045): r14 fails, r15 ok = 50%; [1041, 1046): r15 r16 ok = 100%
    r = result(run, "recovery_time[target=99%]", "<= 5s")
    assert r.value == pytest.approx(1.0) and r.verdict == "pass"
    assert r.detail["recovered"] is True
    assert value(run, "recovery_time[target=50%]") == pytest.approx(0.0)
    # target borrowed from the availability objective
    r = result(run, "recovery_time", "<= 5s", extra={"availability": ">= 50%"})
    assert r.value == pytest.approx(0.0)


def test_recovery_time_never_recovered_fails_whatever_the_objective() -> None:
    data = make_run(failed=FAILED_AFTER_REVERT)
    r = result(data, "recovery_time", "<= 100s")
    assert r.value == pytest.approx(60.0)  # the run time left after the revert
    assert r.verdict == "fail" and r.detail["recovered"] is False


def test_recovery_time_without_faults_is_inconclusive() -> None:
    r = result(make_run(with_fault=False), "recovery_time", "<= 5s")
    assert r.value is None and r.verdict == "inconclusive"


FAILED_AFTER_REVERT = {3, 8, 14, 15, 16, 17, 18, 19}


def test_empty_selection_gives_no_value(run: RunData) -> None:
    r = result(run, "availability[tenant=nobody]", ">= 99%")
    assert r.value is None and r.n == 0 and r.verdict == "inconclusive"
    r = result(run, "requests[tenant=nobody]", ">= 1")
    assert r.value == 0 and r.verdict == "fail"  # an empty run is itself the failure


def test_string_columns_may_be_categorical(run: RunData) -> None:
    """Synthetic runs use categoricals; values must not change."""
    cat = make_run()
    for frame in (cat.requests, cat.llm_calls, cat.tool_calls):
        for col in frame.columns:
            if frame[col].dtype == object and frame[col].map(
                    lambda v: isinstance(v, str) or v is None).all():
                frame[col] = frame[col].astype("category")
    names = ["availability[tenant=globex]", "cost_per_request[tenant=acme]",
             "unauthorized_tool_calls", "residency_violations", "leaks",
             "requests[attack=true]"]
    for name in names:
        assert value(cat, name) == pytest.approx(value(run, name)), name


def test_bootstrap_is_deterministic(run: RunData) -> None:
    a = result(run, "latency_p95")
    b = result(run, "latency_p95")
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert np.isfinite([a.ci_low, a.ci_high]).all()


def test_one_decorator_declares_a_measure_and_its_row(run: RunData) -> None:
    from harness.slo import measure, registry
    from harness.slo.catalogue import _exact

    def ok_requests(scope, spec, ctx):  # type: ignore[no-untyped-def]
        """Number of selected requests answered ok."""
        mask = scope.mask(spec.filters)
        return _exact(float(scope.ok[mask].sum()), int(mask.sum()))

    measure("count", ("tenant",), 1, "ok requests")(ok_requests)
    try:
        assert MEASURES["ok_requests"].unit == "count"
        r = result(run, "ok_requests[tenant=acme]", ">= 7")
        assert (r.value, r.verdict, r.description) == (7, "pass", "ok requests")
    finally:
        del registry._MEASURES["ok_requests"]
    with pytest.raises(ValueError, match="'leaks' declared twice"):
        measure("count", (), 1, "again")(catalogue.leaks)

    def undocumented(scope, spec, ctx):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(ValueError, match="must document its formula"):
        measure("count", (), 1, "x")(undocumented)
    assert "undocumented" not in MEASURES
