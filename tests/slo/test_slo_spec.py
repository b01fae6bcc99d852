"""Parsing SLO names and objectives, and the errors a scenario author sees."""

from __future__ import annotations

import pytest

from harness.errors import SLOError
from harness.slo import MEASURES, parse_slo


@pytest.mark.parametrize(("name", "objective", "op", "threshold", "unit"), [
    ("availability", ">= 99.9%", ">=", 0.999, "ratio"),
    ("availability", ">= 0.999", ">=", 0.999, "ratio"),
    ("latency_p95", "<= 5s", "<=", 5.0, "seconds"),
    ("latency_p99", "< 250ms", "<", 0.25, "seconds"),
    ("recovery_time", "<= 2m", "<=", 120.0, "seconds"),
    ("cost_per_request", "<= $0.02", "<=", 0.02, "usd"),
    ("cost_per_hour", "<= 5", "<=", 5.0, "usd"),
    ("leaks", "== 0", "==", 0.0, "count"),
    ("max_llm_calls_per_request", "<= 3", "<=", 3.0, "number"),
    ("retry_amplification", "<= 3x", "<=", 3.0, "number"),
    ("cache_hit_ratio", ">= 0.5", ">=", 0.5, "ratio"),
    ("throughput", ">= 10/s", ">=", 10.0, "per_second"),
    ("requests", ">= 100", ">=", 100.0, "count"),
])
def test_objectives_in_si_units(name: str, objective: str, op: str, threshold: float,
                                unit: str) -> None:
    spec = parse_slo(name, objective)
    assert (spec.op, spec.unit) == (op, unit)
    assert spec.threshold == pytest.approx(threshold)
    assert spec.objective == objective


def test_percent_threshold_is_exact() -> None:
    assert parse_slo("availability", ">= 99.9%").threshold == 0.999


def test_selectors_split_into_filters_and_params() -> None:
    spec = parse_slo("burn_rate[tenant=globex, during=faults, window=30s, target=99%]", "<= 2")
    assert spec.measure == "burn_rate"
    assert spec.selector == {"tenant": "globex", "during": "faults", "window": "30s",
                             "target": "99%"}
    assert spec.filters == {"tenant": "globex", "during": "faults"}
    assert spec.params == {"window": 30.0, "target": 0.99}
    assert spec.name == "burn_rate[tenant=globex, during=faults, window=30s, target=99%]"


def test_unknown_measure_lists_measures() -> None:
    with pytest.raises(SLOError) as err:
        parse_slo("availabilty", ">= 99%")
    message = str(err.value)
    assert "unknown measure 'availabilty'" in message
    for measure in MEASURES:
        assert measure in message


def test_unknown_selector_lists_the_measures_selectors() -> None:
    with pytest.raises(SLOError) as err:
        parse_slo("availability[window=5s]", ">= 99%")
    message = str(err.value)
    assert "unknown selector 'window' for availability" in message
    assert "during=faults|baseline|recovery" in message and "attack=true|false" in message
    with pytest.raises(SLOError, match="window"):
        parse_slo("burn_rate[colour=red]", "<= 2")


@pytest.mark.parametrize(("name", "needle"), [
    ("availability[during=later]", "faults, baseline, recovery"),
    ("availability[attack=maybe]", "true, false"),
    ("burn_rate[window=soon]", "a duration"),
    ("burn_rate[target=150%]", "out of range"),
    ("burn_rate[target=100%]", "below 100%"),
    ("burn_rate[min_requests=0]", ">= 1"),
    ("availability[tenant]", "key=value"),
    ("availability[tenant=a,tenant=b]", "given twice"),
    ("retry_amplification[during=faults]", "unknown selector 'during'"),
])
def test_bad_selector_values(name: str, needle: str) -> None:
    objective = ">= 99%" if name.startswith("availability") else "<= 3"
    with pytest.raises(SLOError, match=None) as err:
        parse_slo(name, objective)
    assert needle in str(err.value)


@pytest.mark.parametrize(("name", "objective", "needle"), [
    ("latency_p95", "<= 5%", "not a time unit"),
    ("latency_p95", "<= 5", "needs a unit"),
    ("availability", ">= 99.9", "did you mean 99.9%"),
    ("availability", ">= 5s", "does not fit a ratio"),
    ("availability", ">= $1", "$ is a cost"),
    ("leaks", "== 0%", "count takes no unit"),
    ("availability", "at least 99%", "operators: >=, <=, ==, >, <"),
    ("cost_per_request", "<= 2ms", "does not fit a cost"),
])
def test_objective_unit_errors_list_allowed_forms(name: str, objective: str,
                                                  needle: str) -> None:
    with pytest.raises(SLOError) as err:
        parse_slo(name, objective)
    message = str(err.value)
    assert needle in message
    assert "objective forms for" in message


def test_slo_error_is_a_usage_error_exit_code() -> None:
    with pytest.raises(SLOError) as err:
        parse_slo("nope", ">= 1")
    assert err.value.exit_code == 2
