"""How 429s count in availability: failures by default; `refusals=exclude` leaves out the
refusals of a tenant over its own quota (the agent's `429 rate_limit_error`), and only those."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import SLOError
from harness.measure import RunData
from harness.slo import evaluate, parse_slo


def _request(i: int, tenant: str, status: int = 200, error: str | None = None) -> dict[str, Any]:
    return {"ts_start": 1000.0 + i, "ts_end": 1000.1 + i, "latency_ms": 100.0, "status": status,
            "ok": status == 200, "error": error, "tenant": tenant, "task": "chat",
            "request_id": f"r{i}"}


def _run() -> RunData:
    """acme: 20 ok; globex: 10 ok, 10 refused over its quota; 2 other failures of acme: one
    429 that is not a quota refusal (an upstream rate limit passed on) and one 503."""
    rows = [_request(i, "acme") for i in range(20)]
    rows += [_request(20 + i, "globex") for i in range(10)]
    rows += [_request(30 + i, "globex", 429, "HTTP 429: rate_limit_error") for i in range(10)]
    rows += [_request(40, "acme", 429, "HTTP 429: overloaded_error"),
             _request(41, "acme", 503, "HTTP 503: llm_overloaded")]
    return RunData.from_records(rows, run={"started": 1000.0, "ended": 1050.0})


def test_a_refusal_is_a_failure_unless_excluded() -> None:
    slos = {r.name: r for r in evaluate({
        "availability": ">= 99%",
        "availability[refusals=exclude]": ">= 90%",
        "availability[refusals=include]": ">= 0%",
        "error_rate[refusals=exclude]": "<= 10%",
        "availability[tenant=globex,refusals=exclude]": ">= 99%",
        "error_budget_remaining[refusals=exclude,target=90%]": ">= 0%",
    }, _run()).slos}  # fmt: skip
    assert slos["availability"].value == pytest.approx(30 / 42)
    assert slos["availability"].verdict == "fail"
    assert slos["availability[refusals=include]"].value == pytest.approx(30 / 42)
    excluded = slos["availability[refusals=exclude]"]
    assert (excluded.value, excluded.n) == (pytest.approx(30 / 32), 32)
    assert excluded.verdict == "pass"
    assert slos["error_rate[refusals=exclude]"].value == pytest.approx(2 / 32)
    assert slos["availability[tenant=globex,refusals=exclude]"].value == 1.0
    assert slos["error_budget_remaining[refusals=exclude,target=90%]"].n == 32


def test_the_selector_takes_include_or_exclude_and_only_where_it_means_something() -> None:
    with pytest.raises(SLOError, match="refusals takes one of: include, exclude"):
        parse_slo("availability[refusals=ignore]", ">= 99%")
    with pytest.raises(SLOError, match="unknown selector 'refusals' for latency_p95"):
        parse_slo("latency_p95[refusals=exclude]", "<= 5s")
